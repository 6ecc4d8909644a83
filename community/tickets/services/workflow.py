"""Every workflow action on a ticket (``ticket_act``), comments and ratings.

``ticket_act`` locks the ticket row, checks the optimistic-lock version, asks
``transitions.next_status`` and records a TicketEvent; websocket events and notifications leave
only after the commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from community.errors import AlreadyDone, NotAllowed, ServiceError, TransitionRefused
from community.residents.models import StaffMembership

from .. import messages, selectors
from ..filing import RATING_COMMENT_MAX
from ..models import EventKind, HoldReason, PhotoStage, Rating, Ticket, TicketEvent, TicketPhoto
from ..photos import photos_clean
from ..sla import ESCALATION_NONE
from ..transitions import TRANSITIONS, Action, Role, Status, needs_reason, next_status
from .common import (
    apply_deadlines,
    check_text,
    clock_of,
    desk,
    event,
    lock,
    notify,
    portal_url,
    publish,
    reporters,
    save_new_version,
    worker_url,
)

# Statuses whose work has started: a new technician takes over with a reason (REASSIGN).
HANDOVER_STATUSES = frozenset(s for (a, s) in TRANSITIONS if a == Action.REASSIGN)


def _check_assignee(ticket: Ticket, assignee) -> None:
    if assignee is None:
        raise ServiceError({"assignee": [_("Choose who should handle the ticket.")]})
    if (
        not assignee.is_active
        or not StaffMembership.objects.filter(
            user=assignee, estate_id=ticket.estate_id, role__in=selectors.ASSIGNABLE_ROLES
        ).exists()
    ):
        raise ServiceError({"assignee": [_("This person does not work on tickets in this estate.")]})


def _stop_hold(ticket: Ticket, now: dt.datetime) -> None:
    if ticket.on_hold_since is not None:
        clock = clock_of(ticket).resume(now)
        ticket.paused_seconds, ticket.on_hold_since = clock.paused_seconds, None


@transaction.atomic
def ticket_act(
    *,
    ticket: Ticket,
    action: str,
    by,
    expected_version: int | None = None,
    reason: str = "",
    assignee=None,
    hold_reason: str = "",
    photos: Sequence = (),
    now: dt.datetime | None = None,
) -> Ticket:
    """Apply one workflow action. ``by`` is a user or a system actor ("system:<job>")."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    locked = lock(ticket, expected_version)
    old = locked.status
    roles = selectors.roles_for(by, locked)
    new = next_status(old, action, roles)
    if needs_reason(action, roles) and not reason:
        raise ServiceError({"reason": [_("Please write why (what was done, or what is missing).")]})
    check_text("reason", reason)

    # (recipients, verb, message, extra params, link for staff?)
    notes: list[tuple[list, str, str, dict, bool]] = []
    message, params = "", {}
    previous_assignee = locked.assignee
    if action in (Action.ASSIGN, Action.REASSIGN):
        _check_assignee(locked, assignee)
        if action == Action.REASSIGN and assignee.pk == locked.assignee_id:
            raise ServiceError({"assignee": [_("The ticket is already with this person.")]})
        locked.assignee = assignee
        locked.accepted_at = None
        name = str(assignee)
        message, params = messages.ASSIGNED_TO, {"name": name}
        notes.append(([assignee], "ticket.assigned", messages.ASSIGNED, {}, True))
        if action == Action.ASSIGN:
            notes.append((reporters(locked), "ticket.status", messages.HANDLED_BY, {"name": name}, False))
        elif previous_assignee is not None:
            notes.append(([previous_assignee], "ticket.reassigned", messages.REASSIGNED_AWAY, {}, True))
    elif action == Action.RETURN:
        locked.assignee = None
        locked.accepted_at = None
        notes.append((desk(locked), "ticket.returned", messages.RETURNED, {}, True))
    elif action == Action.ACCEPT:
        # Accepting the job is the response (the dispatch is not).
        locked.accepted_at = now
        locked.responded_at = locked.responded_at or now
    elif action == Action.START:
        locked.arrived_at = locked.arrived_at or now
        locked.responded_at = locked.responded_at or now
        locked.accepted_at = locked.accepted_at or now
    elif action == Action.HOLD:
        if hold_reason not in HoldReason.values:
            raise ServiceError({"hold_reason": [_("Say what the ticket is waiting for.")]})
        locked.hold_reason = hold_reason
        locked.hold_alerted = False
        # Waiting for the resident stops the clock; waiting for parts does not unless a manager
        # approves it (ticket_hold_approve).
        locked.on_hold_since = now if hold_reason == HoldReason.RESIDENT else None
        notes.append((reporters(locked), "ticket.status", messages.ON_HOLD, {}, False))
    elif action == Action.RESUME:
        _stop_hold(locked, now)
        locked.hold_reason = ""
        apply_deadlines(locked, now=now)
    elif action == Action.RESOLVE:
        # Up to MAX_PHOTOS of the finished work, besides the resident's own photos.
        for content in photos_clean(photos):
            TicketPhoto.objects.create(
                ticket=locked, image=content, stage=PhotoStage.RESOLUTION, uploaded_by=by
            )
        locked.resolution_note = reason
        locked.resolved_at = now
        notes.append((reporters(locked), "ticket.resolved", messages.RESOLVED, {}, False))
    elif action == Action.REOPEN:
        if old == Status.CLOSED and selectors.confirmed_by_resident(locked):
            raise TransitionRefused(
                _("You confirmed this ticket was fixed; file a new one if the problem came back.")
            )
        window = dt.timedelta(days=selectors.settings_for(locked.estate_id).reopen_days)
        if not selectors.within_reopen_window(locked, now):
            raise TransitionRefused(
                _("A ticket can be reopened only within %(days)d days of being resolved.")
                % {"days": window.days}
            )
        # The work starts over: a fresh resolution clock from the reopening.
        locked.sla_started_at, locked.paused_seconds, locked.on_hold_since = now, 0, None
        locked.resolved_at = None
        locked.closed_at = None
        locked.escalation_level = ESCALATION_NONE
        apply_deadlines(locked, now=now)
        staff = [locked.assignee] if locked.assignee_id else []
        notes.append((staff + desk(locked), "ticket.reopened", messages.REOPENED, {}, True))
    elif action in (Action.CONFIRM, Action.CLOSE, Action.CANCEL, Action.DECLINE):
        _stop_hold(locked, now)
        locked.hold_reason = ""
        locked.closed_at = now
        if action == Action.DECLINE:
            notes.append((reporters(locked), "ticket.declined", messages.DECLINED, {}, False))
        if action == Action.CANCEL and locked.assignee_id:
            notes.append(([locked.assignee], "ticket.cancelled", messages.CANCELLED, {}, True))
    if action == Action.RESUME and locked.responded_at is None:
        locked.responded_at = now

    locked.status = new
    save_new_version(locked)
    done = event(
        locked,
        kind=EventKind.ASSIGNED if action in (Action.ASSIGN, Action.REASSIGN) else EventKind.STATUS,
        by=by,
        body=reason,
        message=message,
        params=params,
        action=action,
        from_status=old,
        to_status=new,
        at=now,
    )
    publish(locked, done)
    for recipients, verb, key, extra, for_staff in notes:
        url = worker_url(locked) if for_staff else portal_url(locked)
        notify(recipients, ticket=locked, verb=verb, message=key, params=extra, body=reason, url=url, by=by)
    return locked


