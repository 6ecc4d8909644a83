from __future__ import annotations

import enum
import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field


class OutcomeKind(enum.Enum):
    DELIVERED = "delivered"  # the destination has it (including "already had it")
    RETRY = "retry"  # not known to be delivered: try again later
    REJECTED = "rejected"  # the destination refused this record for good (shown to operators)


@dataclass(frozen=True)
class Outcome:
    kind: OutcomeKind
    detail: str = ""


@dataclass(frozen=True)
class SendItem:
    delivery_id: int
    remote_key: str
    category: str
    payload: dict = field(default_factory=dict)


class TransportError(Exception):
    """The request did not get an answer we can read (down, timeout, 5xx)."""


@dataclass
class Response:
    status: int
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body.decode("utf-8"))


def http_request(
    url: str, *, method: str = "POST", body: bytes = b"", headers: dict | None = None, timeout: float = 10.0
) -> Response:
    """One HTTP exchange with the standard library; 4xx come back as a Response, not an error."""
    request = urllib.request.Request(url, data=body or None, method=method, headers=headers or {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:  # noqa: S310 - operator-set URL
            return Response(reply.status, dict(reply.headers), reply.read())
    except urllib.error.HTTPError as exc:
        return Response(exc.code, dict(exc.headers or {}), exc.read() or b"")
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
        raise TransportError(str(exc)[:300]) from exc
