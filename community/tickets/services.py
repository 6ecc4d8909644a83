"""Writes to tickets: filing, every workflow action, comments, ratings, staff edits,
escalation and auto-close.

Every status change goes through ``ticket_act``, which locks the ticket row, checks the
optimistic-lock version, asks ``transitions.next_status`` and records a TicketEvent. Websocket
events and notifications leave only after the commit (realtime.publish_on_commit and
notification_send's own on_commit hooks).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from community.api.errors import Conflict
from community.notifications.services import notification_send
from community.realtime import publish_on_commit
from community.residents.models import Resident, StaffMembership, Unit
from community.scoping import my_estate_ids, my_units

from . import selectors
from .models import (
    KIND_PREFIX,
    Category,
    Channel,
    EventKind,
    PhotoStage,
    Priority,
    Rating,
    SLAPolicy,
    Ticket,
    TicketCounter,
    TicketEvent,
    TicketPhoto,
    TicketSettings,
)
from .photos import photos_clean
from .sla import DEFAULT_BUDGETS, Clock, at_risk_from
from .transitions import NEEDS_REASON, RUNNING_STATUSES, Action, Role, Status, TransitionError, next_status


class StaleTicket(Conflict):
    default_detail = gettext_lazy(
        "This ticket was changed by someone else meanwhile; reload it and try again."
    )


def ticket_group(ticket_id: int) -> str:
    return f"ticket.{ticket_id}"


# Longest free text accepted from a person (descriptions, reasons, comments): pages and the API
# refuse more with a message instead of storing a novel or failing on a column limit.
TEXT_MAX = 2000
RATING_COMMENT_MAX = 1000
COMMON_AREA_MAX = Ticket._meta.get_field("common_area").max_length


def _too_long(errors: dict, field: str, value: str, limit: int) -> None:
    if len(value) > limit:
        errors.setdefault(field, []).append(
            _("At most %(max)d characters (this is %(n)d).") % {"max": limit, "n": len(value)}
        )


def _check_text(field: str, value: str, limit: int = TEXT_MAX) -> None:
    errors: dict[str, list[str]] = {}
    _too_long(errors, field, value, limit)
    if errors:
        raise ValidationError(errors)


# --- Numbers and SLA ---------------------------------------------------------------------------


def number_allocate(*, estate_id: int, kind: str, on: dt.date | None = None) -> str:
    """Next readable number, e.g. BX-20261127-0042; counted per estate per day.

    The counter row's lock makes concurrent filings queue instead of taking the same number.
    """
    day = on or timezone.localdate()
    with transaction.atomic():
        try:
            with transaction.atomic():
                TicketCounter.objects.get_or_create(estate_id=estate_id, day=day)
        except IntegrityError:
            pass  # another filing created today's row first; lock it below
        counter = TicketCounter.objects.select_for_update().get(estate_id=estate_id, day=day)
        counter.last = F("last") + 1
        counter.save(update_fields=["last"])
        counter.refresh_from_db(fields=["last"])
    return f"{KIND_PREFIX[kind]}-{day:%Y%m%d}-{counter.last:04d}"


def sla_budgets(*, category: Category, priority: str) -> tuple[dt.timedelta, dt.timedelta]:
    policy = SLAPolicy.objects.filter(category=category, priority=priority).first()
    if policy is not None:
        return dt.timedelta(minutes=policy.response_minutes), dt.timedelta(minutes=policy.resolution_minutes)
    return DEFAULT_BUDGETS[priority]


def _clock(ticket: Ticket) -> Clock:
    return Clock(
        started_at=ticket.sla_started_at,
        paused_seconds=ticket.paused_seconds,
        paused_since=ticket.on_hold_since,
    )


def _apply_deadlines(ticket: Ticket, *, now: dt.datetime) -> None:
    response, resolution = sla_budgets(category=ticket.category, priority=ticket.priority)
    clock = _clock(ticket)
    ticket.response_due_at = ticket.created_at + response if ticket.created_at else now + response
    ticket.resolution_due_at = clock.due_at(resolution, now)
    ticket.at_risk_at = at_risk_from(ticket.resolution_due_at, resolution)


# --- Events, notifications ---------------------------------------------------------------------


def _event(
    ticket: Ticket,
    *,
    kind: str,
    by,
    body: str = "",
    internal: bool = False,
    action: str = "",
    from_status: str = "",
    to_status: str = "",
) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket,
        kind=kind,
        actor=by,
        body=body,
        is_internal=internal,
        action=action,
        from_status=from_status,
        to_status=to_status,
    )


def _publish(ticket: Ticket, event: TicketEvent | None = None) -> None:
    payload = {
        "type": "ticket.changed",
        "ticket": ticket.pk,
        "status": ticket.status,
        "status_display": str(Status(ticket.status).label),
        "version": ticket.version,
    }
    if event is not None and not event.is_internal:
        payload["event"] = {"kind": event.kind, "body": event.body, "at": event.created_at.isoformat()}
    publish_on_commit(ticket_group(ticket.pk), payload)


def _portal_url(ticket: Ticket) -> str:
    return reverse("portal-tickets:detail", args=[ticket.pk])


def _worker_url(ticket: Ticket) -> str:
    return reverse("worker:detail", args=[ticket.pk])


def _reporters(ticket: Ticket) -> list:
    return [ticket.reporter_user] if ticket.reporter_user_id else []


def _notify(recipients, *, ticket: Ticket, verb: str, title: str, body: str = "", url: str = "", by=None):
    # Nobody needs a message about what they just did themselves.
    recipients = [u for u in recipients if u is not None and (by is None or u.pk != by.pk)]
    if recipients:
        notification_send(
            recipients=recipients, verb=verb, title=title, body=body, url=url, estate=ticket.estate
        )


# --- Filing -------------------------------------------------------------------------------------


@transaction.atomic
def ticket_create(
    *,
    by,
    category: Category,
    description: str,
    unit: Unit | None = None,
    common_area: str = "",
    priority: str | None = None,
    channel: str = Channel.PORTAL,
    reporter: Resident | None = None,
    photos: Sequence = (),
    now: dt.datetime | None = None,
) -> Ticket:
    """File a ticket. Residents file for their own units or a common area of their estate;
    front desk staff file phone and walk-in tickets for any resident of their estate."""
    now = now or timezone.now()
    estate_id = category.estate_id
    description = (description or "").strip()
    common_area = (common_area or "").strip()
    errors: dict[str, list[str]] = {}
    if not description:
        errors.setdefault("description", []).append(_("Describe the problem."))
    _too_long(errors, "description", description, TEXT_MAX)
    _too_long(errors, "common_area", common_area, COMMON_AREA_MAX)
    if not category.is_active:
        errors.setdefault("category", []).append(_("This category is no longer in use."))
    if unit is not None and common_area:
        errors.setdefault("common_area", []).append(_("Choose either a unit or a common area, not both."))
    if priority is not None and priority not in Priority.values:
        errors.setdefault("priority", []).append(_("Unknown priority."))
    if channel not in Channel.values:
        errors.setdefault("channel", []).append(_("Unknown channel."))
    if errors:
        raise ValidationError(errors)

    acting_as_staff = by.is_staff and selectors.is_staff_of(by, estate_id) and channel != Channel.PORTAL
    if acting_as_staff:
        if unit is not None and unit.building.estate_id != estate_id:
            raise ValidationError({"unit": _("This unit is not in the category's estate.")})
        if reporter is not None and reporter.estate_id != estate_id:
            raise ValidationError({"reporter": _("This resident is not in the category's estate.")})
        reporter_user = reporter.user if reporter is not None else None
    else:
        channel = Channel.PORTAL
        # A Resident record outlives a move-out: filing needs a household there now.
        reporter = selectors.resident_record(by, estate_id)
        if reporter is None or not my_estate_ids(by).filter(building__estate_id=estate_id).exists():
            raise PermissionDenied(_("You are not a resident of this estate."))
        if unit is not None and not my_units(by).filter(pk=unit.pk).exists():
            raise ValidationError({"unit": _("You can only report for your own home.")})
        if unit is not None and unit.building.estate_id != estate_id:
            raise ValidationError({"unit": _("This home is not in the category's estate.")})
        if unit is None and not common_area:
            raise ValidationError({"common_area": _("Choose your home or name the common area.")})
        reporter_user = by
        if priority == Priority.URGENT:
            priority = Priority.HIGH  # residents flag "high"; staff decide what is urgent
    cleaned = photos_clean(photos)

    ticket = Ticket(
        estate_id=estate_id,
        number=number_allocate(estate_id=estate_id, kind=category.kind, on=timezone.localdate(now)),
        kind=category.kind,
        category=category,
        priority=priority or category.default_priority,
        channel=channel,
        reporter=reporter,
        reporter_user=reporter_user,
        unit=unit,
        common_area=common_area,
        description=description,
        sla_started_at=now,
    )
    ticket.created_at = now
    _apply_deadlines(ticket, now=now)
    ticket.save()
    for content in cleaned:
        TicketPhoto.objects.create(ticket=ticket, image=content, stage=PhotoStage.REPORT, uploaded_by=by)
    event = _event(ticket, kind=EventKind.CREATED, by=by, body=description, to_status=Status.NEW)
    _publish(ticket, event)
    desk = selectors.estate_managers(estate_id, roles=selectors.HANDLING_ROLES)
    _notify(
        desk,
        ticket=ticket,
        verb="ticket.created",
        by=by,
        title=_("New ticket %(number)s: %(category)s") % {"number": ticket.number, "category": category.name},
        body=description[:120],
        url=reverse("admin:tickets_ticket_change", args=[ticket.pk]),
    )
    return ticket


# --- Workflow -----------------------------------------------------------------------------------


def _lock(ticket: Ticket, expected_version: int | None) -> Ticket:
    locked = Ticket.objects.select_for_update().select_related("category", "estate").get(pk=ticket.pk)
    if expected_version is not None and int(expected_version) != locked.version:
        raise StaleTicket()
    return locked


@transaction.atomic
def ticket_act(
    *,
    ticket: Ticket,
    action: str,
    by,
    expected_version: int | None = None,
    reason: str = "",
    assignee=None,
    photos: Sequence = (),
    now: dt.datetime | None = None,
) -> Ticket:
    """Apply one workflow action. ``by=None`` is the system (periodic jobs)."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    locked = _lock(ticket, expected_version)
    old = locked.status
    new = next_status(old, action, selectors.roles_for(by, locked))
    if action in NEEDS_REASON and not reason:
        raise ValidationError({"reason": _("Please write why (what was done, or what is missing).")})
    _check_text("reason", reason)

    notify: list[tuple[list, str, str]] = []  # (recipients, verb, title)
    number = locked.number
    if action == Action.ASSIGN:
        if assignee is None:
            raise ValidationError({"assignee": _("Choose who should handle the ticket.")})
        if (
            not assignee.is_active
            or not StaffMembership.objects.filter(
                user=assignee, estate_id=locked.estate_id, role__in=selectors.ASSIGNABLE_ROLES
            ).exists()
        ):
            raise ValidationError({"assignee": _("This person does not work on tickets in this estate.")})
        locked.assignee = assignee
        locked.accepted_at = None
        locked.responded_at = locked.responded_at or now
        name = str(assignee)
        reason = reason or (_("Assigned to %(name)s") % {"name": name})
        notify.append(([assignee], "ticket.assigned", _("Ticket %(n)s assigned to you") % {"n": number}))
        notify.append(
            (
                _reporters(locked),
                "ticket.status",
                _("Your ticket %(n)s is being handled by %(name)s") % {"n": number, "name": name},
            )
        )
    elif action == Action.ACCEPT:
        locked.accepted_at = now
    elif action == Action.HOLD:
        clock = _clock(locked).pause(now)
        locked.on_hold_since = clock.paused_since
        notify.append(
            (_reporters(locked), "ticket.status", _("Your ticket %(n)s is on hold") % {"n": number})
        )
    elif action == Action.RESUME:
        clock = _clock(locked).resume(now)
        locked.paused_seconds, locked.on_hold_since = clock.paused_seconds, None
        _apply_deadlines(locked, now=now)
    elif action == Action.RESOLVE:
        # Up to MAX_PHOTOS of the finished work, besides the resident's own photos.
        for content in photos_clean(photos):
            TicketPhoto.objects.create(
                ticket=locked, image=content, stage=PhotoStage.RESOLUTION, uploaded_by=by
            )
        locked.resolution_note = reason
        locked.resolved_at = now
        notify.append(
            (
                _reporters(locked),
                "ticket.resolved",
                _("Your ticket %(n)s is resolved — please confirm and rate") % {"n": number},
            )
        )
    elif action == Action.REOPEN:
        window = dt.timedelta(days=selectors.settings_for(locked.estate_id).reopen_days)
        if locked.resolved_at is None or now > locked.resolved_at + window:
            raise TransitionError(
                _("A ticket can be reopened only within %(days)d days of being resolved.")
                % {"days": window.days}
            )
        # The work starts over: a fresh resolution clock from the reopening.
        locked.sla_started_at, locked.paused_seconds, locked.on_hold_since = now, 0, None
        locked.resolved_at = None
        locked.escalation_level = 0
        _apply_deadlines(locked, now=now)
        staff = [locked.assignee] if locked.assignee_id else []
        notify.append(
            (
                staff + selectors.estate_managers(locked.estate_id, roles=selectors.HANDLING_ROLES),
                "ticket.reopened",
                _("Ticket %(n)s was reopened by the resident") % {"n": number},
            )
        )
    elif action in (Action.CONFIRM, Action.CLOSE, Action.CANCEL, Action.DECLINE):
        if locked.on_hold_since is not None:
            clock = _clock(locked).resume(now)
            locked.paused_seconds, locked.on_hold_since = clock.paused_seconds, None
        locked.closed_at = now
        if action == Action.DECLINE:
            notify.append(
                (_reporters(locked), "ticket.declined", _("Your ticket %(n)s was declined") % {"n": number})
            )
        if action == Action.CANCEL and locked.assignee_id:
            notify.append(
                ([locked.assignee], "ticket.cancelled", _("Ticket %(n)s was cancelled") % {"n": number})
            )
    if action in (Action.START, Action.RESUME) and locked.responded_at is None:
        locked.responded_at = now

    locked.status = new
    locked.version = F("version") + 1
    locked.save()
    locked.refresh_from_db(fields=["version", "updated_at"])
    event = _event(
        locked,
        kind=EventKind.ASSIGNED if action == Action.ASSIGN else EventKind.STATUS,
        by=by,
        body=reason,
        action=action,
        from_status=old,
        to_status=new,
    )
    _publish(locked, event)
    for recipients, verb, title in notify:
        url = (
            _worker_url(locked)
            if verb in ("ticket.assigned", "ticket.reopened", "ticket.cancelled")
            else _portal_url(locked)
        )
        _notify(recipients, ticket=locked, verb=verb, title=title, body=reason, url=url, by=by)
    return locked


