"""Reminders (催缴) as pure rules: which level a bill has reached, on which channel, and
whether now is a quiet hour. No clock inside: ``now`` / ``days`` are arguments.

Reminding is all the platform does about arrears: nothing restricts a service (gates, lifts,
parking, water, power) to collect a fee (Civil Code Art. 944), and there is no such action.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReminderChannel(models.TextChoices):
    IN_APP = "in_app", _("In-app message")
    SMS = "sms", _("SMS")
    PRINTED = "printed", _("Printed notice")
    VISIT = "visit", _("Visit by staff")


# (days overdue from, level, channel): the highest level reached is the one sent.
LEVELS: list[tuple[int, int, str]] = [
    (1, 1, ReminderChannel.IN_APP),
    (15, 2, ReminderChannel.SMS),
    (45, 3, ReminderChannel.PRINTED),
    (90, 4, ReminderChannel.VISIT),
]
# Messages to a phone wait for the morning: nothing between 21:00 and 08:00 local time.
QUIET_FROM, QUIET_UNTIL = dt.time(21, 0), dt.time(8, 0)
ELECTRONIC = frozenset({ReminderChannel.IN_APP, ReminderChannel.SMS})


def level_for(days_overdue: int) -> tuple[int, str] | None:
    reached = [(level, channel) for start, level, channel in LEVELS if days_overdue >= start]
    return reached[-1] if reached else None


def is_quiet(local_time: dt.time) -> bool:
    return local_time >= QUIET_FROM or local_time < QUIET_UNTIL


def may_send(*, channel: str, local_time: dt.time, disputed: bool) -> bool:
    """A dispute holds every reminder; quiet hours hold the electronic ones."""
    if disputed:
        return False
    return not (channel in ELECTRONIC and is_quiet(local_time))


def mask_name(name: str) -> str:
    """张三丰 → 张**: an arrears notice on the board names nobody in full."""
    name = (name or "").strip()
    return name[:1] + "*" * max(len(name) - 1, 1) if name else "*"
