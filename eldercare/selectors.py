"""Reads shared by pages, the API and the services: who may see what, and the lists.

Staff reads go through ``community.scoping`` with the eldercare roles; family reads through the
elders linked to the user (an elder in one of their households, or the user as a contact).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from community.accounts.roles import StaffRole
from community.residents.models import Estate, Occupancy, StaffMembership
from community.scoping import my_households_q, staff_estate_ids, staff_scope

from .models import (
    AbilityAssessment,
    Alarm,
    CareSettings,
    Consent,
    ElderProfile,
    Order,
    ServiceItem,
)
from .transitions import ORDER_OPEN, OrderRole, OrderStatus
from .visit_rules import visit_exceptions

WORKER_ROLES = (StaffRole.ELDERCARE_WORKER,)
COORDINATOR_ROLES = (StaffRole.ELDERCARE_COORDINATOR, StaffRole.MANAGER)
CARE_STAFF_ROLES = (StaffRole.ELDERCARE_COORDINATOR, StaffRole.ELDERCARE_WORKER, StaffRole.MANAGER)


def care_settings(estate_id: int) -> CareSettings:
    found = CareSettings.objects.filter(estate_id=estate_id).first()
    return found or CareSettings(estate_id=estate_id)


# --- Consent ----------------------------------------------------------------------------------


def consent_given(elder: ElderProfile, category: str) -> bool:
    latest = Consent.objects.filter(elder=elder, category=category).order_by("-recorded_at", "-pk").first()
    return bool(latest and latest.granted)


def elders_with_consent(category: str) -> QuerySet:
    """Ids of elders whose latest record for ``category`` grants it."""
    from django.db.models import OuterRef, Subquery

    latest = Consent.objects.filter(elder=OuterRef("pk"), category=category).order_by("-recorded_at", "-pk")
    return ElderProfile.objects.annotate(_granted=Subquery(latest.values("granted")[:1])).filter(
        _granted=True
    )


# --- Family side ------------------------------------------------------------------------------


def family_elders(user) -> QuerySet:
    """Elders the user may book for and follow: themselves, a member of one of their households,
    or an elder who named the user's resident record as a contact."""
    if not user.is_authenticated:
        return ElderProfile.objects.none()
    household_residents = (
        Occupancy.objects.active().filter(my_households_q(user, unit_path="unit")).values("resident_id")
    )
    return (
        ElderProfile.objects.filter(
            Q(resident__user=user) | Q(resident_id__in=household_residents) | Q(contacts__resident__user=user)
        )
        .select_related("resident", "estate")
        .distinct()
    )


def family_orders(user) -> QuerySet:
    return Order.objects.filter(elder__in=family_elders(user).values("pk")).select_related(
        "item", "elder__resident"
    )


def family_alarms(user) -> QuerySet:
    return Alarm.objects.filter(elder__in=family_elders(user).values("pk")).select_related("elder__resident")


def bookable_items(elder: ElderProfile) -> QuerySet:
    return ServiceItem.objects.filter(active=True, station__estates=elder.estate_id).select_related("station")


def latest_assessment(elder: ElderProfile) -> AbilityAssessment | None:
    return elder.assessments.order_by("-assessed_on", "-pk").first()


# --- Staff side -------------------------------------------------------------------------------


def staff_roles_by_estate(user) -> dict[int, set[str]]:
    result: dict[int, set[str]] = {}
    for estate_id, role in StaffMembership.objects.filter(user=user).values_list("estate_id", "role"):
        result.setdefault(estate_id, set()).add(role)
    return result


def order_roles(actor, order: Order) -> set[str]:
    """The roles ``actor`` holds relative to ``order`` (see transitions.py)."""
    if isinstance(actor, str):
        return {OrderRole.SYSTEM} if actor.startswith("system:") else set()
    roles: set[str] = set()
    if actor.is_superuser:
        roles.add(OrderRole.STAFF)
    held = staff_roles_by_estate(actor).get(order.estate_id, set())
    if held & set(COORDINATOR_ROLES):
        roles.add(OrderRole.STAFF)
    if StaffRole.ELDERCARE_WORKER in held:
        roles.add(OrderRole.WORKER)
    if order.worker_id is not None and order.worker_id == actor.pk:
        roles.add(OrderRole.ASSIGNEE)
    if order.booked_by_id == actor.pk or family_elders(actor).filter(pk=order.elder_id).exists():
        roles.add(OrderRole.REQUESTER)
    return roles