def ticket_assign(*, ticket: Ticket, technician, by, expected_version: int | None = None) -> Ticket:
    return ticket_act(
        ticket=ticket, action=Action.ASSIGN, by=by, assignee=technician, expected_version=expected_version
    )


def tickets_bulk_assign(*, tickets, technician, by) -> tuple[int, list[str]]:
    """Assign each ticket that can be assigned now; returns (count, problems) for the rest."""
    done, problems = 0, []
    for ticket in tickets:
        try:
            ticket_assign(ticket=ticket, technician=technician, by=by)
            done += 1
        except (ValidationError, PermissionDenied) as exc:
            text = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            problems.append(f"{ticket.number}: {text}")
    return done, problems


@transaction.atomic
def ticket_comment(*, ticket: Ticket, by, body: str, internal: bool = False) -> TicketEvent:
    """A public comment (resident or staff) or an internal note (staff only)."""
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write something first.")})
    _check_text("body", body)
    roles = selectors.roles_for(by, ticket)
    is_staff = selectors.is_staff_of(by, ticket.estate_id)
    if internal and not is_staff:
        raise PermissionDenied(_("Only staff can write internal notes."))
    if not internal and not (roles or is_staff):
        raise PermissionDenied(_("You cannot comment on this ticket."))
    if ticket.status in (Status.CLOSED, Status.CANCELLED, Status.DECLINED) and not is_staff:
        raise TransitionError(_("This ticket is finished; file a new one if the problem came back."))
    event = _event(
        ticket, kind=EventKind.NOTE if internal else EventKind.COMMENT, by=by, body=body, internal=internal
    )
    if not internal:
        _publish(ticket, event)
        if Role.REPORTER in roles and ticket.assignee_id:
            _notify(
                [ticket.assignee],
                ticket=ticket,
                verb="ticket.comment",
                by=by,
                body=body[:120],
                title=_("New comment on ticket %(n)s") % {"n": ticket.number},
                url=_worker_url(ticket),
            )
        elif Role.REPORTER not in roles:
            _notify(
                _reporters(ticket),
                ticket=ticket,
                verb="ticket.comment",
                by=by,
                body=body[:120],
                title=_("New reply on your ticket %(n)s") % {"n": ticket.number},
                url=_portal_url(ticket),
            )
    return event


