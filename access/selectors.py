"""Reads for access control. Resident reads go through "my households", staff reads through
``staff_scope``; lists fetch their related rows up front so their query count is constant."""

from __future__ import annotations

import datetime as dt

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from community.residents.models import Estate, Occupancy, Resident
from community.scoping import my_households_q, my_units, staff_estate_ids_for_perm, staff_scope

from .apps import FEED_PERMISSION
from .models import AccessEvent, CommandStatus, Device, DeviceCommand, VisitorPass

HOUSEHOLD_HISTORY_DAYS = 30
# The staff live feed opens with the newest events of the last two days.
RECENT_EVENTS_SHOWN = 50
RECENT_EVENTS_SPAN = dt.timedelta(days=2)
# How far back an audited movement look-up reaches.
MOVEMENT_HISTORY_DAYS = 90


def my_visitor_passes(user) -> QuerySet[VisitorPass]:
    return (
        VisitorPass.objects.filter(my_households_q(user, unit_path="unit"))
        .select_related("unit__building")
        .order_by("-created_at")
    )


def my_household_access_events(user, *, days: int = HOUSEHOLD_HISTORY_DAYS) -> QuerySet[AccessEvent]:
    """Passes and refusals of the people who live in the user's households, and of the
    visitors they invited, over the last ``days`` days (the time bound prunes partitions)."""
    units = my_units(user)
    members = Occupancy.objects.active().filter(unit__in=units).values("resident_id")
    passes = VisitorPass.objects.filter(unit__in=units).values("pk")
    since = timezone.now() - dt.timedelta(days=days)
    return (
        AccessEvent.objects.filter(
            Q(resident_id__in=members) | Q(visitor_pass_id__in=passes), occurred_at__gte=since
        )
        .select_related("gate", "resident", "visitor_pass")
        .order_by("-occurred_at")
    )


def feed_estates(user) -> list[Estate]:
    """Estates whose live gate feed the user may follow (the websocket authoriser agrees)."""
    ids = staff_estate_ids_for_perm(user, FEED_PERMISSION)
    estates = Estate.objects.order_by("name")
    return list(estates if ids is None else estates.filter(pk__in=ids))


def staff_devices(user) -> QuerySet[Device]:
    return staff_scope(Device.objects.select_related("gate", "estate"), user).order_by("estate__name", "name")


def staff_recent_events(
    user, *, estate_id: int | None = None, limit: int = RECENT_EVENTS_SHOWN
) -> list[AccessEvent]:
    events = staff_scope(AccessEvent.objects.all(), user)
    if estate_id is not None:
        events = events.filter(estate_id=estate_id)
    since = timezone.now() - RECENT_EVENTS_SPAN
    return list(
        events.filter(occurred_at__gte=since)
        .select_related("gate", "device", "resident")
        .order_by("-occurred_at")[:limit]
    )


def staff_command_queue(user) -> QuerySet[DeviceCommand]:
    """Pending, failed and unconfirmed credential-sync commands, per device."""
    return (
        staff_scope(DeviceCommand.objects.all(), user)
        .filter(
            status__in=[
                CommandStatus.PENDING,
                CommandStatus.SENT,
                CommandStatus.FAILED,
                CommandStatus.UNCONFIRMED,
            ]
        )
        .select_related("device")
        .order_by("device__name", "-pk")
    )


def movement_history(resident: Resident, *, days: int = MOVEMENT_HISTORY_DAYS) -> QuerySet[AccessEvent]:
    """One person's movements. Callers must record the lookup (services.movement_lookup_record)."""
    since = timezone.now() - dt.timedelta(days=days)
    return (
        AccessEvent.objects.filter(resident=resident, occurred_at__gte=since)
        .select_related("gate", "device")
        .order_by("-occurred_at")
    )


def visitor_pass_for_plate(*, estate_id: int, plate: str, at=None) -> VisitorPass | None:
    """A currently valid visitor pass registered for this car plate (for the parking barrier).

    Read-only: the parking app decides; entries are counted by ``services.access_verify``."""
    at = at or timezone.now()
    plate = (plate or "").strip().upper()
    if not plate:
        return None
    return (
        VisitorPass.objects.filter(
            estate_id=estate_id,
            plate=plate,
            revoked_at__isnull=True,
            valid_from__lte=at,
            valid_until__gt=at,
            entries_used__lt=F("max_entries"),
        )
        .order_by("valid_until")
        .first()
    )
