"""Local fake destinations for tests and the demo: a GA/T 1400 view library and a city platform.

Each runs an HTTP server on 127.0.0.1 in a thread and counts what it *applied* (by object id /
recordId) apart from what it *received*, so a test can tell "sent twice" from "applied twice".
Failure modes are switches: ``fail_next`` answers 500 to the next N data requests, ``delay``
sleeps before answering, ``drop_after_apply`` applies the data then closes the connection
without an answer (the sender cannot know it arrived: the "answered twice" case).
"""

from __future__ import annotations

import hmac
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .adapters.city import city_sign
from .digest import digest_expected_response, parse_challenge


class _Fake:
    def __init__(self):
        self.received = 0
        self.applied: dict[str, dict] = {}
        self.duplicates = 0
        self.fail_next = 0
        self.delay = 0.0
        self.drop_after_apply = 0
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self, port: int = 0):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet in tests
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                fake.handle(self, body)

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def _answer(self, handler, status: int, payload: dict | None = None, headers: dict | None = None):
        body = json.dumps(payload or {}, ensure_ascii=False).encode()
        handler.send_response(status)
        for k, v in (headers or {}).items():
            handler.send_header(k, v)
        handler.send_header("Content-Type", "application/json;charset=UTF-8")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def _gate(self, handler) -> bool:
        """The shared failure switches; True when the request was already answered."""
        if self.delay:
            time.sleep(self.delay)
        with self.lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                self._answer(handler, 500, {"error": "injected failure"})
                return True
        return False

    def _apply(self, key: str, obj: dict) -> None:
        with self.lock:
            self.received += 1
            if key in self.applied:
                self.duplicates += 1
            else:
                self.applied[key] = obj

    def _drop(self, handler) -> bool:
        with self.lock:
            if self.drop_after_apply > 0:
                self.drop_after_apply -= 1
                handler.close_connection = True
                handler.connection.shutdown(2)
                return True
        return False