@transaction.atomic
def ticket_rate(*, ticket: Ticket, by, score: int, comment: str = "") -> Rating:
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if Role.REPORTER not in selectors.roles_for(by, locked):
        raise PermissionDenied(_("Only the resident who reported the ticket can rate it."))
    if locked.status != Status.CLOSED or locked.resolved_at is None:
        raise TransitionError(_("A ticket can be rated once it is resolved and confirmed."))
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = 0
    if not 1 <= score <= 5:
        raise ValidationError({"score": _("Give a score from 1 to 5.")})
    if Rating.objects.filter(ticket=locked).exists():
        raise TransitionError(_("This ticket has already been rated."))
    comment = (comment or "").strip()
    _check_text("comment", comment, RATING_COMMENT_MAX)
    rating = Rating.objects.create(ticket=locked, score=score, comment=comment, by=by)
    event = _event(
        locked, kind=EventKind.RATED, by=by, body=f"{'★' * score}{'☆' * (5 - score)} {rating.comment}".strip()
    )
    _publish(locked, event)
    if locked.assignee_id:
        _notify(
            [locked.assignee],
            ticket=locked,
            verb="ticket.rated",
            by=by,
            body=rating.comment,
            title=_("Ticket %(n)s rated %(score)d/5") % {"n": locked.number, "score": score},
            url=_worker_url(locked),
        )
    return rating


