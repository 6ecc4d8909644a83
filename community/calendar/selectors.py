"""Reads of the calendar table: a ``WorkCalendar`` for the rules, in one query."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from .models import CalendarDay, DayKind
from .rules import DEFAULT_DAY_END, DEFAULT_DAY_START, WorkCalendar

# Deadlines reach at most a few weeks ahead; a year either side covers them and long holds.
WINDOW = dt.timedelta(days=400)


def work_calendar(
    *, around: dt.date, day_start: dt.time = DEFAULT_DAY_START, day_end: dt.time = DEFAULT_DAY_END
) -> WorkCalendar:
    rows = CalendarDay.objects.filter(date__gte=around - WINDOW, date__lte=around + WINDOW).values_list(
        "date", "kind"
    )
    holidays, workdays = set(), set()
    for day, kind in rows:
        (holidays if kind == DayKind.HOLIDAY else workdays).add(day)
    return WorkCalendar(
        tz=timezone.get_current_timezone(),
        day_start=day_start,
        day_end=day_end,
        holidays=frozenset(holidays),
        workdays=frozenset(workdays),
    )
