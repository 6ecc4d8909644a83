"""Reads of tickets: who may see which ticket, lists with a fixed number of queries, and the
figures of the staff dashboard.

Residents see the tickets they filed and those of their households' units; never internal
events. Staff see by role, not by membership alone (issue #15 item 3): managers and front desk
every ticket of their estates; technicians the tickets assigned to them (and the estate's open
unassigned queue where ``TicketSettings.technicians_see_queue`` allows); every other role
(security, eldercare, community office) none.
"""

from __future__ import annotations

import datetime as dt
import statistics

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    Avg,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from community.accounts.roles import StaffRole
from community.residents.models import Occupancy, Resident, StaffMembership, Unit
from community.scoping import (
    my_estate_ids,
    my_units,
    staff_can_access_estate,
    staff_estate_ids,
    staff_scope,
)

from .models import Category, HoldReason, Rating, Ticket, TicketEvent, TicketPhoto, TicketSettings
from .transitions import OPEN_STATUSES, Action, Role, Status, allowed_actions

# Staff roles that triage and manage tickets (assign, decline, edit). Technicians act on the
# tickets assigned to them.
HANDLING_ROLES = (StaffRole.MANAGER, StaffRole.FRONT_DESK)
TECHNICIAN_ROLES = (StaffRole.TECHNICIAN,)
ASSIGNABLE_ROLES = (StaffRole.TECHNICIAN, StaffRole.MANAGER, StaffRole.FRONT_DESK)


def household_q(user) -> Q:
    """Tickets about a unit where the user lives, filed since their own tie to it began.

    A new tenant does not read the previous household's repairs or complaints; the household
    of the time (still living there) does.
    """
    # The filing day in the site's time zone (OuterRef carries no field type for TruncDate).
    filed_on = TruncDate(ExpressionWrapper(OuterRef("created_at"), output_field=DateTimeField()))
    ties = Occupancy.objects.active().filter(
        resident__user=user, unit_id=OuterRef("unit_id"), start_date__lte=filed_on
    )
    return Q(unit__isnull=False) & Q(Exists(ties))


def resident_q(user) -> Q:
    """Tickets a resident may see: their households' (see ``household_q``) and the ones they
    filed — also after moving out, then read-only (``roles_for`` gives no reporter role)."""
    if not user.is_authenticated:
        return Q(pk__in=[])
    return Q(reporter_user=user) | household_q(user)


def _reporter_q(user) -> Q:
    """Where the user acts as the reporter: their household's tickets, and the ones they filed
    while they still live there (the unit, or the estate for a common area)."""
    still_there = Q(unit__in=my_units(user)) | Q(unit__isnull=True, estate_id__in=my_estate_ids(user))
    return household_q(user) | (Q(reporter_user=user) & still_there)


def is_staff_of(user, estate_id: int) -> bool:
    """Whether the user handles the estate's tickets (manager, front desk): sees them all,
    reads and writes internal notes, files for residents. Membership alone is not enough."""
    if isinstance(user, str) or not user.is_authenticated or not user.is_staff:
        return False
    return staff_can_access_estate(user, estate_id, roles=HANDLING_ROLES)


def staff_ticket_q(user) -> Q | None:
    """The tickets the user sees as staff, by role; None: all (superuser)."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return Q(pk__in=[])
    handling = staff_estate_ids(user, roles=HANDLING_ROLES)
    if handling is None:
        return None
    q = Q(estate_id__in=handling)
    technician = (staff_estate_ids(user, roles=TECHNICIAN_ROLES) or frozenset()) - handling
    if technician:
        q |= Q(estate_id__in=technician, assignee=user)
        queue = TicketSettings.objects.filter(estate_id__in=technician, technicians_see_queue=True)
        q |= Q(estate_id__in=queue.values("estate_id"), assignee__isnull=True, status__in=OPEN_STATUSES)
    return q


def visible_tickets(user) -> QuerySet[Ticket]:
    """Every ticket the user may open, as staff (by role) or as a resident."""
    if not user.is_authenticated:
        return Ticket.objects.none()
    q = resident_q(user)
    if user.is_staff:
        staff_q = staff_ticket_q(user)
        if staff_q is None:
            return Ticket.objects.all()
        q |= staff_q
    return Ticket.objects.filter(q)


def staff_tickets(user) -> QuerySet[Ticket]:
    """The tickets the user sees as staff (``staff_ticket_q``), within their estates."""
    staff_q = staff_ticket_q(user)
    scoped = staff_scope(Ticket.objects.all(), user)
    return scoped if staff_q is None else scoped.filter(staff_q)


def roles_for(user, ticket: Ticket) -> frozenset[str]:
    """The user's roles on this ticket (see transitions.Role)."""
    if isinstance(user, str):  # "system:<job>"
        return frozenset({Role.SYSTEM})
    if not user.is_authenticated:
        return frozenset()
    roles = set()
    if Ticket.objects.filter(pk=ticket.pk).filter(_reporter_q(user)).exists():
        roles.add(Role.REPORTER)
    if user.is_staff and staff_can_access_estate(user, ticket.estate_id, roles=HANDLING_ROLES):
        roles.add(Role.STAFF)
    if ticket.assignee_id is not None and ticket.assignee_id == user.pk:
        roles.add(Role.ASSIGNEE)
    return frozenset(roles)