@transaction.atomic
def ticket_hold_approve(*, ticket: Ticket, by, now: dt.datetime | None = None) -> Ticket:
    """A manager accepts a wait for parts as not the technician's fault: the clock stops now."""
    now = now or timezone.now()
    locked = lock(ticket, None)
    if not selectors.may_approve_hold(by, locked):
        raise NotAllowed(_("Only the estate's manager can stop the clock for a wait for parts."))
    if locked.status != Status.ON_HOLD or locked.hold_reason != HoldReason.PARTS:
        raise TransitionRefused(_("Only a ticket waiting for parts needs this approval."))
    if not selectors.hold_approval_pending(locked):
        raise AlreadyDone(_("The clock is already stopped."))
    locked.on_hold_since = now
    save_new_version(locked)
    publish(
        locked, event(locked, kind=EventKind.NOTE, by=by, internal=True, body=_("Wait for parts approved."))
    )
    return locked


def ticket_assign(*, ticket: Ticket, technician, by, expected_version: int | None = None) -> Ticket:
    return ticket_act(
        ticket=ticket, action=Action.ASSIGN, by=by, assignee=technician, expected_version=expected_version
    )


def tickets_bulk_assign(*, tickets, technician, by, reason: str = "") -> tuple[int, list[str]]:
    """Assign each ticket that can be assigned now, or hand it over (with ``reason``) when work
    on it has started; returns (count, problems) for the rest."""
    done, problems = 0, []
    for ticket in tickets:
        action = Action.REASSIGN if ticket.status in HANDOVER_STATUSES else Action.ASSIGN
        try:
            ticket_act(ticket=ticket, action=action, by=by, assignee=technician, reason=reason)
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
        raise ServiceError({"body": [_("Write something first.")]})
    check_text("body", body)
    roles = selectors.roles_for(by, ticket)
    # The handlers, and the technician the ticket is assigned to (their internal notes).
    is_staff = selectors.can_see_internal(by, ticket) if not isinstance(by, str) else False
    if internal and not is_staff:
        raise NotAllowed(_("Only staff can write internal notes."))
    if not internal and not (roles or is_staff):
        raise NotAllowed(_("You cannot comment on this ticket."))
    if ticket.status in (Status.CLOSED, Status.CANCELLED, Status.DECLINED) and not is_staff:
        raise TransitionRefused(_("This ticket is finished; file a new one if the problem came back."))
    comment = event(
        ticket, kind=EventKind.NOTE if internal else EventKind.COMMENT, by=by, body=body, internal=internal
    )
    if not internal:
        publish(ticket, comment)
        if Role.REPORTER in roles and ticket.assignee_id:
            notify(
                [ticket.assignee],
                ticket=ticket,
                verb="ticket.comment",
                message=messages.COMMENT_FOR_STAFF,
                by=by,
                body=body[:120],
                url=worker_url(ticket),
            )
        elif Role.REPORTER not in roles:
            notify(
                reporters(ticket),
                ticket=ticket,
                verb="ticket.comment",
                message=messages.REPLY_FOR_RESIDENT,
                by=by,
                body=body[:120],
                url=portal_url(ticket),
            )
    return comment


