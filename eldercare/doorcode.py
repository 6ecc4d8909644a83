"""The elder's daily door code: 6 digits from an HMAC of the elder and the date.

Nothing per day is stored: the station prints a month of codes on a card that hangs inside
the elder's door, the family portal shows today's, and a worker who types it proves they
stood inside. Rotating the elder's salt invalidates a lost card.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import hmac

from django.conf import settings

DIGITS = 6


def _key() -> bytes:
    # A key of its own, derived from the site secret, so the codes say nothing about it.
    return hashlib.sha256(b"eldercare.door-code:" + settings.SECRET_KEY.encode()).digest()


def door_code(*, elder_id: int, salt: str, on: dt.date) -> str:
    mac = hmac.new(_key(), f"{elder_id}:{salt}:{on.isoformat()}".encode(), hashlib.sha256).digest()
    return f"{int.from_bytes(mac[:8], 'big') % 10**DIGITS:0{DIGITS}d}"


def door_code_matches(*, elder_id: int, salt: str, on: dt.date, code: str) -> bool:
    given = (code or "").strip()
    return hmac.compare_digest(given.encode(), door_code(elder_id=elder_id, salt=salt, on=on).encode())


def month_card(*, elder_id: int, salt: str, year: int, month: int) -> list[tuple[dt.date, str]]:
    days = calendar.monthrange(year, month)[1]
    return [
        (day, door_code(elder_id=elder_id, salt=salt, on=day))
        for day in (dt.date(year, month, d) for d in range(1, days + 1))
    ]
