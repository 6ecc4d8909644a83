"""What every protocol adapter produces and consumes.

An adapter turns one vendor request (an ``Inbound``: method, path, query, body as bytes) into
common ``EventIn`` records for ``access.services.access_events_ingest`` and answers with an
``Outcome``. Adapters take bytes, not Django requests, so ``device_replay`` can feed a kept
``RawDeviceMessage`` through exactly the code that first saw it.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from django.core.files.base import ContentFile


@dataclass
class Inbound:
    method: str
    path: str
    query_string: str = ""
    content_type: str = ""
    body: bytes = b""

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


# Device times outside these years are garbage, not skew (a reset clock reads 2000-01-01):
# refusing them keeps the message raw instead of overflowing a conversion to UTC.
PLAUSIBLE_YEARS = range(1990, 2200)


def aware(value: dt.datetime, tz) -> dt.datetime:
    """Naive device times are in the device's configured zone; times with an offset keep it."""
    if value.year not in PLAUSIBLE_YEARS:
        raise ValueError(f"implausible device time {value.isoformat()}")
    if value.tzinfo is None:
        return value.replace(tzinfo=tz)
    return value


def decode_text(body: bytes) -> str:
    """Device text as sent: UTF-8, else GB18030 (a superset of GBK, which Chinese firmware uses
    for names), never an exception; undecodable bytes become U+FFFD."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("gb18030", errors="replace")


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
