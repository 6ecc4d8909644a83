"""Periodic jobs: escalation (response, arrival, resolution deadlines; long holds) and auto-close.

Each alert flag or level only goes up, with a conditional UPDATE, so running a job twice, or two
workers at once, never notifies twice for the same thing.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from community.errors import TransitionRefused

from .. import messages
from ..models import EventKind, HoldReason, Ticket, TicketEvent, TicketSettings
from ..sla import ESCALATION_AT_RISK, ESCALATION_LEVEL, ESCALATION_OVERDUE, sla_state
from ..transitions import Action, Status
from .common import StaleTicket, desk, event, managers, notify, worker_url
from .workflow import ticket_act

JOB_CHUNK = 500
# Not yet responded to: filed or returned to dispatch, or assigned but not accepted.
AWAITING_RESPONSE = (Status.NEW, Status.ASSIGNED)
# Not yet on site.
AWAITING_ARRIVAL = (Status.NEW, Status.ASSIGNED)


def _raise_flag(ticket: Ticket, **flag) -> bool:
    """Set a boolean alert flag once; False when someone (another worker) set it already."""
    (name,) = flag
    return bool(Ticket.objects.filter(pk=ticket.pk, **{name: False}).update(**flag))


def _escalate_resolution(ticket: Ticket, now: dt.datetime, by) -> bool:
    level = ESCALATION_LEVEL[
        sla_state(now=now, due_at=ticket.resolution_due_at, at_risk_at=ticket.at_risk_at)
    ]
    if level <= ticket.escalation_level:
        return False
    changes = {"escalation_level": level}
    if level == ESCALATION_OVERDUE:
        changes["breached"] = True
    if not Ticket.objects.running().filter(pk=ticket.pk, escalation_level__lt=level).update(**changes):
        return False
    assignee = [ticket.assignee] if ticket.assignee_id else []
    if level == ESCALATION_AT_RISK:
        key = messages.AT_RISK
        recipients = assignee or desk(ticket)
        # Reopened work: the desk hears of its first at-risk alert too (返修 is watched).
        if assignee and TicketEvent.objects.filter(ticket=ticket, action=Action.REOPEN).exists():
            recipients = recipients + desk(ticket)
    else:
        key = messages.OVERDUE
        recipients = assignee + managers(ticket)
    event(ticket, kind=EventKind.ESCALATED, by=by, message=key, params={"n": ticket.number}, internal=True)
    notify(
        recipients,
        ticket=ticket,
        verb="ticket.overdue" if level == ESCALATION_OVERDUE else "ticket.at_risk",
        message=key,
        url=worker_url(ticket),
    )
    return True


def _alert(ticket: Ticket, *, flag: str, key: str, verb: str, by, params: dict | None = None) -> bool:
    """One alert to the front desk and the managers, recorded on the timeline."""
    changes = {flag: True}
    if flag in ("response_alerted", "arrival_alerted"):
        changes["breached"] = True  # a missed response or arrival deadline is a breach too
    if not Ticket.objects.filter(pk=ticket.pk, **{flag: False}).update(**changes):
        return False
    params = {"n": ticket.number, **(params or {})}
    event(ticket, kind=EventKind.ESCALATED, by=by, message=key, params=params, internal=True)
    recipients = desk(ticket) + managers(ticket)
    notify(recipients, ticket=ticket, verb=verb, message=key, params=params, url=worker_url(ticket))
    return True


def tickets_escalate(*, by: str, now: dt.datetime | None = None) -> int:
    """Alert on every deadline that passed; returns how many alerts went out.

    - response (accepting the job) late: front desk and managers;
    - arrival on site late: front desk and managers;
    - resolution at risk: the assignee (the front desk when nobody is assigned); overdue: the
      assignee and the managers;
    - on hold longer than the estate's ``long_hold_days``: the managers.
    """
    now = now or timezone.now()
    raised = 0
    related = ("assignee", "estate")
    late_response = Ticket.objects.filter(
        status__in=AWAITING_RESPONSE,
        responded_at__isnull=True,
        response_alerted=False,
        response_due_at__lte=now,
    )
    for ticket in late_response.select_related(*related).order_by("pk").iterator(chunk_size=JOB_CHUNK):
        with transaction.atomic():
            raised += _alert(
                ticket, flag="response_alerted", key=messages.NO_RESPONSE, verb="ticket.no_response", by=by
            )
    late_arrival = Ticket.objects.filter(
        status__in=AWAITING_ARRIVAL, arrived_at__isnull=True, arrival_alerted=False, arrival_due_at__lte=now
    )
    for ticket in late_arrival.select_related(*related).order_by("pk").iterator(chunk_size=JOB_CHUNK):
        with transaction.atomic():
            raised += _alert(
                ticket, flag="arrival_alerted", key=messages.NOT_ON_SITE, verb="ticket.not_on_site", by=by
            )
    running = Ticket.objects.running().filter(escalation_level__lt=ESCALATION_OVERDUE, at_risk_at__lte=now)
    for ticket in running.select_related(*related).order_by("pk").iterator(chunk_size=JOB_CHUNK):
        with transaction.atomic():
            raised += _escalate_resolution(ticket, now, by)
    raised += _alert_long_holds(now, by)
    return raised


def _alert_long_holds(now: dt.datetime, by) -> int:
    default_days = TicketSettings._meta.get_field("long_hold_days").default
    held = (
        Ticket.objects.filter(status=Status.ON_HOLD, hold_alerted=False)
        .annotate(days=Coalesce("estate__ticket_settings__long_hold_days", Value(default_days)))
        .select_related("assignee", "estate")
        .order_by("pk")
    )
    raised = 0
    for ticket in held.iterator(chunk_size=JOB_CHUNK):
        since = _held_since(ticket)
        if since is None or since + dt.timedelta(days=ticket.days) > now:
            continue
        with transaction.atomic():
            raised += _alert(
                ticket,
                flag="hold_alerted",
                key=messages.LONG_HOLD,
                verb="ticket.long_hold",
                by=by,
                params={"days": (now - since).days},
            )
    return raised


def _held_since(ticket: Ticket) -> dt.datetime | None:
    if ticket.on_hold_since is not None:
        return ticket.on_hold_since
    # A wait for parts keeps the clock running, so its start is the hold event's time.
    hold = (
        TicketEvent.objects.filter(ticket=ticket, action=Action.HOLD).order_by("-created_at", "-id").first()
    )
    return hold.created_at if hold is not None and ticket.hold_reason == HoldReason.PARTS else None


def tickets_auto_close(*, by: str, now: dt.datetime | None = None) -> int:
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
            ticket_act(ticket=Ticket(pk=pk), action=Action.CLOSE, by=by, now=now)
            closed += 1
        except (TransitionRefused, StaleTicket):
            continue  # the resident acted meanwhile
    return closed
