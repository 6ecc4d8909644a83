"""The working calendar: a budget laid on working hours uses exactly that much working time,
ends inside working hours, and skips holidays but not 调休 days."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from community.calendar.models import CalendarDay
from community.calendar.rules import WorkCalendar
from community.calendar.selectors import work_calendar

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
SPRING_FESTIVAL = frozenset(dt.date(2026, 2, 15) + dt.timedelta(days=i) for i in range(9))
MAKE_UP = frozenset({dt.date(2026, 2, 14), dt.date(2026, 2, 28)})
CAL = WorkCalendar(tz=SHANGHAI, holidays=SPRING_FESTIVAL, workdays=MAKE_UP)

starts = st.datetimes(
    min_value=dt.datetime(2026, 1, 20), max_value=dt.datetime(2026, 3, 20), timezones=st.just(SHANGHAI)
)
budgets = st.integers(1, 60 * 3600).map(lambda s: dt.timedelta(seconds=s))


@given(starts, budgets)
def test_the_budget_is_used_exactly_and_ends_in_working_hours(start, budget):
    due = CAL.add(start, budget)
    assert CAL.working_time_between(start, due) == budget
    local = due.astimezone(SHANGHAI)
    assert CAL.is_working_day(local.date())
    assert dt.time(8) < local.time() <= dt.time(18)


@given(starts, budgets, budgets)
def test_adding_in_two_steps_is_adding_once(start, first, second):
    assert CAL.add(CAL.add(start, first), second) == CAL.add(start, first + second)


def test_holidays_are_skipped_and_make_up_days_worked():
    assert not CAL.is_working_day(dt.date(2026, 2, 16))  # a Monday in the Spring Festival
    assert CAL.is_working_day(dt.date(2026, 2, 14))  # a Saturday, 调休
    friday_evening = dt.datetime(2026, 2, 13, 17, 0, tzinfo=SHANGHAI)
    # One hour left on Friday, the Saturday make-up day, then nothing until the 24th.
    assert CAL.add(friday_evening, dt.timedelta(hours=1)) == dt.datetime(2026, 2, 13, 18, 0, tzinfo=SHANGHAI)
    assert CAL.add(friday_evening, dt.timedelta(hours=2)) == dt.datetime(2026, 2, 14, 9, 0, tzinfo=SHANGHAI)
    assert CAL.add(friday_evening, dt.timedelta(hours=12)) == dt.datetime(2026, 2, 24, 9, 0, tzinfo=SHANGHAI)


@pytest.mark.django_db
def test_the_current_year_is_seeded_and_editable(calendar_2026):
    assert CalendarDay.objects.filter(date=dt.date(2026, 10, 1), kind="holiday").exists()
    assert CalendarDay.objects.filter(date=dt.date(2026, 9, 20), kind="workday").exists()
    calendar = work_calendar(around=dt.date(2026, 10, 1))
    assert not calendar.is_working_day(dt.date(2026, 10, 5))
    CalendarDay.objects.filter(date=dt.date(2026, 10, 5)).delete()  # staff correct the table
    assert work_calendar(around=dt.date(2026, 10, 1)).is_working_day(dt.date(2026, 10, 5))


@pytest.mark.django_db
def test_managers_keep_the_table_in_the_admin_front_desk_reads_it(manager_a, estate_a, client_for):
    from community.accounts.roles import StaffRole
    from tests.factories import StaffFactory

    desk = StaffFactory(estate=estate_a, role=StaffRole.FRONT_DESK, username="desk_cal")
    add = {"date": "2027-01-01", "kind": "holiday", "name": "元旦"}
    assert client_for(desk).get("/admin/calendar/calendarday/").status_code == 200
    assert client_for(desk).post("/admin/calendar/calendarday/add/", add).status_code == 403
    assert not CalendarDay.objects.filter(date=dt.date(2027, 1, 1)).exists()
    response = client_for(manager_a).post("/admin/calendar/calendarday/add/", add)
    assert response.status_code == 302
    assert not work_calendar(around=dt.date(2027, 1, 1)).is_working_day(dt.date(2027, 1, 1))
