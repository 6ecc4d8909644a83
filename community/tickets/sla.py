"""SLA clock arithmetic, pure (no database, no "now" read inside) so it can be property-tested.

A clock runs on wall time from ``started_at``; time spent on hold is added back, so a deadline
is ``started_at + budget + paused``. While a ticket is on hold the deadline keeps moving: it is
computed against the given ``now``. All datetimes are timezone-aware; midnight and DST have no
special meaning because the arithmetic is on absolute instants.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

# Default budgets (response, resolution) per priority when a category sets none.
DEFAULT_BUDGETS: dict[str, tuple[dt.timedelta, dt.timedelta]] = {
    "urgent": (dt.timedelta(minutes=30), dt.timedelta(hours=4)),
    "high": (dt.timedelta(hours=1), dt.timedelta(hours=24)),
    "normal": (dt.timedelta(hours=4), dt.timedelta(hours=72)),
    "low": (dt.timedelta(hours=24), dt.timedelta(days=7)),
}

# A running ticket is "at risk" once less than this share of its resolution budget is left.
AT_RISK_SHARE = 0.25


class SLAState:
    OK = "ok"
    AT_RISK = "at_risk"
    OVERDUE = "overdue"


@dataclass(frozen=True)
class Clock:
    started_at: dt.datetime
    paused_seconds: int = 0
    paused_since: dt.datetime | None = None

    @property
    def is_paused(self) -> bool:
        return self.paused_since is not None

    def pause(self, at: dt.datetime) -> Clock:
        if self.paused_since is not None:
            return self
        return replace(self, paused_since=max(at, self.started_at))

    def resume(self, at: dt.datetime) -> Clock:
        if self.paused_since is None:
            return self
        held = max(0, int((at - self.paused_since).total_seconds()))
        return replace(self, paused_seconds=self.paused_seconds + held, paused_since=None)

    def paused_total(self, now: dt.datetime) -> int:
        current = 0
        if self.paused_since is not None:
            current = max(0, int((now - self.paused_since).total_seconds()))
        return self.paused_seconds + current

    def active_seconds(self, now: dt.datetime) -> int:
        """Seconds the clock has run (wall time minus time on hold)."""
        wall = int((now - self.started_at).total_seconds())
        return max(0, wall - self.paused_total(now))

    def due_at(self, budget: dt.timedelta, now: dt.datetime | None = None) -> dt.datetime:
        """The deadline; while paused it depends on ``now`` (the hold so far is added)."""
        paused = self.paused_total(now) if (now is not None and self.is_paused) else self.paused_seconds
        return self.started_at + budget + dt.timedelta(seconds=paused)

    def remaining(self, budget: dt.timedelta, now: dt.datetime) -> dt.timedelta:
        return budget - dt.timedelta(seconds=self.active_seconds(now))

    def state(self, budget: dt.timedelta, now: dt.datetime) -> str:
        left = self.remaining(budget, now)
        if left <= dt.timedelta(0):
            return SLAState.OVERDUE
        if left < budget * AT_RISK_SHARE:
            return SLAState.AT_RISK
        return SLAState.OK


def at_risk_from(due_at: dt.datetime, budget: dt.timedelta) -> dt.datetime:
    """The instant a running clock with this deadline becomes at risk (for SQL filters)."""
    return due_at - budget * AT_RISK_SHARE
