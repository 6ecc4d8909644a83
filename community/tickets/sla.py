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

# A running ticket is "at risk" once no more than 1/AT_RISK_DIVISOR of its resolution budget is
# left. An integer divisor keeps the boundary exact (timedelta // int), where a float share
# rounded differently in Python and in SQL.
AT_RISK_DIVISOR = 4


class SLAState:
    OK = "ok"
    AT_RISK = "at_risk"
    OVERDUE = "overdue"


# The escalation level a state stands for (Ticket.escalation_level only ever goes up).
ESCALATION_NONE, ESCALATION_AT_RISK, ESCALATION_OVERDUE = 0, 1, 2
ESCALATION_LEVEL = {
    SLAState.OK: ESCALATION_NONE,
    SLAState.AT_RISK: ESCALATION_AT_RISK,
    SLAState.OVERDUE: ESCALATION_OVERDUE,
}


def sla_state(*, now: dt.datetime, due_at: dt.datetime | None, at_risk_at: dt.datetime | None) -> str:
    """THE rule: overdue from the deadline on, at risk from the at-risk mark on, else on time.

    ``TicketQuerySet.overdue`` / ``at_risk`` are the same comparisons in SQL (``<=`` on both
    marks); a property test checks they agree at every boundary.
    """
    if due_at is not None and now >= due_at:
        return SLAState.OVERDUE
    if at_risk_at is not None and now >= at_risk_at:
        return SLAState.AT_RISK
    return SLAState.OK


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
        due = self.due_at(budget, now)
        return sla_state(now=now, due_at=due, at_risk_at=at_risk_from(due, budget))


def at_risk_from(due_at: dt.datetime, budget: dt.timedelta) -> dt.datetime:
    """The instant a running clock with this deadline becomes at risk (stored for SQL filters)."""
    return due_at - budget // AT_RISK_DIVISOR
