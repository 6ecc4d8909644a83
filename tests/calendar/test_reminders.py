"""Next year's holidays not entered: the managers are told, once each, and the calendar's admin
says so, because deadlines would otherwise count Spring Festival as working days silently."""

import datetime as dt

from django.core.management import call_command

from community.calendar.models import CalendarDay, DayKind
from community.calendar.services import calendar_gaps_remind, calendar_years_missing
from community.notifications.models import Notification
from community.residents.models import StaffRole
from tests.factories import StaffFactory

BY = "system:test"


def _told(year):
    return Notification.objects.filter(verb="calendar.year_missing", params__year=year)


def test_managers_are_told_once_when_next_years_calendar_is_missing(estate_a, manager_a, manager_b):
    technician = StaffFactory(estate=estate_a, role=StaffRole.TECHNICIAN)
    CalendarDay.objects.filter(date__year__in=[2030, 2031]).delete()
    CalendarDay.objects.create(date=dt.date(2030, 1, 1), kind=DayKind.HOLIDAY, name="元旦")
    november = dt.date(2030, 11, 20)
    assert calendar_years_missing(today=november) == [2031]

    assert calendar_gaps_remind(by=BY, today=november) == 2
    assert set(_told(2031).values_list("recipient_id", flat=True)) == {manager_a.pk, manager_b.pk}
    assert not Notification.objects.filter(recipient=technician).exists()
    notification = _told(2031).get(recipient=manager_a)
    assert notification.url == "/admin/calendar/calendarday/"
    manager_a.language = "zh-hans"
    assert "2031年的节假日安排尚未录入" in notification.title_for(manager_a)
    manager_a.language = "en"
    assert notification.title_for(manager_a).startswith("The 2031 holiday calendar has not been entered")

    # Daily runs: nobody is told twice; a new manager is told on the next run.
    assert calendar_gaps_remind(by=BY, today=november + dt.timedelta(days=1)) == 0
    newcomer = StaffFactory(estate=estate_a, role=StaffRole.MANAGER)
    assert calendar_gaps_remind(by=BY, today=november + dt.timedelta(days=2)) == 1
    assert _told(2031).filter(recipient=newcomer).exists()

    # Entered: nothing more to say.
    CalendarDay.objects.create(date=dt.date(2031, 1, 1), kind=DayKind.HOLIDAY, name="元旦")
    newcomer_2 = StaffFactory(estate=estate_a, role=StaffRole.MANAGER)
    assert calendar_gaps_remind(by=BY, today=november + dt.timedelta(days=3)) == 0
    assert not _told(2031).filter(recipient=newcomer_2).exists()


def test_the_permission_decides_who_is_told(estate_a, superuser):
    front_desk = StaffFactory(estate=estate_a, role=StaffRole.FRONT_DESK)  # may only look
    manager = StaffFactory(estate=estate_a, role=StaffRole.MANAGER)
    CalendarDay.objects.filter(date__year__in=[2030, 2031]).delete()
    CalendarDay.objects.create(date=dt.date(2030, 1, 1), kind=DayKind.HOLIDAY, name="元旦")
    assert calendar_gaps_remind(by=BY, today=dt.date(2030, 11, 20)) == 2
    assert set(_told(2031).values_list("recipient_id", flat=True)) == {manager.pk, superuser.pk}
    assert not _told(2031).filter(recipient=front_desk).exists()


def test_next_year_is_checked_from_november_and_this_year_always(manager_a):
    CalendarDay.objects.filter(date__year__in=[2030, 2031]).delete()
    CalendarDay.objects.create(date=dt.date(2030, 10, 1), kind=DayKind.HOLIDAY, name="国庆节")
    assert calendar_years_missing(today=dt.date(2030, 10, 31)) == []
    assert calendar_gaps_remind(by=BY, today=dt.date(2030, 10, 31)) == 0
    assert calendar_years_missing(today=dt.date(2030, 11, 1)) == [2031]
    CalendarDay.objects.filter(date__year=2030).delete()
    assert calendar_years_missing(today=dt.date(2030, 3, 1)) == [2030]


def test_the_command_runs_the_same_reminder(manager_a, capsys):
    missing = calendar_years_missing()
    call_command("calendar_gaps_remind")
    out = capsys.readouterr().out
    assert out.strip() == f"sent {len(missing)} reminder(s)"
    for year in missing:
        assert _told(year).filter(recipient=manager_a).exists()


def test_the_calendar_admin_warns_of_a_missing_year(client_for, manager_a, in_english):
    from django.utils import timezone

    this_year = timezone.localdate().year
    CalendarDay.objects.filter(date__year__in=[this_year, this_year + 1]).delete()
    client = client_for(manager_a)
    page = client.get("/admin/calendar/calendarday/").content.decode()
    assert f"No day of {this_year} is entered" in page
    for year in (this_year, this_year + 1):
        CalendarDay.objects.create(date=dt.date(year, 1, 1), kind=DayKind.HOLIDAY, name="元旦")
    assert "is entered: deadlines" not in client.get("/admin/calendar/calendarday/").content.decode()


def test_a_message_naming_its_year_twice_is_recognised_as_legacy_text_in_both_languages():
    from django.utils import translation

    from community.notifications.messages import match_legacy, render

    for language in ("en", "zh-hans"):
        with translation.override(language):
            text = render("calendar.year_missing", {"year": 2031})
        assert match_legacy(text) == ("calendar.year_missing", {"year": "2031"}), language
    # The two places must name the same year.
    with translation.override("en"):
        mixed = render("calendar.year_missing", {"year": 2031}).replace(
            "deadlines in 2031", "deadlines in 2032"
        )
    assert match_legacy(mixed, keys=["calendar.year_missing"]) is None