def is_care_staff(user, estate_id: int, roles=CARE_STAFF_ROLES) -> bool:
    ids = staff_estate_ids(user, roles=tuple(roles))
    return ids is None or estate_id in ids


def staff_orders(user, *, roles=CARE_STAFF_ROLES) -> QuerySet:
    return staff_scope(Order.objects.all(), user, roles=tuple(roles)).select_related(
        "item", "elder__resident", "worker", "estate"
    )


def staff_elders(user) -> QuerySet:
    return staff_scope(ElderProfile.objects.all(), user, roles=CARE_STAFF_ROLES).select_related("resident")


def staff_alarms(user) -> QuerySet:
    return staff_scope(Alarm.objects.all(), user, roles=CARE_STAFF_ROLES).select_related("elder__resident")


def available_orders(user) -> QuerySet:
    """Open orders nobody took yet, in the estates where the user is a care worker."""
    return (
        staff_orders(user, roles=WORKER_ROLES)
        .filter(status=OrderStatus.PENDING)
        .order_by("scheduled_at", "pk")
    )


def worker_schedule(user) -> QuerySet:
    return (
        Order.objects.filter(worker=user, status__in=ORDER_OPEN)
        .select_related("item", "elder__resident", "estate")
        .order_by("scheduled_at", "pk")
    )


def worker_badge(user) -> int:
    return available_orders(user).count()


def suggest_worker(order: Order):
    """The worker to propose for ``order``: a care worker of its estate with no open visit at
    that hour, the least loaded that day (ties: the lowest id, so the suggestion is stable)."""
    from django.contrib.auth import get_user_model

    day_start = order.scheduled_at - dt.timedelta(hours=12)
    day_end = order.scheduled_at + dt.timedelta(hours=12)
    busy_at = order.scheduled_at - dt.timedelta(minutes=order.item.duration_minutes)
    busy_until = order.scheduled_at + dt.timedelta(minutes=order.item.duration_minutes)
    open_that_day = Q(
        care_orders__status__in=ORDER_OPEN,
        care_orders__scheduled_at__gte=day_start,
        care_orders__scheduled_at__lt=day_end,
    )
    busy = Order.objects.filter(
        status__in=ORDER_OPEN, scheduled_at__gt=busy_at, scheduled_at__lt=busy_until, worker__isnull=False
    ).values("worker_id")
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            staff_memberships__estate_id=order.estate_id,
            staff_memberships__role=StaffRole.ELDERCARE_WORKER,
        )
        .exclude(pk__in=busy)
        .annotate(load=Count("care_orders", filter=open_that_day, distinct=True))
        .order_by("load", "pk")
        .first()
    )


def exception_orders(user, *, since: dt.datetime | None = None) -> list[tuple[Order, list[str]]]:
    """Visits the coordinator should look at: late check-in, no location, too short, synced late."""
    since = since or timezone.now() - dt.timedelta(days=30)
    qs = (
        staff_orders(user, roles=COORDINATOR_ROLES)
        .filter(checked_in_at__gte=since)
        .order_by("-checked_in_at")
    )
    settings_by_estate = {s.estate_id: s for s in CareSettings.objects.filter(estate__in=qs.values("estate"))}
    result = []
    for order in qs:
        flags = visit_exceptions(order, settings_by_estate.get(order.estate_id) or CareSettings())
        if flags:
            result.append((order, flags))
    return result


def last_gate_event_at(*, resident_id: int) -> dt.datetime | None:
    """When the resident last went through a gate (access events, read-only)."""
    from access.models import AccessEvent, Result

    return (
        AccessEvent.objects.filter(resident_id=resident_id, result=Result.GRANTED)
        .order_by("-occurred_at")
        .values_list("occurred_at", flat=True)
        .first()
    )


def estates_of_station(station) -> QuerySet:
    return Estate.objects.filter(care_stations=station)


def elders_living_alone_for_roster(roster):
    """The community office's roster of elders living alone (community.affairs.rosters)."""
    profiles = (
        ElderProfile.objects.filter(estate_id=roster.estate_id, lives_alone=True)
        .select_related("resident")
        .order_by("resident__name")
    )
    return [(p.resident, str(p.get_category_display())) for p in profiles]
