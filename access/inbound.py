"""What a device request is once read, and what the platform stores from it.

``Inbound`` (one vendor request as bytes), ``EventIn`` (one access event in the platform's
terms), ``Outcome`` (the answer an adapter gives) and making device text storable. The protocol
adapters (``access.protocols``) produce these and the services (``access.services``) consume
them; neither package imports the other's internals through here, so the two stay acyclic.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from django.core.files.base import ContentFile

from community.errors import text_too_long

from .models import AccessEvent


@dataclass
class Inbound:
    method: str
    path: str
    query_string: str = ""
    content_type: str = ""
    body: bytes = b""
    # The caller's address (as far as the trusted proxies say): where a command was handed out
    # and where its acknowledgement came from are compared (ZKTeco "unconfirmed").
    address: str = ""

    @property
    def query(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(self.query_string, keep_blank_values=True).items()}


@dataclass
class Outcome:
    status: int
    body: bytes | str
    content_type: str = "text/plain"
    # Problems with parts of the message; non-empty means "keep the raw message for replay".
    errors: list[str] = field(default_factory=list)


@dataclass
class EventIn:
    """One access event in the platform's terms, before it is stored."""

    key: str
    occurred_at: dt.datetime
    result: str
    direction: str = "unknown"
    method: str = "other"
    reason: str = ""
    gate_id: int | None = None
    credential_kind: str = ""
    credential_value: str = ""
    plate: str = ""
    vendor_code: str = ""
    replayed: bool = False
    snapshot: ContentFile | None = None
    visitor_pass_id: int | None = None
    resident_id: int | None = None
    credential_id: int | None = None


class EventError(ValueError):
    """An event that cannot be stored; ``errors`` maps a field to what is wrong with it."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def storable(value: str) -> bool:
    """Whether the database can store this text: PostgreSQL refuses NUL characters in text and
    jsonb, and a lone surrogate (valid in JSON ``\\ud800``) cannot be encoded as UTF-8."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def scrub(value: str) -> str:
    """Make text storable by dropping what the database refuses (for logs and kept messages)."""
    if storable(value):
        return value
    return value.replace("\x00", "").encode("utf-8", errors="replace").decode("utf-8")


def scrub_json(value):
    """``scrub`` applied to every string (keys too) of a JSON-like value."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None  # jsonb has no NaN or Infinity
    if isinstance(value, dict):
        return {scrub(str(k)): scrub_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_json(v) for v in value]
    return value


# The largest primary key the database holds (a signed 64-bit integer): a device's number past
# it names nothing, and handing it to the database fails the whole statement (SQLite raises
# OverflowError, PostgreSQL an out-of-range error).
MAX_ID = 2**63 - 1


def is_id(value: int) -> bool:
    """Whether ``value`` can be a primary key (so a look-up by it is meaningful and safe)."""
    return 0 < value <= MAX_ID


# EventIn text fields and the AccessEvent columns that bound their length.
_BOUNDED = {
    "key": "idempotency_key",
    "reason": "reason",
    "credential_value": "credential_value",
    "plate": "plate",
    "vendor_code": "vendor_code",
}


@functools.cache
def column_limit(column: str) -> int:
    """The stored length limit of an AccessEvent text column (the model is the one source)."""
    return AccessEvent._meta.get_field(column).max_length


def too_long(event: EventIn) -> dict[str, str]:
    """What of ``event`` would not fit its column: a field -> message map, empty when all fit.
    Nothing is ever cut to fit: an over-long value is refused."""
    errors = {}
    for name, column in _BOUNDED.items():
        if message := text_too_long(getattr(event, name), column_limit(column)):
            errors[name] = message
    return errors
