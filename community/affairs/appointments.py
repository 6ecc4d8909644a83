"""Appointments at the community office: time slots with a capacity per item, booking and
cancelling by residents, check-in by the QR code at the desk, no-shows recorded by a job."""

from __future__ import annotations

import datetime as dt
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from community.errors import AlreadyDone, NotAllowed, ServiceError, TransitionRefused
from community.scoping import my_units, staff_estate_ids_for_perm

from .models import Appointment, AppointmentSlot, AppointmentStatus
from .services import OFFICE_PERM

CHECK_IN_EARLY = dt.timedelta(minutes=30)
ACTIVE = (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN)


@transaction.atomic
def appointment_book(*, slot: AppointmentSlot, by) -> Appointment:
    # The slot row lock serialises bookings: two residents cannot both take the last place.
    slot = AppointmentSlot.objects.select_for_update().select_related("item").get(pk=slot.pk)
    if not my_units(by).filter(building__estate_id=slot.item.estate_id).exists():
        raise NotAllowed(_("Appointments are for residents of this estate."))
    if slot.starts_at <= timezone.now():
        raise TransitionRefused(_("This time has passed; choose a later one."), code="past")
    if slot.appointments.filter(user=by, status=AppointmentStatus.BOOKED).exists():
        raise AlreadyDone(_("You already have this appointment."))
    if slot.appointments.filter(status__in=ACTIVE).count() >= slot.capacity:
        raise TransitionRefused(_("This time is fully booked; choose another."), code="full")
    return Appointment.objects.create(slot=slot, user=by, code=secrets.token_hex(16))


@transaction.atomic
def appointment_cancel(*, appointment: Appointment, by) -> Appointment:
    appointment = Appointment.objects.select_for_update().select_related("slot").get(pk=appointment.pk)
    if appointment.user_id != by.pk:
        raise NotAllowed(_("Only who booked can cancel."))
    if appointment.status != AppointmentStatus.BOOKED or appointment.slot.starts_at <= timezone.now():
        raise TransitionRefused(_("Only a future booking can be cancelled."))
    appointment.status = AppointmentStatus.CANCELLED
    appointment.save(update_fields=["status"])
    return appointment


@transaction.atomic
def appointment_check_in(*, code: str, by, now: dt.datetime | None = None) -> Appointment:
    """The office scans the resident's QR code at the desk."""
    now = now or timezone.now()
    appointment = (
        Appointment.objects.select_for_update()
        .select_related("slot__item")
        .filter(code=(code or "").strip()[:32])
        .first()
    )
    ids = staff_estate_ids_for_perm(by, OFFICE_PERM)
    if appointment is None or (ids is not None and appointment.slot.item.estate_id not in ids):
        raise ServiceError({"code": [_("No appointment has this code.")]})
    if appointment.status == AppointmentStatus.CHECKED_IN:
        raise AlreadyDone(_("Already checked in."))
    if appointment.status != AppointmentStatus.BOOKED:
        raise TransitionRefused(_("This appointment is %(s)s.") % {"s": appointment.get_status_display()})
    if not appointment.slot.starts_at - CHECK_IN_EARLY <= now <= appointment.slot.ends_at:
        raise TransitionRefused(
            _("Check-in opens 30 minutes before the time and closes at its end."), code="window"
        )
    appointment.status, appointment.checked_in_at, appointment.checked_in_by = (
        AppointmentStatus.CHECKED_IN,
        now,
        by,
    )
    appointment.save(update_fields=["status", "checked_in_at", "checked_in_by"])
    return appointment


def appointments_mark_no_show(*, now: dt.datetime | None = None, by="system:affairs.no_show") -> int:
    """Bookings whose time ended without a check-in are recorded as no-shows."""
    now = now or timezone.now()
    return Appointment.objects.filter(status=AppointmentStatus.BOOKED, slot__ends_at__lt=now).update(
        status=AppointmentStatus.NO_SHOW
    )
