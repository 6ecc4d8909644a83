"""What every protocol adapter produces and consumes.

An adapter turns one vendor request (an ``Inbound``: method, path, query, body as bytes) into
common ``EventIn`` records for ``access.services.access_events_ingest`` and answers with an
``Outcome``. Adapters take bytes, not Django requests, so ``device_replay`` can feed a kept
``RawDeviceMessage`` through exactly the code that first saw it.
"""

from __future__ import annotations

import datetime as dt
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


def aware(value: dt.datetime, tz) -> dt.datetime:
    """Naive device times are in the device's configured zone; times with an offset keep it."""
    if value.tzinfo is None:
        return value.replace(tzinfo=tz)
    return value
