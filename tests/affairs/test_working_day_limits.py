"""Promised time limits count working days on the national calendar (holidays off, 调休 worked),
and time on hold for the resident's materials does not count."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from community.affairs import services, time_limits
from community.affairs.models import Application
from community.affairs.transitions import Action
from community.calendar.models import CalendarDay
from community.calendar.selectors import work_calendar
from community.residents.models import Occupancy
from tests.factories import AffairsItemFactory, StaffFactory, pdf_upload

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def _at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


@pytest.mark.django_db
def test_national_day_does_not_count_against_the_office(calendar_2026):
    cal = work_calendar(around=dt.date(2026, 10, 1))
    two_days = time_limits.budget_of(2, cal)
    assert two_days == dt.timedelta(hours=20)  # two working days of 8:00–18:00
    # Applied on Wednesday 30 September at 17:00: one hour that day, 1–7 October off, then
    # Thursday 8 and Friday 9 October.
    due, at_risk = time_limits.marks(
        cal, run_since=_at(2026, 9, 30, 17), worked=dt.timedelta(0), budget=two_days
    )
    assert due == _at(2026, 10, 9, 17)
    assert at_risk == _at(2026, 10, 9, 12)  # a quarter of the budget (5 working hours) before
    # Wall time would have given 2 October, in the middle of the holiday.


@pytest.mark.django_db
def test_a_make_up_saturday_is_a_working_day(calendar_2026):
    cal = work_calendar(around=dt.date(2026, 10, 1))
    assert cal.is_working_day(dt.date(2026, 10, 10))  # Saturday, worked for National Day
    due, _risk = time_limits.marks(
        cal, run_since=_at(2026, 10, 9, 9), worked=dt.timedelta(0), budget=time_limits.budget_of(1, cal)
    )
    assert due == _at(2026, 10, 10, 9)


@pytest.mark.django_db
def test_working_time_used_before_a_hold_is_kept(calendar_2026):
    cal = work_calendar(around=dt.date(2026, 10, 1))
    # Three working days, six hours of them used before the one-time notice; resumed on Friday
    # 9 October at 8:00: 24 hours left = Friday, the make-up Saturday, then Monday 12 until 12:00.
    due, _risk = time_limits.marks(
        cal,
        run_since=_at(2026, 10, 9, 8),
        worked=dt.timedelta(hours=6),
        budget=time_limits.budget_of(3, cal),
    )
    assert due == _at(2026, 10, 12, 12)


# --- through the services ------------------------------------------------------------------------


@pytest.fixture
def office_a(estate_a):
    from community.accounts.roles import StaffRole

    return StaffFactory(estate=estate_a, role=StaffRole.COMMUNITY_OFFICE, username="office_a")


@pytest.fixture
def fortnight_off():
    """Every day from ten days ago to ten days ahead is a holiday: whatever the day the test
    runs, nothing in that span is working time."""
    today = timezone.localdate()
    CalendarDay.objects.bulk_create(
        [CalendarDay(date=today + dt.timedelta(days=n), kind="holiday") for n in range(-10, 11)],
        ignore_conflicts=True,
    )
    CalendarDay.objects.filter(
        date__gte=today - dt.timedelta(days=10), date__lte=today + dt.timedelta(days=10)
    ).update(kind="holiday")
    return today


def _apply(household, item):
    user, unit = household
    family = Occupancy.objects.get(unit=unit, role="family").resident
    return services.application_submit(
        item=item, unit=unit, beneficiary=family, files={"id_card": pdf_upload()}, by=user
    )


@pytest.mark.django_db
def test_an_application_is_due_after_the_holidays_not_after_n_calendar_days(
    household_a, estate_a, fortnight_off
):
    item = AffairsItemFactory(estate=estate_a, time_limit_days=3)
    application = _apply(household_a, item)
    first_working_day = fortnight_off + dt.timedelta(days=11)
    assert timezone.localtime(application.due_at).date() >= first_working_day
    cal = work_calendar(around=fortnight_off)
    assert application.due_at == cal.add(application.sla_run_since, dt.timedelta(hours=30))


@pytest.mark.django_db
def test_days_on_hold_are_not_working_time_used(household_a, estate_a, office_a, fortnight_off):
    owner, _unit = household_a
    item = AffairsItemFactory(estate=estate_a, time_limit_days=3)
    application = _apply(household_a, item)
    # The application has been running for five (holiday) days when the office asks for more.
    Application.objects.filter(pk=application.pk).update(
        sla_run_since=application.sla_run_since - dt.timedelta(days=5)
    )
    application = services.application_move(
        application=application, action=Action.NOTIFY_MISSING, missing=["lease"], by=office_a
    )
    assert application.due_at is None and application.sla_worked_seconds == 0
    services.application_material_upload(application=application, key="lease", file=pdf_upload(), by=owner)
    application = services.application_move(application=application, action=Action.RESUBMIT, by=owner)
    cal = work_calendar(around=fortnight_off)
    # The whole budget is left: neither the holidays before the notice nor the hold used any.
    assert application.due_at == cal.add(application.sla_run_since, dt.timedelta(hours=30))
