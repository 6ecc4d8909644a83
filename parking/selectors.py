"""Parking reads shared by the staff pages, the portal, the admin reports and the API.

Staff reads go through ``community.scoping.staff_scope``; resident reads through the user's
households (``my_units``). Every list is a constant number of queries whatever its length.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from access.models import VisitorPass
from community.residents.models import Estate, Occupancy, Resident
from community.scoping import my_units, staff_estate_ids_for_perm, staff_scope

from .fees import to_fen
from .models import GateAction, GateActionKind, Lot, Permit, PlateEvent, Session, SessionKind, Vehicle
from .transitions import LIVE_STATUSES, Status

LIVE_PERMISSION = "parking.view_session"


# --- staff -----------------------------------------------------------------------------------------


def staff_estates(user):
    ids = staff_estate_ids_for_perm(user, LIVE_PERMISSION)
    estates = Estate.objects.all() if ids is None else Estate.objects.filter(pk__in=ids)
    return list(estates.order_by("name"))


def lots_with_occupancy(user, *, estate_id: int):
    live = Q(sessions__status__in=sorted(LIVE_STATUSES))
    return list(
        staff_scope(Lot.objects.filter(estate_id=estate_id), user)
        .select_related("parent")
        .prefetch_related("lanes__device")
        .annotate(
            inside=Count("sessions", filter=live),
            temporary_inside=Count("sessions", filter=live & Q(sessions__kind=SessionKind.TEMPORARY)),
        )
        .order_by("parent_id", "name")
    )


def recent_reads(user, *, estate_id: int, limit: int = 50):
    return list(
        staff_scope(PlateEvent.objects.filter(estate_id=estate_id), user)
        .select_related("device", "lot")
        .defer("raw_body")
        .order_by("-received_at")[:limit]
    )


def reads_needing_staff(user, *, estate_id: int, within: dt.timedelta = dt.timedelta(hours=12)):
    return list(
        staff_scope(PlateEvent.objects.filter(estate_id=estate_id, needs_staff=True), user)
        .filter(received_at__gte=timezone.now() - within)
        .select_related("device", "device__parking_lane", "lot")
        .defer("raw_body")
        .order_by("-received_at")[:50]
    )


def failed_barrier_calls(user, *, estate_id: int, within: dt.timedelta = dt.timedelta(hours=12)):
    """Calls to cameras that did not go through (a barrier, an allow-list push): staff open those
    barriers by hand."""
    kinds = [GateActionKind.BARRIER_CALL, GateActionKind.ALLOWLIST_SYNC]
    return list(
        staff_scope(GateAction.objects.filter(estate_id=estate_id, kind__in=kinds, ok=False), user)
        .filter(at__gte=timezone.now() - within)
        .select_related("lane")
        .order_by("-at")[:20]
    )


def sessions_live(user, *, estate_id: int, status: str | None = None, limit: int = 200):
    qs = staff_scope(Session.objects.filter(estate_id=estate_id, status__in=sorted(LIVE_STATUSES)), user)
    if status:
        qs = qs.filter(status=status)
    return list(qs.select_related("lot", "vehicle").order_by("-entered_at")[:limit])


def awaiting_payment(user, *, estate_id: int):
    return sessions_live(user, estate_id=estate_id, status=Status.AWAITING_PAYMENT)


# --- reports ---------------------------------------------------------------------------------------


def revenue_by_day(user, *, estate_id: int, since: dt.date, until: dt.date) -> list[dict]:
    """Money received per day, lot and kind (temporary stays; permits), in the estate's days."""
    tz = timezone.get_current_timezone()
    stays = (
        staff_scope(
            Session.objects.filter(estate_id=estate_id, paid_amount__gt=0, paid_at__isnull=False), user
        )
        .filter(paid_at__date__gte=since, paid_at__date__lt=until)
        .annotate(day=TruncDate("paid_at", tzinfo=tz))
        .values("day", "lot__name")
        .annotate(total=Sum("paid_amount"))
    )
    permits = (
        staff_scope(Permit.objects.filter(lot__estate_id=estate_id, price__gt=0), user)
        .filter(created_at__date__gte=since, created_at__date__lt=until)
        .annotate(day=TruncDate("created_at", tzinfo=tz))
        .values("day", "lot__name")
        .annotate(total=Sum("price"))
    )
    rows = [
        {"day": r["day"], "lot": r["lot__name"], "kind": "temporary", "total": to_fen(r["total"])}
        for r in stays
    ]
    rows += [
        {"day": r["day"], "lot": r["lot__name"], "kind": "permit", "total": to_fen(r["total"])}
        for r in permits
    ]
    return sorted(rows, key=lambda r: (r["day"], r["lot"], r["kind"]))


def occupancy_over_day(user, *, estate_id: int, day: dt.date) -> list[dict]:
    """Cars inside at each hour of ``day`` (local), per lot: stays that began before the hour
    and had not ended by it. One query for the day's stays, counted in Python."""
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
    end = start + dt.timedelta(days=1)
    stays = list(
        staff_scope(Session.objects.filter(estate_id=estate_id), user)
        .filter(Q(entered_at__lt=end) & (Q(exited_at__isnull=True) | Q(exited_at__gt=start)))
        .exclude(entered_at__isnull=True)
        .values_list("lot__name", "entered_at", "exited_at")
    )
    out = []
    for hour in range(24):
        moment = start + dt.timedelta(hours=hour)
        counts: dict[str, int] = {}
        for lot_name, entered, exited in stays:
            if entered <= moment and (exited is None or exited > moment):
                counts[lot_name] = counts.get(lot_name, 0) + 1
        out.append({"hour": hour, "counts": counts})
    return out


# --- residents ------------------------------------------------------------------------------------


def my_residents(user):
    """The user's own Resident records in estates where they have a home now."""
    return Resident.objects.filter(user=user, occupancies__in=Occupancy.objects.active()).distinct()


def my_household_residents(user):
    return Resident.objects.filter(
        occupancies__in=Occupancy.objects.active().filter(unit__in=my_units(user))
    ).distinct()


def my_vehicles(user):
    return (
        Vehicle.objects.filter(owner__in=my_household_residents(user))
        .select_related("owner", "space")
        .order_by("plate")
    )


def my_permits(user):
    return (
        Permit.objects.filter(vehicle__in=my_vehicles(user).values("pk"))
        .select_related("vehicle", "lot")
        .order_by("-valid_until")
    )


def my_sessions(user, limit: int = 30):
    return list(
        Session.objects.filter(vehicle__in=my_vehicles(user).values("pk"))
        .select_related("lot")
        .order_by("-entered_at")[:limit]
    )


def my_visitor_plates(user, limit: int = 20):
    now = timezone.now()
    return list(
        VisitorPass.objects.filter(unit__in=my_units(user), valid_until__gt=now - dt.timedelta(days=7))
        .exclude(plate="")
        .select_related("unit", "unit__building")
        .order_by("-valid_from")[:limit]
    )
