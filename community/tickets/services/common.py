"""What every ticket service shares: the row lock, the SLA deadlines, the timeline event, the
websocket push and the notification to the people concerned."""

from __future__ import annotations

import datetime as dt

from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from community.calendar.selectors import work_calendar
from community.errors import StaleVersion, text_within
from community.notifications.services import notification_send
from community.realtime import publish_on_commit

from .. import selectors
from ..filing import TEXT_MAX
from ..models import BUSINESS_HOURS_PRIORITIES, DEFAULT_ARRIVAL_MINUTES, SLAPolicy, Ticket, TicketEvent
from ..sla import AT_RISK_DIVISOR, DEFAULT_BUDGETS, Clock, at_risk_from
from ..transitions import Status

# The explicit actors of the periodic jobs (TicketEvent.system_actor).
SYSTEM_ESCALATE = "system:tickets_escalate"
SYSTEM_AUTO_CLOSE = "system:tickets_auto_close"


class StaleTicket(StaleVersion):
    def __init__(self, message=None, code=None, params=None):
        super().__init__(
            message
            or gettext_lazy("This ticket was changed by someone else meanwhile; reload it and try again."),
            code=code,
            params=params,
        )


def is_system(by) -> bool:
    return isinstance(by, str) and by.startswith("system:")


def actor_user(by):
    """The user behind ``by``; None for a system actor."""
    return None if is_system(by) else by


def check_text(field: str, value: str, limit: int = TEXT_MAX) -> None:
    text_within(value, field=field, limit=limit)


def ticket_group(ticket_id: int) -> str:
    return f"ticket.{ticket_id}"


def portal_url(ticket: Ticket) -> str:
    return reverse("portal-tickets:detail", args=[ticket.pk])


def worker_url(ticket: Ticket) -> str:
    return reverse("worker:detail", args=[ticket.pk])


def reporters(ticket: Ticket) -> list:
    return [ticket.reporter_user] if ticket.reporter_user_id else []


def desk(ticket: Ticket) -> list:
    return selectors.estate_managers(ticket.estate_id, roles=selectors.HANDLING_ROLES)


def managers(ticket: Ticket) -> list:
    return selectors.estate_managers(ticket.estate_id)


# --- SLA --------------------------------------------------------------------------------------


def sla_budgets(*, category, priority: str) -> tuple[dt.timedelta, dt.timedelta]:
    policy = SLAPolicy.objects.filter(category=category, priority=priority).first()
    if policy is not None:
        return dt.timedelta(minutes=policy.response_minutes), dt.timedelta(minutes=policy.resolution_minutes)
    return DEFAULT_BUDGETS[priority]


def arrival_budget(*, estate_id: int, priority: str) -> dt.timedelta:
    settings = selectors.settings_for(estate_id)
    minutes = settings.arrival_minutes(priority) if settings.pk else DEFAULT_ARRIVAL_MINUTES[priority]
    return dt.timedelta(minutes=minutes)


def clock_of(ticket: Ticket) -> Clock:
    return Clock(
        started_at=ticket.sla_started_at,
        paused_seconds=ticket.paused_seconds,
        paused_since=ticket.on_hold_since,
    )


def apply_deadlines(ticket: Ticket, *, now: dt.datetime) -> None:
    """Response, arrival and resolution deadlines from the category, priority and estate.

    Where the estate counts working hours for this priority, each budget is laid on the working
    calendar (weekdays, holidays, 调休); time on hold is added on top, on the wall clock.
    """
    response, resolution = sla_budgets(category=ticket.category, priority=ticket.priority)
    arrival = arrival_budget(estate_id=ticket.estate_id, priority=ticket.priority)
    filed = ticket.created_at or now
    clock = clock_of(ticket)
    paused = clock.due_at(dt.timedelta(0), now) - clock.started_at
    calendar = _working_calendar(ticket, around=timezone.localdate(now))
    if calendar is None:
        ticket.response_due_at = filed + response
        ticket.arrival_due_at = filed + arrival
        ticket.resolution_due_at = clock.due_at(resolution, now)
        ticket.at_risk_at = at_risk_from(ticket.resolution_due_at, resolution)
        return
    ticket.response_due_at = calendar.add(filed, response)
    ticket.arrival_due_at = calendar.add(filed, arrival)
    ticket.resolution_due_at = calendar.add(clock.started_at, resolution) + paused
    ticket.at_risk_at = calendar.add(clock.started_at, resolution - resolution // AT_RISK_DIVISOR) + paused


def _working_calendar(ticket: Ticket, *, around: dt.date):
    if ticket.priority not in BUSINESS_HOURS_PRIORITIES:
        return None
    settings = selectors.settings_for(ticket.estate_id)
    if not settings.business_hours:
        return None
    return work_calendar(around=around, day_start=settings.workday_start, day_end=settings.workday_end)


# --- Events, pushes, notifications ------------------------------------------------------------


def lock(ticket: Ticket, expected_version: int | None) -> Ticket:
    locked = Ticket.objects.select_for_update().select_related("category", "estate").get(pk=ticket.pk)
    if expected_version is not None and int(expected_version) != locked.version:
        raise StaleTicket()
    return locked


def save_new_version(ticket: Ticket) -> None:
    """Save a locked ticket as its next version (the optimistic lock every write moves on)."""
    ticket.version = F("version") + 1
    ticket.save()
    ticket.refresh_from_db(fields=["version", "updated_at"])


def event(
    ticket: Ticket,
    *,
    kind: str,
    by,
    body: str = "",
    message: str = "",
    params: dict | None = None,
    internal: bool = False,
    action: str = "",
    from_status: str = "",
    to_status: str = "",
    at: dt.datetime | None = None,
) -> TicketEvent:
    return TicketEvent.objects.create(
        created_at=at or timezone.now(),
        ticket=ticket,
        kind=kind,
        actor=actor_user(by),
        system_actor=by if is_system(by) else "",
        assignee_id=ticket.assignee_id,
        body=body,
        message=message,
        params=params or {},
        is_internal=internal,
        action=action,
        from_status=from_status,
        to_status=to_status,
    )


def publish(ticket: Ticket, ticket_event: TicketEvent | None = None) -> None:
    # Codes, not text: each page shows the status (and a generated line) in its reader's language.
    payload = {
        "type": "ticket.changed",
        "ticket": ticket.pk,
        "status": ticket.status,
        "status_display": str(Status(ticket.status).label),
        "version": ticket.version,
    }
    if ticket_event is not None and not ticket_event.is_internal:
        payload["event"] = {
            "kind": ticket_event.kind,
            "body": ticket_event.body,
            "message": ticket_event.message,
            "params": ticket_event.params,
            "at": ticket_event.created_at.isoformat(),
        }
    publish_on_commit(ticket_group(ticket.pk), payload)


def notify(
    recipients,
    *,
    ticket: Ticket,
    verb: str,
    message: str,
    params: dict | None = None,
    body="",
    url="",
    by=None,
) -> None:
    """Tell ``recipients`` about the ticket; ``message`` is rendered in each reader's language."""
    # Nobody needs a message about what they just did themselves.
    user = actor_user(by)
    recipients = [u for u in recipients if u is not None and (user is None or u.pk != user.pk)]
    if recipients:
        notification_send(
            recipients=recipients,
            verb=verb,
            message=message,
            params={"n": ticket.number, **(params or {})},
            body=body,
            url=url,
            estate=ticket.estate,
        )