def actions_for(user, ticket: Ticket) -> list[str]:
    return allowed_actions(ticket.status, roles_for(user, ticket))


def can_see_internal(user, ticket: Ticket) -> bool:
    """Internal notes: the estate's ticket handlers, and the technician it is assigned to."""
    if is_staff_of(user, ticket.estate_id):
        return True
    return (
        user.is_authenticated
        and user.is_staff
        and ticket.assignee_id == user.pk
        and staff_can_access_estate(user, ticket.estate_id, roles=TECHNICIAN_ROLES)
    )


def _list_related(qs: QuerySet[Ticket]) -> QuerySet[Ticket]:
    return qs.select_related("category", "unit__building", "assignee", "estate")


def resident_ticket_list(user) -> QuerySet[Ticket]:
    return _list_related(Ticket.objects.filter(resident_q(user))).order_by("-created_at", "-id")


def worker_queue(user) -> QuerySet[Ticket]:
    """Open tickets assigned to the user in estates they serve, most urgent deadline first."""
    return _list_related(staff_tickets(user).filter(assignee=user).open()).order_by(
        F("resolution_due_at").asc(nulls_last=True), "created_at"
    )


def ticket_detail(qs: QuerySet[Ticket], pk: int, *, internal: bool) -> Ticket:
    """One ticket with its timeline and photos (``internal`` adds internal events)."""
    events = TicketEvent.objects.select_related("actor").order_by("created_at", "id")
    if not internal:
        events = events.filter(is_internal=False)
    return (
        _list_related(qs)
        .select_related("reporter", "rating")
        .prefetch_related(
            Prefetch("events", queryset=events, to_attr="timeline"),
            Prefetch(
                "photos", queryset=TicketPhoto.objects.order_by("created_at", "id"), to_attr="photo_list"
            ),
        )
        .get(pk=pk)
    )


def can_rate(user, ticket: Ticket) -> bool:
    """The reporter may rate once, after confirming (or auto-close of) a resolved ticket."""
    return (
        ticket.status == Status.CLOSED
        and ticket.resolved_at is not None
        and not Rating.objects.filter(ticket=ticket).exists()
        and Role.REPORTER in roles_for(user, ticket)
    )


def visible_photo(user, pk: int) -> TicketPhoto:
    """A photo of a ticket the user may open (raises TicketPhoto.DoesNotExist otherwise)."""
    return TicketPhoto.objects.get(pk=pk, ticket__in=visible_tickets(user))


def filing_choices(user) -> tuple[list[Unit], list[Category]]:
    """The homes a resident may report for and the active categories of their estates."""
    units = list(
        my_units(user).select_related("building__estate").order_by("building__name", "entrance", "number")
    )
    categories = list(
        Category.objects.filter(estate_id__in=my_estate_ids(user), is_active=True)
        .select_related("estate")
        .order_by("kind", "sort_order", "name")
    )
    return units, categories


def visible_categories(user) -> QuerySet[Category]:
    """Active categories of the estates where the user lives or works."""
    categories = Category.objects.filter(is_active=True).order_by("estate", "sort_order", "name")
    q = Q(estate_id__in=my_estate_ids(user))
    if user.is_staff:
        ids = staff_estate_ids(user)
        if ids is None:
            return categories
        q |= Q(estate_id__in=ids)
    return categories.filter(q)


def resident_record(user, estate_id: int) -> Resident | None:
    return Resident.objects.filter(user=user, estate_id=estate_id).first()


def assignable_staff(user, *, estate_id: int | None = None):
    """People the staff member may pick as assignee: ticket roles in the estates they serve
    (in one of them, for one ticket)."""
    from django.contrib.auth import get_user_model

    members = StaffMembership.objects.filter(role__in=ASSIGNABLE_ROLES)
    ids = staff_estate_ids(user)
    if ids is not None:
        members = members.filter(estate_id__in=ids)
    if estate_id is not None:
        members = members.filter(estate_id=estate_id)
    return (
        get_user_model()
        .objects.filter(pk__in=members.values("user_id"), is_active=True)
        .order_by("name", "username")
    )


def estate_managers(estate_id: int, roles=(StaffRole.MANAGER,)):
    from django.contrib.auth import get_user_model

    users = StaffMembership.objects.filter(estate_id=estate_id, role__in=roles).values("user_id")
    return list(get_user_model().objects.filter(pk__in=users, is_active=True))


def settings_for(estate_id: int) -> TicketSettings:
    return TicketSettings.objects.filter(estate_id=estate_id).first() or TicketSettings(estate_id=estate_id)


# --- Dashboard ----------------------------------------------------------------------------------