class FakeViid(_Fake):
    """A GA/T 1400 view library: Digest registration, ``User-Identify`` on every data request."""

    LIST_KEYS = {
        "/VIID/MotorVehicles": ("MotorVehicleListObject", "MotorVehicleObject", "MotorVehicleID"),
        "/VIID/Community/PersonInfos": ("PersonInfoListObject", "PersonInfoObject", "PersonID"),
        "/VIID/Community/DoorInfos": ("DoorInfoListObject", "DoorInfoObject", "DoorInfoID"),
        "/VIID/Community/DoorDevices": ("DoorDeviceListObject", "DoorDeviceObject", "DeviceID"),
        "/VIID/Community/CarInfos": ("CarInfoListObject", "CarInfoObject", "CarInfoID"),
    }
    # Registries: one object per id, overwritten by a changed version (an update, not a
    # duplicate); the same version again is a duplicate. Door devices carry 20-digit device ids.
    REGISTRIES = {"/VIID/Community/DoorDevices", "/VIID/Community/CarInfos"}
    ID_LENGTHS = {"/VIID/Community/DoorDevices": 20}

    def __init__(self, *, username: str, password: str, realm: str = "viid"):
        super().__init__()
        self.username, self.password, self.realm = username, password, realm
        self.registered: set[str] = set()
        self.nonces: set[str] = set()
        self.registrations = 0
        self.challenges = 0
        self.refused_unregistered = 0
        self.updates = 0
        self.by_path: dict[str, int] = {}

    def _status(self, path: str, code: int, ident: str, text: str = "正常") -> dict:
        return {
            "RequestURL": path,
            "StatusCode": code,
            "StatusString": text,
            "Id": ident,
            "LocalTime": time.strftime("%Y%m%d%H%M%S"),
        }

    def handle(self, handler, body: bytes):
        path = handler.path.split("?")[0]
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            return self._answer(handler, 400, {"error": "bad json"})
        if path in ("/VIID/System/Register", "/VIID/System/UnRegister", "/VIID/System/Keepalive"):
            return self._system(handler, path, data)
        ident = handler.headers.get("User-Identify", "")
        if ident not in self.registered:
            self.refused_unregistered += 1
            return self._answer(handler, 401, self._status(path, 4, ident, "未注册"))
        if self._gate(handler):
            return None
        if path not in self.LIST_KEYS:
            return self._answer(handler, 404, {})
        list_key, item_key, id_key = self.LIST_KEYS[path]
        statuses = []
        for obj in data.get(list_key, {}).get(item_key, []):
            key = str(obj.get(id_key, ""))
            if len(key) != self.ID_LENGTHS.get(path, 48):
                statuses.append(self._status(path, 8, key, "ID长度错误"))
                continue
            if path in self.REGISTRIES:
                self._upsert(key, obj)
            else:
                self._apply(key, obj)
            with self.lock:
                self.by_path[path] = self.by_path.get(path, 0) + 1
            statuses.append(self._status(path, 0, key))
        if self._drop(handler):
            return None
        return self._answer(handler, 200, {"ResponseStatusListObject": {"ResponseStatusObject": statuses}})

    def _upsert(self, key: str, obj: dict) -> None:
        with self.lock:
            self.received += 1
            if self.applied.get(key) == obj:
                self.duplicates += 1
            else:
                self.updates += key in self.applied
                self.applied[key] = obj

    def _system(self, handler, path: str, data: dict):
        name = path.rsplit("/", 1)[-1]
        obj = next(iter(data.values()), {}) if data else {}
        device = str(obj.get("DeviceID", ""))
        if name == "Register":
            auth = handler.headers.get("Authorization")
            if not auth:
                nonce = secrets.token_hex(8)
                self.nonces.add(nonce)
                self.challenges += 1
                challenge = f'Digest realm="{self.realm}", nonce="{nonce}", qop="auth", algorithm=MD5'
                return self._answer(handler, 401, {}, {"WWW-Authenticate": challenge})
            params = parse_challenge(auth)
            ok = (
                params.get("username") == self.username
                and params.get("nonce") in self.nonces
                and hmac.compare_digest(
                    params.get("response", ""),
                    digest_expected_response(params=params, method="POST", password=self.password),
                )
            )
            if not ok:
                return self._answer(handler, 401, self._status(path, 4, device, "认证失败"))
            self.nonces.discard(params["nonce"])
            self.registered.add(device)
            self.registrations += 1
            return self._answer(handler, 200, {"ResponseStatusObject": self._status(path, 0, device)})
        if device not in self.registered:
            return self._answer(
                handler, 401, {"ResponseStatusObject": self._status(path, 4, device, "未注册")}
            )
        if name == "UnRegister":
            self.registered.discard(device)
        return self._answer(handler, 200, {"ResponseStatusObject": self._status(path, 0, device)})


class FakeCity(_Fake):
    """The city platform of our signed-JSON specification."""

    def __init__(self, *, secret: str, service_code: str):
        super().__init__()
        self.secret, self.service_code = secret, service_code
        self.bad_signatures = 0

    def handle(self, handler, body: bytes):
        h = handler.headers
        expected = city_sign(
            secret=self.secret, tran_id=h.get("X-Tran-Id", ""), req_time=h.get("X-Req-Time", ""), body=body
        )
        if h.get("X-Service-Code") != self.service_code or not hmac.compare_digest(
            expected, h.get("X-Sign", "")
        ):
            self.bad_signatures += 1
            return self._answer(handler, 401, {"code": 401, "message": "bad signature"})
        if self._gate(handler):
            return None
        results = []
        for record in json.loads(body).get("records", []):
            self._apply(str(record["recordId"]), record)
            results.append({"recordId": record["recordId"], "code": 0})
        if self._drop(handler):
            return None
        return self._answer(handler, 200, {"code": 0, "results": results})


__all__ = ["FakeCity", "FakeViid"]
