"""Promised time limits in working days, on the national working calendar.

Government time limits count working days (行政许可法 Art. 82: 期限以工作日计算，不含法定节假日):
weekends and statutory holidays do not count, the make-up working days (调休) announced by the
State Council do. ``community.calendar`` holds that table; its ``WorkCalendar`` runs a budget of
working time through it. An item's limit of N working days is N whole working days of office
hours (8:00–18:00): applied for on Friday at 17:00 with one working day, it is due on Monday at
17:00 — or on the Tuesday when the Monday is a holiday, or on the Saturday when that Saturday is
worked.

The clock stops while the office waits for the resident's materials (the one-time notice). The
ticket engine's ``Clock`` adds the wall time on hold to the deadline, which is right for tickets
on wall time but not here (three days on hold over a weekend are one working day), so an
application keeps the working time already used in ``sla_worked_seconds`` and the start of the
current run in ``sla_run_since``; the deadline is the remaining budget run on from there.
Pure functions: the calendar is passed in.
"""

from __future__ import annotations

import datetime as dt

from community.calendar.rules import WorkCalendar
from community.tickets.sla import AT_RISK_DIVISOR


def working_day_length(calendar: WorkCalendar) -> dt.timedelta:
    return dt.datetime.combine(dt.date.min, calendar.day_end) - dt.datetime.combine(
        dt.date.min, calendar.day_start
    )


def budget_of(days: int, calendar: WorkCalendar) -> dt.timedelta:
    """N working days as working time."""
    return days * working_day_length(calendar)


def marks(
    calendar: WorkCalendar, *, run_since: dt.datetime, worked: dt.timedelta, budget: dt.timedelta
) -> tuple[dt.datetime, dt.datetime]:
    """(due, at risk) of a running clock: the rest of the budget, and of its first three quarters
    (the ticket engine's at-risk share), run through the calendar from ``run_since``."""
    due = calendar.add(run_since, max(budget - worked, dt.timedelta(0)))
    at_risk = calendar.add(run_since, max(budget - budget // AT_RISK_DIVISOR - worked, dt.timedelta(0)))
    return due, at_risk
