"""Appointments: capacity held under concurrent booking, QR check-in within the window by the
office of that estate only, no-shows recorded."""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from community.accounts.roles import StaffRole
from community.affairs import appointments
from community.affairs.models import Appointment, AppointmentSlot, AppointmentStatus
from community.errors import AlreadyDone, NotAllowed, ServiceError, TransitionRefused
from tests.factories import AffairsItemFactory, StaffFactory


@pytest.fixture
def slot(estate_a):
    item = AffairsItemFactory(estate=estate_a, needs_appointment=True)
    start = timezone.now() + dt.timedelta(hours=2)
    return AppointmentSlot.objects.create(
        item=item, starts_at=start, ends_at=start + dt.timedelta(minutes=30), capacity=1
    )


@pytest.mark.django_db
def test_book_check_in_and_the_window(household_a, slot, estate_a):
    owner, _unit = household_a
    appointment = appointments.appointment_book(slot=slot, by=owner)
    with pytest.raises(AlreadyDone):
        appointments.appointment_book(slot=slot, by=owner)
    office = StaffFactory(estate=estate_a, role=StaffRole.COMMUNITY_OFFICE)
    with pytest.raises(TransitionRefused):  # two hours early
        appointments.appointment_check_in(code=appointment.code, by=office)
    done = appointments.appointment_check_in(code=appointment.code, by=office, now=slot.starts_at)
    assert done.status == AppointmentStatus.CHECKED_IN and done.checked_in_by == office


@pytest.mark.django_db
def test_other_estates_office_cannot_check_in_and_strangers_cannot_book(
    household_a, household_b, slot, estate_b
):
    owner_a, _ = household_a
    owner_b, _ = household_b
    with pytest.raises(NotAllowed):
        appointments.appointment_book(slot=slot, by=owner_b)
    appointment = appointments.appointment_book(slot=slot, by=owner_a)
    office_b = StaffFactory(estate=estate_b, role=StaffRole.COMMUNITY_OFFICE)
    with pytest.raises(ServiceError):
        appointments.appointment_check_in(code=appointment.code, by=office_b, now=slot.starts_at)


@pytest.mark.django_db
def test_no_show_is_recorded_after_the_slot(household_a, slot):
    owner, _ = household_a
    appointments.appointment_book(slot=slot, by=owner)
    assert appointments.appointments_mark_no_show(now=slot.ends_at + dt.timedelta(minutes=1)) == 1
    assert Appointment.objects.get().status == AppointmentStatus.NO_SHOW


@pytest.mark.django_db
def test_the_qr_code_is_only_for_who_booked(client, household_a, household_b, slot):
    owner_a, _ = household_a
    owner_b, _ = household_b
    appointment = appointments.appointment_book(slot=slot, by=owner_a)
    client.force_login(owner_a)
    image = client.get(reverse("portal-affairs:appointment-qr", args=[appointment.pk]))
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    client.force_login(owner_b)
    assert client.get(reverse("portal-affairs:appointment-qr", args=[appointment.pk])).status_code == 404


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_the_last_place_goes_to_one_of_two_residents_booking_at_once(household_a, estate_a, slot):
    from tests.factories import OccupancyFactory, ResidentFactory, UserFactory

    _owner, unit = household_a
    users = []
    for i in range(2):
        user = UserFactory(username=f"booker{i}", phone=f"+86138000099{i}0")
        OccupancyFactory(
            unit=unit, resident=ResidentFactory(estate=estate_a, user=user, phone=user.phone), role="family"
        )
        users.append(user)
    results = []
    barrier = threading.Barrier(2)

    def book(user):
        barrier.wait()
        try:
            appointments.appointment_book(slot=slot, by=user)
            results.append("ok")
        except TransitionRefused:
            results.append("full")
        finally:
            connection.close()

    threads = [threading.Thread(target=book, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["full", "ok"]
    assert Appointment.objects.filter(status=AppointmentStatus.BOOKED).count() == 1
