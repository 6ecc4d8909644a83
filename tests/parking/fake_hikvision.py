"""A local fake Hikvision ANPR camera: ISAPI over HTTP with Digest authentication, keeping its
own allow-list as the real one does (add/change by id, remove by id)."""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REALM = "IP Camera(E1234)"
OK = {"statusCode": 1, "statusString": "OK", "subStatusCode": "ok"}


class FakeCamera:
    def __init__(self, *, username: str = "admin", password: str = "secret") -> None:
        self.username, self.password = username, password
        self.nonce = secrets.token_hex(8)
        self.allow_list: dict[str, dict] = {}  # id -> LicensePlateInfo
        self.calls: list[tuple[str, str]] = []  # (method, path) of authenticated calls
        self.refuse = False  # answer statusCode 4 (as a camera whose list is full)
        camera = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, status: int, body: dict | None = None, headers: dict | None = None):
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_PUT(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if not camera.authorised(self.command, self.headers.get("Authorization", "")):
                    self._answer(
                        401,
                        headers={
                            "WWW-Authenticate": f'Digest realm="{REALM}", nonce="{camera.nonce}", qop="auth"'
                        },
                    )
                    return
                camera.calls.append((self.command, self.path))
                if camera.refuse:
                    self._answer(
                        200, {"statusCode": 4, "statusString": "Invalid Operation", "subStatusCode": "full"}
                    )
                    return
                data = json.loads(body)
                if self.path.endswith("/licensePlateAuditData/record?format=json"):
                    for item in data["LicensePlateInfoList"]:
                        assert item["listType"] == "whiteList"
                        camera.allow_list[item["id"]] = item
                elif self.path.endswith("/DelLicensePlateAuditData?format=json"):
                    if data.get("deleteAllEnabled") is not False:
                        camera.allow_list.clear()  # the worst reading of a body that does not say "only these"
                    for item_id in data["id"]:
                        camera.allow_list.pop(item_id, None)
                else:
                    self._answer(404, {"statusCode": 4, "subStatusCode": "notSupport"})
                    return
                self._answer(200, OK)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def authorised(self, method: str, header: str) -> bool:
        if not header.startswith("Digest "):
            return False
        fields = {}
        for part in header[7:].split(","):
            key, _, value = part.strip().partition("=")
            fields[key] = value.strip('"')
        ha1 = hashlib.md5(f"{self.username}:{REALM}:{self.password}".encode()).hexdigest()
        ha2 = hashlib.md5(f"{method}:{fields.get('uri')}".encode()).hexdigest()
        expected = hashlib.md5(
            f"{ha1}:{self.nonce}:{fields.get('nc')}:{fields.get('cnonce')}:auth:{ha2}".encode()
        ).hexdigest()
        return fields.get("response") == expected

    @property
    def plates(self) -> set[str]:
        return {item["LicensePlate"] for item in self.allow_list.values()}

    def __enter__(self) -> FakeCamera:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