@transaction.atomic
def ticket_rate(*, ticket: Ticket, by, score: int, comment: str = "") -> Rating:
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if Role.REPORTER not in selectors.roles_for(by, locked):
        raise NotAllowed(_("Only the resident who reported the ticket can rate it."))
    if locked.status != Status.CLOSED or locked.resolved_at is None:
        raise TransitionRefused(_("A ticket can be rated once it is resolved and confirmed."))
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = 0
    if not 1 <= score <= 5:
        raise ServiceError({"score": [_("Give a score from 1 to 5.")]})
    if Rating.objects.filter(ticket=locked).exists():
        raise AlreadyDone(_("This ticket has already been rated."))
    comment = (comment or "").strip()
    check_text("comment", comment, RATING_COMMENT_MAX)
    rating = Rating.objects.create(ticket=locked, score=score, comment=comment, by=by)
    rated = event(
        locked, kind=EventKind.RATED, by=by, body=f"{'★' * score}{'☆' * (5 - score)} {rating.comment}".strip()
    )
    publish(locked, rated)
    if locked.assignee_id:
        notify(
            [locked.assignee],
            ticket=locked,
            verb="ticket.rated",
            message=messages.RATED,
            params={"score": score},
            by=by,
            body=rating.comment,
            url=worker_url(locked),
        )
    return rating
