"""What every protocol adapter produces and consumes, and helpers for vendor data.

An adapter turns one vendor request (an ``Inbound``: method, path, query, body as bytes) into
common ``EventIn`` records for ``access.services.access_events_ingest`` and answers with an
``Outcome``. Adapters take bytes, not Django requests, so ``access.replay`` can feed a kept
``RawDeviceMessage`` through exactly the code that first saw it. The shared types live in
``access.inbound`` (the services use them too); they are re-exported here for the adapters.
"""

from __future__ import annotations

import datetime as dt

from access.inbound import EventError, EventIn, Inbound, Outcome, scrub, scrub_json, storable

__all__ = [
    "PLAUSIBLE_YEARS",
    "EventError",
    "EventIn",
    "Inbound",
    "Outcome",
    "aware",
    "decode_text",
    "scrub",
    "scrub_json",
    "storable",
]

# Device times outside these years are garbage, not skew (a reset clock reads 2000-01-01):
# refusing them keeps the message raw instead of overflowing a conversion to UTC.
PLAUSIBLE_YEARS = range(1990, 2200)
# Every real time zone lies between UTC-12 and UTC+14; PostgreSQL refuses a displacement past
# ±15:59, which would sink the whole batch the event came in.
MAX_UTC_OFFSET = dt.timedelta(hours=14)


def aware(value: dt.datetime, tz) -> dt.datetime:
    """Naive device times are in the device's configured zone; times with an offset keep it."""
    if value.year not in PLAUSIBLE_YEARS:
        raise ValueError(f"implausible device time {value.isoformat()}")
    if value.tzinfo is None:
        return value.replace(tzinfo=tz)
    offset = value.utcoffset()
    if offset is not None and abs(offset) > MAX_UTC_OFFSET:
        raise ValueError(f"implausible UTC offset in {value.isoformat()}")
    return value


def decode_text(body: bytes) -> str:
    """Device text as sent: UTF-8, else GB18030 (a superset of GBK, which Chinese firmware uses
    for names), never an exception; undecodable bytes become U+FFFD."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("gb18030", errors="replace")
