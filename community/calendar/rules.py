"""Working time, pure: which days are working days and how a working-time budget lands on the
clock. No database and no "now" inside, so hypothesis can check it.

China's calendar is weekdays, minus the statutory holidays (法定节假日), plus the make-up working
days (调休) on weekends that the State Council announces each year. Working hours are one span a
day (8:00–18:00 by default). ``WorkCalendar.add`` answers "when is this budget used up if the
clock runs only in working hours?"; ``working_time_between`` is its inverse (for tests, reports).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

DEFAULT_DAY_START = dt.time(8, 0)
DEFAULT_DAY_END = dt.time(18, 0)
# A calendar with no working day for this long is a mistake (a table filled wrongly), not a plan.
MAX_SEARCH_DAYS = 3 * 366


@dataclass(frozen=True)
class WorkCalendar:
    tz: dt.tzinfo
    day_start: dt.time = DEFAULT_DAY_START
    day_end: dt.time = DEFAULT_DAY_END
    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    workdays: frozenset[dt.date] = field(default_factory=frozenset)  # 调休: weekend days worked

    def __post_init__(self):
        if self.day_end <= self.day_start:
            raise ValueError("the working day must end after it starts")

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.holidays:
            return False
        if day in self.workdays:
            return True
        return day.weekday() < 5

    def _span(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        return (
            dt.datetime.combine(day, self.day_start, tzinfo=self.tz),
            dt.datetime.combine(day, self.day_end, tzinfo=self.tz),
        )

    def add(self, start: dt.datetime, budget: dt.timedelta) -> dt.datetime:
        """The instant ``budget`` of working time after ``start`` is used up."""
        local = start.astimezone(self.tz)
        day, left = local.date(), budget
        for _ in range(MAX_SEARCH_DAYS):
            if self.is_working_day(day):
                opens, closes = self._span(day)
                begin = max(opens, local)
                if begin < closes:
                    available = closes - begin
                    if left <= available:
                        return (begin + left).astimezone(start.tzinfo)
                    left -= available
            day += dt.timedelta(days=1)
            local = dt.datetime.combine(day, dt.time(0), tzinfo=self.tz)
        raise ValueError("no working day within three years: check the calendar table")

    def working_time_between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Working time in ``[start, end)``."""
        if end <= start:
            return dt.timedelta(0)
        total = dt.timedelta(0)
        day, last = start.astimezone(self.tz).date(), end.astimezone(self.tz).date()
        while day <= last:
            if self.is_working_day(day):
                opens, closes = self._span(day)
                begin, finish = max(opens, start), min(closes, end)
                if begin < finish:
                    total += finish - begin
            day += dt.timedelta(days=1)
        return total
