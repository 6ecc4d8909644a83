"""Realistic device traffic over HTTP, in each protocol, for the demo and the benchmarks.

``manage.py simulate_devices`` plays it against a running server so the live feed moves:
rush-hour entries, denied cards, visitor QR scans, heartbeats, an offline buffer flushed late
and a duplicate resend. ``bench/access_ingest.py`` reuses the message builders. About 400
lines: one builder per protocol plus the scenario, kept together so the three stay in step.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import random
import time
import uuid
from urllib.parse import urlsplit

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
# A valid 1x1 JPEG, as the face picture of Hikvision events.
TINY_JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c1912130f141d1a1f1e1d"
    "1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc0000b080001000101011100ffc4001f000001050101"
    "0101010100000000000000000102030405060708090a0bffc400b5100002010303020403050504040000017d010203000411051221314106"
    "13516107227114328191a1082342b1c11552d1f02433627282090a161718191a25262728292a3435363738393a434445464748494a535455"
    "565758595a636465666768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9ba"
    "c2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffda0008010100003f00fbd3ffd9"
)


class HttpDevice:
    """One keep-alive HTTP connection, as one device (or one benchmark client) holds."""

    def __init__(self, base_url: str, *, timeout: float = 10):
        parts = urlsplit(base_url)
        self.host, self.port = (
            parts.hostname or "127.0.0.1",
            parts.port or (443 if parts.scheme == "https" else 80),
        )
        self.https = parts.scheme == "https"
        self.timeout = timeout
        self.connection: http.client.HTTPConnection | None = None

    def _connect(self):
        cls = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
        self.connection = cls(self.host, self.port, timeout=self.timeout)

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> tuple[int, bytes]:
        for attempt in range(2):
            if self.connection is None:
                self._connect()
            try:
                self.connection.request(method, path, body=body, headers=headers or {})
                response = self.connection.getresponse()
                return response.status, response.read()
            except (http.client.HTTPException, ConnectionError, OSError):
                self.connection.close()
                self.connection = None
                if attempt:
                    raise
        raise RuntimeError("unreachable")

    def post_json(self, path: str, data, token: str | None = None) -> tuple[int, bytes]:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.request("POST", path, json.dumps(data, ensure_ascii=False).encode(), headers)

    def close(self):
        if self.connection is not None:
            self.connection.close()


# --- message builders -------------------------------------------------------------------------


def native_event(
    event_id: str,
    at: dt.datetime,
    *,
    result="granted",
    method="card",
    direction="in",
    card: str | None = None,
    replayed: bool = False,
    reason: str = "",
) -> dict:
    event = {
        "event_id": event_id,
        "occurred_at": at.isoformat(timespec="seconds"),
        "direction": direction,
        "method": method,
        "result": result,
    }
    if reason:
        event["reason"] = reason
    if card:
        event["credential"] = {"type": "card", "value": card}
    if replayed:
        event["replayed"] = True
    return event


def zk_attlog_line(pin: str | int, at: dt.datetime, *, status: int = 0, verify: int = 15) -> str:
    local = at.astimezone(SHANGHAI)
    return f"{pin}\t{local:%Y-%m-%d %H:%M:%S}\t{status}\t{verify}\t0\t0\t0"


def zk_rtlog_line(
    index: int, at: dt.datetime, *, card: str = "", pin: str = "0", event: int = 0, inout: int = 0
) -> str:
    local = at.astimezone(SHANGHAI)
    return (
        f"time={local:%Y-%m-%d %H:%M:%S}\tpin={pin}\tcardno={card or 0}\teventaddr=1\tevent={event}"
        f"\tinoutstatus={inout}\tverifytype={4 if card else 15}\tindex={index}"
    )


def hik_event(
    serial: int,
    at: dt.datetime,
    *,
    minor: int = 0x4B,
    employee: str = "",
    card: str = "",
    retransmission: bool = False,
) -> dict:
    data = {
        "ipAddress": "192.168.1.64",
        "portNo": 80,
        "protocol": "HTTP",
        "macAddress": "a4:d5:c2:24:dd:74",
        "channelID": 1,
        "dateTime": at.astimezone(SHANGHAI).isoformat(timespec="seconds"),
        "activePostCount": 2 if retransmission else 1,
        "eventType": "AccessControllerEvent",
        "eventState": "active",
        "eventDescription": "Access Controller Event",
        "AccessControllerEvent": {
            "majorEventType": 5,
            "subEventType": minor,
            "employeeNoString": employee,
            "cardNo": card,
            "cardReaderNo": 1,
            "serialNo": serial,
            "frontSerialNo": serial - 1,
            "currentVerifyMode": "cardOrFace",
            "attendanceStatus": "undefined",
            "mask": "no",
        },
    }
    if retransmission:
        data["isDataRetransmission"] = True
    return data


def hik_heartbeat(at: dt.datetime) -> dict:
    return {
        "ipAddress": "192.168.1.64",
        "dateTime": at.astimezone(SHANGHAI).isoformat(timespec="seconds"),
        "activePostCount": 1,
        "eventType": "heartBeat",
        "eventState": "inactive",
        "eventDescription": "heartBeat",
    }


def hik_multipart(document: dict, image: bytes | None = TINY_JPEG) -> tuple[bytes, str]:
    boundary = "MIME_boundary_" + uuid.uuid4().hex[:8]
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="event_log"\r\nContent-Type: application/json\r\n'
        f"\r\n{json.dumps(document, ensure_ascii=False)}\r\n"
    ).encode()
    if image:
        body += (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="Picture"; filename="face.jpg"\r\n'
                f"Content-Type: image/jpeg\r\n\r\n"
            ).encode()
            + image
            + b"\r\n"
        )
    return body + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


# --- the demo scenario ------------------------------------------------------------------------


class Simulation:
    """Plays the demo devices. ``cards``: resident card numbers; ``pins``: ZKTeco PINs;
    ``visitor_tokens``: QR payloads of valid visitor passes."""

    def __init__(
        self,
        base_url: str,
        *,
        native_token: str,
        hik_token: str,
        zk_serial: str,
        cards: list[str],
        pins: list[str],
        visitor_tokens: list[str],
        log=print,
        seed: int | None = None,
    ):
        self.http = HttpDevice(base_url)
        self.native_token, self.hik_token, self.zk_serial = native_token, hik_token, zk_serial
        self.cards, self.pins, self.visitor_tokens = cards or ["0000000001"], pins or ["1"], visitor_tokens
        self.log = log
        self.rng = random.Random(seed)
        self.run_id = uuid.uuid4().hex[:6]
        self.counter = 0
        self.hik_serial = int(time.time()) % 1_000_000 * 10
        self.zk_index = int(time.time()) % 1_000_000 * 10
        self.offline_buffer: list[dict] = []
        self.last_native_batch: list[dict] = []

    def _id(self) -> str:
        self.counter += 1
        return f"sim-{self.run_id}-{self.counter}"

    def _say(self, what: str, status: int, body: bytes) -> None:
        self.log(f"{what}: HTTP {status} {body[:120].decode(errors='replace')}")

    def handshake(self):
        status, body = self.http.request(
            "GET", f"/iclock/cdata?SN={self.zk_serial}&options=all&pushver=2.4.1"
        )
        self._say("zkteco handshake", status, body.splitlines()[0] if body else b"")
        self.heartbeats()

    def heartbeats(self):
        self._say(
            "native heartbeat",
            *self.http.post_json("/api/v1/devices/heartbeat", {"firmware": "sim"}, self.native_token),
        )
        body, content_type = hik_multipart(hik_heartbeat(dt.datetime.now(dt.UTC)), image=None)
        self._say(
            "hikvision heartbeat",
            *self.http.request(
                "POST", f"/isapi/{self.hik_token}/events", body, {"Content-Type": content_type}
            ),
        )
        _status, body = self.http.request("GET", f"/iclock/getrequest?SN={self.zk_serial}")
        self._answer_commands(body)

    def _answer_commands(self, body: bytes):
        results = []
        for line in body.decode(errors="replace").splitlines():
            if line.startswith("C:"):
                command_id = line.split(":", 2)[1]
                results.append(f"ID={command_id}&Return=0&CMD=DATA")
        if results:
            self._say(
                "zkteco command results",
                *self.http.request(
                    "POST",
                    f"/iclock/devicecmd?SN={self.zk_serial}",
                    "\n".join(results).encode(),
                    {"Content-Type": "text/plain"},
                ),
            )

    def native_rush(self, n: int):
        now = dt.datetime.now(dt.UTC)
        events = []
        for _ in range(n):
            denied = self.rng.random() < 0.1
            card = "9999" + str(self.rng.randrange(10**6)) if denied else self.rng.choice(self.cards)
            events.append(
                native_event(
                    self._id(),
                    now - dt.timedelta(seconds=self.rng.randrange(5)),
                    result="denied" if denied else "granted",
                    card=card,
                    reason="credential_unknown" if denied else "",
                    direction=self.rng.choice(["in", "in", "out"]),
                )
            )
        self.last_native_batch = events
        self._say(
            f"native batch of {n}",
            *self.http.post_json("/api/v1/devices/events", {"events": events}, self.native_token),
        )

    def native_duplicate_resend(self):
        if self.last_native_batch:
            self._say(
                "native duplicate resend",
                *self.http.post_json(
                    "/api/v1/devices/events", {"events": self.last_native_batch}, self.native_token
                ),
            )

    def native_offline_flush(self, n: int = 20):
        """A gate that lost its network for two hours sends its buffer late."""
        start = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
        events = [
            native_event(
                self._id(),
                start + dt.timedelta(minutes=5 * i),
                card=self.rng.choice(self.cards),
                replayed=True,
            )
            for i in range(n)
        ]
        self._say(
            f"native offline buffer of {n}",
            *self.http.post_json("/api/v1/devices/events", {"events": events}, self.native_token),
        )

    def zkteco_uploads(self, n: int):
        now = dt.datetime.now(dt.UTC)
        lines = [
            zk_attlog_line(
                self.rng.choice(self.pins), now - dt.timedelta(seconds=i), status=self.rng.choice([0, 1])
            )
            for i in range(n)
        ]
        self._say(
            f"zkteco ATTLOG x{n}",
            *self.http.request(
                "POST",
                f"/iclock/cdata?SN={self.zk_serial}&table=ATTLOG&Stamp={int(time.time())}",
                "\r\n".join(lines).encode() + b"\r\n",
                {"Content-Type": "text/plain"},
            ),
        )
        self.zk_index += 1
        denied = zk_rtlog_line(self.zk_index, now, card="12" + str(self.rng.randrange(10**6)), event=27)
        self._say(
            "zkteco rtlog denied card",
            *self.http.request(
                "POST",
                f"/iclock/cdata?SN={self.zk_serial}&table=rtlog",
                denied.encode(),
                {"Content-Type": "text/plain"},
            ),
        )

    def hikvision_faces(self, n: int):
        for _ in range(n):
            self.hik_serial += 1
            minor = 0x4C if self.rng.random() < 0.08 else 0x4B
            body, content_type = hik_multipart(
                hik_event(
                    self.hik_serial, dt.datetime.now(dt.UTC), minor=minor, employee=self.rng.choice(self.pins)
                )
            )
            self._say(
                f"hikvision face {'fail' if minor == 0x4C else 'pass'}",
                *self.http.request(
                    "POST", f"/isapi/{self.hik_token}/events", body, {"Content-Type": content_type}
                ),
            )
        # The terminal retransmits the last one.
        body, content_type = hik_multipart(
            hik_event(self.hik_serial, dt.datetime.now(dt.UTC), retransmission=True)
        )
        self._say(
            "hikvision retransmission",
            *self.http.request(
                "POST", f"/isapi/{self.hik_token}/events", body, {"Content-Type": content_type}
            ),
        )

    def visitor_scan(self):
        if not self.visitor_tokens:
            return
        self._say(
            "visitor QR scan",
            *self.http.post_json(
                "/api/v1/devices/verify",
                {"type": "qr", "value": self.rng.choice(self.visitor_tokens)},
                self.native_token,
            ),
        )

    def round(self, rate: float):
        self.native_rush(max(1, int(rate * 3)))
        self.zkteco_uploads(max(1, int(rate)))
        self.hikvision_faces(max(1, int(rate // 2) or 1))
        if self.rng.random() < 0.3:
            self.visitor_scan()
        if self.rng.random() < 0.1:
            self.native_duplicate_resend()

    def run(self, *, duration: float, rate: float, interval: float = 3.0):
        self.handshake()
        started = time.monotonic()
        rounds = 0
        while True:
            self.round(rate)
            rounds += 1
            if rounds == 2:
                self.native_offline_flush()
            if rounds % 5 == 0:
                self.heartbeats()
            if time.monotonic() - started >= duration:
                break
            time.sleep(interval)
        self.http.close()
        return rounds