def _median_resolution_hours(qs: QuerySet[Ticket]) -> float | None:
    qs = qs.filter(resolved_at__isnull=False)
    if connection.vendor == "postgresql":
        try:
            sql, params = qs.values("pk").query.sql_with_params()
        except EmptyResultSet:  # a role that sees no tickets (issue #15 item 3)
            return None
        with connection.cursor() as cursor:
            # ``sql`` is Django's own compiled subquery with its parameters kept separate.
            query = (
                "SELECT percentile_cont(0.5) WITHIN GROUP "  # noqa: S608
                "(ORDER BY EXTRACT(EPOCH FROM (t.resolved_at - t.created_at))) "
                f"FROM tickets_ticket t WHERE t.id IN ({sql})"
            )
            cursor.execute(query, params)
            value = cursor.fetchone()[0]
        return None if value is None else float(value) / 3600
    durations = [
        (resolved - created).total_seconds()
        for created, resolved in qs.values_list("created_at", "resolved_at")
    ]
    return statistics.median(durations) / 3600 if durations else None


def dashboard(user, *, days: int = 30, now: dt.datetime | None = None) -> dict:
    """Figures for the staff dashboard, each one SQL aggregate over the user's estates."""
    now = now or timezone.now()
    since = now - dt.timedelta(days=days)
    scoped = staff_tickets(user)
    by_status = dict(scoped.values_list("status").annotate(n=Count("pk")).order_by())
    status_counts = [(s, label, by_status.get(s, 0)) for s, label in Status.choices]
    recent = scoped.filter(created_at__gte=since)
    sla = recent.filter(resolved_at__isnull=False).aggregate(
        total=Count("pk"),
        # A ticket once breached stays breached, whatever a later priority gave it as a deadline.
        met=Count("pk", filter=Q(resolved_at__lte=F("resolution_due_at"), breached=False)),
    )
    compliance = round(100 * sla["met"] / sla["total"], 1) if sla["total"] else None
    overdue = scoped.overdue(now).count()
    at_risk = scoped.at_risk(now).count()
    ratings = list(
        staff_scope(Rating.objects.all(), user)
        .filter(created_at__gte=since)
        .values("ticket__category__name")
        .annotate(avg=Avg("score"), n=Count("pk"))
        .order_by("-avg", "ticket__category__name")
    )
    # 返修: reopens in the period, per technician (whose work came back, as recorded on the
    # reopen itself: a later hand-over does not move the count) and category.
    reopens = list(
        staff_scope(TicketEvent.objects.all(), user)
        .filter(action=Action.REOPEN, created_at__gte=since)
        .values("assignee__name", "assignee__username", "ticket__category__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "ticket__category__name")
    )
    return {
        "status_counts": status_counts,
        "breached": recent.filter(breached=True).count(),
        "reopens": [
            {
                "technician": r["assignee__name"] or r["assignee__username"] or "—",
                "category": r["ticket__category__name"],
                "count": r["n"],
            }
            for r in reopens
        ],
        "status_max": max([c for _s, _l, c in status_counts] + [1]),
        "open_count": sum(c for s, _l, c in status_counts if s in OPEN_STATUSES),
        "sla_total": sla["total"],
        "sla_met": sla["met"],
        "sla_compliance": compliance,
        "median_hours": _median_resolution_hours(recent),
        "overdue": overdue,
        "at_risk": at_risk,
        "ratings": [
            {
                "category": r["ticket__category__name"],
                "avg": round(float(r["avg"]), 2),
                "count": r["n"],
                "percent": round(float(r["avg"]) * 20, 1),
            }
            for r in ratings
        ],
        "days": days,
    }


def hold_approval_pending(ticket: Ticket) -> bool:
    """A wait for parts whose clock still runs: a manager may stop it (ticket_hold_approve)."""
    return (
        ticket.status == Status.ON_HOLD
        and ticket.hold_reason == HoldReason.PARTS
        and ticket.on_hold_since is None
    )


def may_approve_hold(user, ticket: Ticket) -> bool:
    return staff_can_access_estate(user, ticket.estate_id, roles=(StaffRole.MANAGER,))


def confirmed_by_resident(ticket: Ticket) -> bool:
    """Closed by the resident's own confirmation (not by staff or the auto-close job)."""
    last_close = (
        TicketEvent.objects.filter(ticket=ticket, to_status=Status.CLOSED)
        .order_by("-created_at", "-id")
        .first()
    )
    return last_close is not None and last_close.action == Action.CONFIRM


def within_reopen_window(ticket: Ticket, now: dt.datetime) -> bool:
    # The window runs from the resolution, whoever closed the ticket since.
    window = dt.timedelta(days=settings_for(ticket.estate_id).reopen_days)
    return ticket.resolved_at is not None and now <= ticket.resolved_at + window


def resident_actions(user, ticket: Ticket, *, now: dt.datetime | None = None) -> list[str]:
    """The moves to offer the resident: the table's, less a reopen the service would refuse
    (window passed, or a close they confirmed themselves)."""
    actions = actions_for(user, ticket)
    if Action.REOPEN in actions and not (
        within_reopen_window(ticket, now or timezone.now())
        and not (ticket.status == Status.CLOSED and confirmed_by_resident(ticket))
    ):
        actions.remove(Action.REOPEN)
    return actions
