"""City data-exchange push: our own signed-JSON specification (docs/exchange-city-push.md).

``POST <endpoint>`` with the body ``{"records": [{"recordId": …, "category": …, "data": {…}}]}``
and four headers: ``X-Service-Code``, ``X-Tran-Id`` (unique per request), ``X-Req-Time``
(YYYYMMDDhhmmss, Beijing time) and ``X-Sign`` = lowercase hex of
HMAC-SHA256(secret, tranId + reqTime + body), the body being the exact bytes sent.
The city answers ``{"code": 0, "results": [{"recordId": …, "code": 0 | 1 | 2}]}``: 0 stored (or
already stored: ``recordId`` is the idempotency key), 1 try again, 2 refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import uuid
import zoneinfo

from .base import Outcome, OutcomeKind, SendItem, TransportError, http_request

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def city_sign(*, secret: str, tran_id: str, req_time: str, body: bytes) -> str:
    message = tran_id.encode() + req_time.encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def city_body(category: str, items: list[SendItem]) -> bytes:
    records = [{"recordId": i.remote_key, "category": category, "data": i.payload} for i in items]
    return json.dumps(
        {"records": records}, ensure_ascii=False, separators=(",", ":"), sort_keys=True
    ).encode()


class CityPushAdapter:
    def __init__(self, *, endpoint: str, service_code: str, secret: str, timeout: float = 10.0, clock=None):
        self.endpoint, self.service_code, self.secret = endpoint, service_code, secret
        self.timeout = timeout
        self.clock = clock or (lambda: dt.datetime.now(SHANGHAI))

    def routable(self, category: str) -> bool:
        return True

    def send(self, category: str, items: list[SendItem]) -> dict[int, Outcome]:
        body = city_body(category, items)
        tran_id = uuid.uuid4().hex
        req_time = f"{self.clock().astimezone(SHANGHAI):%Y%m%d%H%M%S}"
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-Service-Code": self.service_code,
            "X-Tran-Id": tran_id,
            "X-Req-Time": req_time,
            "X-Sign": city_sign(secret=self.secret, tran_id=tran_id, req_time=req_time, body=body),
        }
        reply = http_request(self.endpoint, body=body, headers=headers, timeout=self.timeout)
        if reply.status != 200:
            raise TransportError(f"HTTP {reply.status}")
        try:
            answer = reply.json()
            results = {str(r["recordId"]): int(r["code"]) for r in answer.get("results", [])}
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise TransportError("unreadable answer") from exc
        outcomes = {}
        for item in items:
            code = results.get(item.remote_key)
            if code == 0:
                outcomes[item.delivery_id] = Outcome(OutcomeKind.DELIVERED)
            elif code == 2:
                outcomes[item.delivery_id] = Outcome(OutcomeKind.REJECTED, "refused by the city platform")
            else:
                outcomes[item.delivery_id] = Outcome(OutcomeKind.RETRY, f"code {code}")
        return outcomes
