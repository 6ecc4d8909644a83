"""Reads shared by pages, the API and the services: who may see what, and the lists.

Staff reads go through ``community.scoping`` with the eldercare roles; family reads through the
elders linked to the user (an elder in one of their households, or the user as a contact).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case, Count, F, Q, QuerySet, When
from django.utils import timezone

from community.accounts.roles import StaffRole
from community.residents.models import Estate, Occupancy, StaffMembership
from community.scoping import my_households_q, staff_estate_ids, staff_scope

from .geo import distance_m
from .models import (
    AbilityAssessment,
    Alarm,
    CareSettings,
    Consent,
    DutyShift,
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


# A position older than this says little about where the worker is now.
POSITION_FRESH_FOR = dt.timedelta(hours=2)


@dataclass(frozen=True)
class WorkerSuggestion:
    worker: object
    distance_m: int | None  # None: no fresh shared position
    load: int  # open visits that day

    def __str__(self) -> str:
        name = getattr(self.worker, "name", "") or str(self.worker)
        return name if self.distance_m is None else f"{name} · {self.distance_m} m"


def _order_home(order: Order) -> tuple[float, float] | None:
    lat = order.elder.home_latitude or order.estate.latitude
    lng = order.elder.home_longitude or order.estate.longitude
    return (float(lat), float(lng)) if lat is not None and lng is not None else None


def suggest_workers(
    order: Order, *, limit: int = 3, now: dt.datetime | None = None
) -> list[WorkerSuggestion]:
    """Care workers of the order's estate free at its hour, nearest first (by their last shared
    position, fresh within POSITION_FRESH_FOR, to the elder's home), then the least loaded that
    day, then the lowest id so the suggestion is stable. Workers without a fresh position come
    after those with one. Two queries, whatever the number of workers."""
    from django.contrib.auth import get_user_model

    now = now or timezone.now()
    day_start = order.scheduled_at - dt.timedelta(hours=12)
    day_end = order.scheduled_at + dt.timedelta(hours=12)
    busy_at = order.scheduled_at - dt.timedelta(minutes=order.item.duration_minutes)
    busy_until = order.scheduled_at + dt.timedelta(minutes=order.item.duration_minutes)
    open_that_day = Q(
        care_orders__status__in=ORDER_OPEN,
        care_orders__scheduled_at__gte=day_start,
        care_orders__scheduled_at__lt=day_end,
    )
    busy = (
        Order.objects.filter(
            status__in=ORDER_OPEN, scheduled_at__gt=busy_at, scheduled_at__lt=busy_until, worker__isnull=False
        )
        .exclude(pk=order.pk)
        .values("worker_id")
    )
    fresh = Q(care_position__sharing=True, care_position__reported_at__gte=now - POSITION_FRESH_FOR)
    workers = (
        get_user_model()
        .objects.filter(
            is_active=True,
            staff_memberships__estate_id=order.estate_id,
            staff_memberships__role=StaffRole.ELDERCARE_WORKER,
        )
        .exclude(pk__in=busy)
        .annotate(
            load=Count("care_orders", filter=open_that_day, distinct=True),
            pos_lat=Case(When(fresh, then=F("care_position__latitude"))),
            pos_lng=Case(When(fresh, then=F("care_position__longitude"))),
        )
        .distinct()
    )
    home = _order_home(order)
    found = []
    for worker in workers:
        distance = None
        if home is not None and worker.pos_lat is not None and worker.pos_lng is not None:
            distance = distance_m(float(worker.pos_lat), float(worker.pos_lng), *home)
        found.append(WorkerSuggestion(worker=worker, distance_m=distance, load=worker.load))
    found.sort(key=lambda s: (s.distance_m is None, s.distance_m or 0, s.load, s.worker.pk))
    return found[:limit]


def suggest_worker(order: Order):
    """The one worker to propose for ``order`` (see suggest_workers)."""
    found = suggest_workers(order, limit=1)
    return found[0].worker if found else None


# --- Duty roster ------------------------------------------------------------------------------


def on_duty_coordinators(estate_id: int, at: dt.datetime) -> QuerySet:
    """Active coordinators of the estate with a shift covering ``at``."""
    from django.contrib.auth import get_user_model

    on_duty = DutyShift.objects.filter(estate_id=estate_id, starts_at__lte=at, ends_at__gt=at).values(
        "coordinator_id"
    )
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            pk__in=on_duty,
            staff_memberships__estate_id=estate_id,
            staff_memberships__role=StaffRole.ELDERCARE_COORDINATOR,
        )
        .distinct()
    )


def alarm_coordinators(estate_id: int, at: dt.datetime) -> list:
    """Who answers the estate's alarms at ``at``: the coordinators on duty, or every
    coordinator of the estate when the roster has a gap (an alarm is never unheard)."""
    from django.contrib.auth import get_user_model

    on_duty = list(on_duty_coordinators(estate_id, at))
    if on_duty:
        return on_duty
    return list(
        get_user_model()
        .objects.filter(
            is_active=True,
            staff_memberships__estate_id=estate_id,
            staff_memberships__role=StaffRole.ELDERCARE_COORDINATOR,
        )
        .distinct()
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