EDITABLE_FIELDS = ("category", "priority", "description", "common_area", "unit")


@transaction.atomic
def ticket_update(
    *, ticket: Ticket, by, expected_version: int, changes: dict, now: dt.datetime | None = None
) -> Ticket:
    """Staff edits of the triage fields; refused when someone saved the ticket meanwhile."""
    now = now or timezone.now()
    if not selectors.is_staff_of(by, ticket.estate_id) or Role.STAFF not in selectors.roles_for(by, ticket):
        raise PermissionDenied(_("Only the estate's staff can edit tickets."))
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({f: _("This field cannot be changed here.") for f in unknown})
    locked = _lock(ticket, expected_version)
    if locked.is_final:
        raise TransitionError(_("A finished ticket cannot be edited."))
    changed = []
    for field, value in changes.items():
        if getattr(locked, field) != value:
            setattr(locked, field, value)
            changed.append(field)
    if not changed:
        return locked
    if "category" in changed:
        if locked.category.estate_id != locked.estate_id:
            raise ValidationError({"category": _("This category belongs to another estate.")})
        locked.kind = locked.category.kind
    if "unit" in changed and locked.unit is not None and locked.unit.building.estate_id != locked.estate_id:
        raise ValidationError({"unit": _("This unit is not in the ticket's estate.")})
    if "priority" in changed and locked.priority not in Priority.values:
        raise ValidationError({"priority": _("Unknown priority.")})
    errors: dict[str, list[str]] = {}
    locked.description = (locked.description or "").strip()
    locked.common_area = (locked.common_area or "").strip()
    if not locked.description:
        errors.setdefault("description", []).append(_("Describe the problem."))
    _too_long(errors, "description", locked.description, TEXT_MAX)
    _too_long(errors, "common_area", locked.common_area, COMMON_AREA_MAX)
    if locked.unit_id and locked.common_area:
        errors.setdefault("common_area", []).append(_("Choose either a unit or a common area, not both."))
    if errors:
        raise ValidationError(errors)
    if {"category", "priority"} & set(changed):
        _apply_deadlines(locked, now=now)
        locked.escalation_level = 0
    locked.full_clean(exclude=["number", "version"])
    locked.version = F("version") + 1
    locked.save()
    locked.refresh_from_db(fields=["version", "updated_at"])
    labels = ", ".join(str(Ticket._meta.get_field(f).verbose_name) for f in changed)
    event = _event(
        locked,
        kind=EventKind.UPDATED,
        by=by,
        internal=True,
        body=_("Changed: %(fields)s") % {"fields": labels},
    )
    _publish(locked, event)
    return locked


