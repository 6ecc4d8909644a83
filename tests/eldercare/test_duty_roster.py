"""The coordinators' duty roster: alarms reach whoever is on duty when they are raised and
when they escalate; the roster is kept in the admin through the services, audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from community.accounts.roles import StaffRole
from community.errors import NotAllowed, ServiceError
from community.notifications.models import Notification
from eldercare import selectors, services
from eldercare.models import CareAudit, DutyShift
from tests.factories import StaffFactory

T0 = dt.datetime(2026, 12, 3, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def day_coordinator(estate_a):
    return StaffFactory(estate=estate_a, role=StaffRole.ELDERCARE_COORDINATOR, username="coord_day")


@pytest.fixture
def night_coordinator(estate_a):
    return StaffFactory(estate=estate_a, role=StaffRole.ELDERCARE_COORDINATOR, username="coord_night")


@pytest.fixture
def roster(estate_a, day_coordinator, night_coordinator, manager_a):
    """Day shift 08:00–20:00, night shift 20:00–08:00 (half-open: 20:00 belongs to the night)."""
    day = services.duty_shift_create(
        estate=estate_a,
        coordinator=day_coordinator,
        starts_at=T0,
        ends_at=T0 + dt.timedelta(hours=12),
        by=manager_a,
    )
    night = services.duty_shift_create(
        estate=estate_a,
        coordinator=night_coordinator,
        starts_at=T0 + dt.timedelta(hours=12),
        ends_at=T0 + dt.timedelta(hours=24),
        by=manager_a,
    )
    return day, night


def _told(verb: str) -> set[int]:
    return set(Notification.objects.filter(verb=verb).values_list("recipient", flat=True))


def test_an_alarm_is_told_to_the_coordinator_on_duty_only(roster, elder_a, day_coordinator, coordinator_a):
    services.alarm_raise(elder=elder_a, kind="sos", by="system:test", now=T0 + dt.timedelta(hours=3))
    assert _told("care.alarm.sos") == {day_coordinator.pk}  # not the night one, not coordinator_a


def test_the_shift_boundary_is_half_open(roster, elder_a, night_coordinator):
    services.alarm_raise(elder=elder_a, kind="fall", by="system:test", now=T0 + dt.timedelta(hours=12))
    assert _told("care.alarm.fall") == {night_coordinator.pk}


def test_escalation_reaches_the_coordinator_on_duty_at_escalation_time(
    roster, elder_a, station_a, manager_a, day_coordinator, night_coordinator
):
    # Raised a minute before the shift change, escalated two minutes later: the night
    # coordinator (now on duty) and the manager are told of the escalation.
    raised_at = T0 + dt.timedelta(hours=12) - dt.timedelta(minutes=1)
    services.alarm_raise(elder=elder_a, kind="sos", by="system:test", now=raised_at)
    assert _told("care.alarm.sos") == {day_coordinator.pk}
    escalated = services.alarms_escalate(now=raised_at + dt.timedelta(minutes=3))
    assert len(escalated) == 1
    assert _told("care.alarm.escalated") == {manager_a.pk, night_coordinator.pk}


def test_with_nobody_on_duty_every_coordinator_is_told(
    roster, elder_a, day_coordinator, night_coordinator, coordinator_a
):
    services.alarm_raise(elder=elder_a, kind="gas", by="system:test", now=T0 + dt.timedelta(days=3))
    assert _told("care.alarm.gas") == {day_coordinator.pk, night_coordinator.pk, coordinator_a.pk}


def test_a_coordinator_of_another_estate_is_never_on_duty_here(
    estate_a, estate_b, elder_a, manager_b, manager_a
):
    other = StaffFactory(estate=estate_b, role=StaffRole.ELDERCARE_COORDINATOR, username="coord_b")
    with pytest.raises(ServiceError) as refused:
        services.duty_shift_create(
            estate=estate_a, coordinator=other, starts_at=T0, ends_at=T0 + dt.timedelta(hours=8), by=manager_a
        )
    assert "coordinator" in refused.value.message_dict
    # Nor may estate B's manager put anyone on estate A's roster.
    with pytest.raises(NotAllowed):
        services.duty_shift_create(
            estate=estate_a, coordinator=other, starts_at=T0, ends_at=T0 + dt.timedelta(hours=8), by=manager_b
        )
    assert list(selectors.on_duty_coordinators(estate_a.pk, T0 + dt.timedelta(hours=1))) == []


def test_shift_rules(roster, estate_a, day_coordinator, manager_a):
    with pytest.raises(ServiceError) as overlap:
        services.duty_shift_create(
            estate=estate_a,
            coordinator=day_coordinator,
            starts_at=T0 + dt.timedelta(hours=11),
            ends_at=T0 + dt.timedelta(hours=13),
            by=manager_a,
        )
    assert "starts_at" in overlap.value.message_dict
    with pytest.raises(ServiceError):
        services.duty_shift_create(
            estate=estate_a, coordinator=day_coordinator, starts_at=T0, ends_at=T0, by=manager_a
        )
    with pytest.raises(ServiceError):
        services.duty_shift_create(
            estate=estate_a,
            coordinator=day_coordinator,
            starts_at=T0 + dt.timedelta(days=5),
            ends_at=T0 + dt.timedelta(days=7),
            by=manager_a,
        )


def test_roster_kept_in_the_admin_through_the_service_with_by_recorded(
    estate_a, day_coordinator, coordinator_a, client_for
):
    client = client_for(coordinator_a)
    start = timezone.localtime(timezone.now()).replace(microsecond=0)
    response = client.post(
        "/admin/eldercare/dutyshift/add/",
        {
            "estate": estate_a.pk,
            "coordinator": day_coordinator.pk,
            "starts_at_0": start.date().isoformat(),
            "starts_at_1": start.strftime("%H:%M:%S"),
            "ends_at_0": (start + dt.timedelta(hours=8)).date().isoformat(),
            "ends_at_1": (start + dt.timedelta(hours=8)).strftime("%H:%M:%S"),
            "note": "白班",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    shift = DutyShift.objects.get()
    assert (shift.created_by, shift.updated_by) == (coordinator_a, coordinator_a)
    audit = CareAudit.objects.get(action="duty.create")
    assert audit.by == coordinator_a and list(audit.estates.all()) == [estate_a]
    assert list(selectors.on_duty_coordinators(estate_a.pk, timezone.now() + dt.timedelta(minutes=1))) == [
        day_coordinator
    ]

    # A refused shift (ends before it starts) shows the error, and only the error.
    refused = client.post(
        "/admin/eldercare/dutyshift/add/",
        {
            "estate": estate_a.pk,
            "coordinator": day_coordinator.pk,
            "starts_at_0": start.date().isoformat(),
            "starts_at_1": "10:00:00",
            "ends_at_0": start.date().isoformat(),
            "ends_at_1": "09:00:00",
        },
        follow=True,
    )
    assert refused.status_code == 200 and DutyShift.objects.count() == 1
    assert "errornote" in refused.content.decode() or "errorlist" in refused.content.decode()

    # Removing goes through the service too (the delete view is closed), and is audited.
    assert client.post(f"/admin/eldercare/dutyshift/{shift.pk}/delete/").status_code == 403
    client.post(
        "/admin/eldercare/dutyshift/",
        {"action": "remove_shifts", "_selected_action": [shift.pk]},
    )
    assert not DutyShift.objects.exists()
    assert CareAudit.objects.filter(action="duty.remove", by=coordinator_a).exists()


def test_another_estates_manager_cannot_see_or_change_the_roster(roster, manager_b, client_for):
    client = client_for(manager_b)
    day, _night = roster
    assert "coord_day" not in client.get("/admin/eldercare/dutyshift/").content.decode()
    assert client.get(f"/admin/eldercare/dutyshift/{day.pk}/change/").status_code in (302, 403, 404)
