"""Filing a ticket and staff edits of its triage fields; both check ``filing.filing_errors``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from community.errors import NotAllowed, ServiceError, TransitionRefused
from community.residents.models import Resident, Unit
from community.scoping import my_estate_ids, my_units

from .. import messages, selectors
from ..filing import filing_errors
from ..models import (
    KIND_PREFIX,
    Category,
    Channel,
    EventKind,
    PhotoStage,
    Priority,
    Ticket,
    TicketCounter,
    TicketPhoto,
)
from ..photos import photos_clean
from ..sla import ESCALATION_NONE
from ..transitions import Role, Status
from .common import apply_deadlines, check_text, desk, event, lock, notify, publish, save_new_version


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
    acting_as_staff = by.is_staff and selectors.is_staff_of(by, estate_id) and channel != Channel.PORTAL
    errors = filing_errors(
        estate_id=estate_id,
        category=category,
        description=description,
        unit=unit,
        common_area=common_area,
        priority=priority,
        channel=channel,
        require_location=not acting_as_staff,
    )
    if acting_as_staff:
        if reporter is not None and reporter.estate_id != estate_id:
            errors.setdefault("reporter", []).append(_("This resident is not in the category's estate."))
        if errors:
            raise ServiceError(errors)
        reporter_user = reporter.user if reporter is not None else None
    else:
        channel = Channel.PORTAL
        # A Resident record outlives a move-out: filing needs a household there now.
        reporter = selectors.resident_record(by, estate_id)
        if reporter is None or not my_estate_ids(by).filter(building__estate_id=estate_id).exists():
            raise NotAllowed(_("You are not a resident of this estate."))
        if unit is not None and not my_units(by).filter(pk=unit.pk).exists():
            errors = {"unit": [_("You can only report for your own home.")]}
        if errors:
            raise ServiceError(errors)
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
    apply_deadlines(ticket, now=now)
    ticket.save()
    for content in cleaned:
        TicketPhoto.objects.create(ticket=ticket, image=content, stage=PhotoStage.REPORT, uploaded_by=by)
    created = event(ticket, kind=EventKind.CREATED, by=by, body=description, to_status=Status.NEW, at=now)
    publish(ticket, created)
    notify(
        desk(ticket),
        ticket=ticket,
        verb="ticket.created",
        message=messages.CREATED,
        params={"number": ticket.number, "category": category.name},
        by=by,
        body=description[:120],
        url=reverse("admin:tickets_ticket_change", args=[ticket.pk]),
    )
    return ticket


EDITABLE_FIELDS = ("category", "priority", "description", "common_area", "unit")
# Changing these moves the deadlines: the change needs a reason on the record.
DEADLINE_FIELDS = frozenset({"category", "priority"})


@transaction.atomic
def ticket_update(
    *,
    ticket: Ticket,
    by,
    expected_version: int | None,
    changes: dict,
    reason: str = "",
    now: dt.datetime | None = None,
) -> Ticket:
    """Staff edits of the triage fields; refused when someone saved the ticket meanwhile.

    A new priority or category moves the deadlines and needs a reason; a deadline already missed
    leaves the ticket ``breached`` for good.
    """
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not selectors.is_staff_of(by, ticket.estate_id) or Role.STAFF not in selectors.roles_for(by, ticket):
        raise NotAllowed(_("Only the estate's staff can edit tickets."))
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ServiceError({f: [_("This field cannot be changed here.")] for f in unknown})
    locked = lock(ticket, expected_version)
    if locked.is_final:
        raise TransitionRefused(_("A finished ticket cannot be edited."))
    changed = [f for f, value in changes.items() if getattr(locked, f) != value]
    if not changed:
        return locked
    for field in changed:
        setattr(locked, field, changes[field])
    locked.description = (locked.description or "").strip()
    locked.common_area = (locked.common_area or "").strip()
    errors = filing_errors(
        estate_id=locked.estate_id,
        category=locked.category,
        description=locked.description,
        unit=locked.unit,
        common_area=locked.common_area,
        priority=locked.priority,
        category_changed="category" in changed,
    )
    if DEADLINE_FIELDS & set(changed) and not reason:
        errors.setdefault("reason", []).append(_("Say why the priority or category changes."))
    if errors:
        raise ServiceError(errors)
    check_text("reason", reason)
    if "category" in changed:
        locked.kind = locked.category.kind
    if DEADLINE_FIELDS & set(changed):
        if locked.resolution_due_at and now >= locked.resolution_due_at and locked.status != Status.ON_HOLD:
            locked.breached = True
        apply_deadlines(locked, now=now)
        locked.escalation_level = ESCALATION_NONE
    save_new_version(locked)
    updated = event(
        locked,
        kind=EventKind.UPDATED,
        by=by,
        internal=True,
        body=reason,
        message=messages.CHANGED,
        params={"fields": changed},
    )
    publish(locked, updated)
    return locked