# --- Periodic jobs ------------------------------------------------------------------------------


def _escalation_level_at(ticket: Ticket, now: dt.datetime) -> int:
    """0 on time, 1 at risk, 2 overdue — by the ticket's stored deadlines."""
    if ticket.resolution_due_at and now >= ticket.resolution_due_at:
        return 2
    if ticket.at_risk_at and now >= ticket.at_risk_at:
        return 1
    return 0


def tickets_escalate(*, now: dt.datetime | None = None) -> int:
    """Raise the escalation level of running tickets that are at risk (1) or overdue (2).

    Level 1 notifies the assignee (the front desk when nobody is assigned); level 2 notifies the
    assignee and the estate's managers. The level only goes up, with a conditional UPDATE, so
    running the job twice, or two workers at once, never notifies twice for one level.
    """
    now = now or timezone.now()
    candidates = (
        Ticket.objects.filter(status__in=RUNNING_STATUSES, escalation_level__lt=2, at_risk_at__lte=now)
        .select_related("assignee", "estate")
        .order_by("pk")
    )
    raised = 0
    for ticket in candidates.iterator(chunk_size=500):
        level = _escalation_level_at(ticket, now)
        if level <= ticket.escalation_level:
            continue
        with transaction.atomic():
            if not Ticket.objects.filter(
                pk=ticket.pk, escalation_level__lt=level, status__in=RUNNING_STATUSES
            ).update(escalation_level=level):
                continue
            raised += 1
            if level == 1:
                title = _("Ticket %(n)s is at risk of missing its deadline") % {"n": ticket.number}
                recipients = (
                    [ticket.assignee]
                    if ticket.assignee_id
                    else selectors.estate_managers(ticket.estate_id, roles=selectors.HANDLING_ROLES)
                )
            else:
                title = _("Ticket %(n)s is overdue") % {"n": ticket.number}
                recipients = ([ticket.assignee] if ticket.assignee_id else []) + selectors.estate_managers(
                    ticket.estate_id
                )
            _event(ticket, kind=EventKind.ESCALATED, by=None, body=title, internal=True)
            _notify(
                recipients,
                ticket=ticket,
                verb="ticket.overdue" if level == 2 else "ticket.at_risk",
                title=title,
                url=_worker_url(ticket),
            )
    return raised


def tickets_auto_close(*, now: dt.datetime | None = None) -> int:
    """Close resolved tickets the resident neither confirmed nor reopened in time."""
    now = now or timezone.now()
    default_days = TicketSettings._meta.get_field("auto_close_days").default
    rows = (
        Ticket.objects.filter(status=Status.RESOLVED, resolved_at__isnull=False)
        .annotate(days=Coalesce("estate__ticket_settings__auto_close_days", Value(default_days)))
        .values_list("pk", "resolved_at", "days")
    )
    due = [pk for pk, resolved_at, days in rows if resolved_at + dt.timedelta(days=days) <= now]
    closed = 0
    for pk in due:
        try:
            ticket_act(ticket=Ticket(pk=pk), action=Action.CLOSE, by=None, now=now, reason="")
            closed += 1
        except (TransitionError, StaleTicket):
            continue  # the resident acted meanwhile
    return closed
