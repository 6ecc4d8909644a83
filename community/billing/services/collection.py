"""Reminders (催缴) and fapiao requests.

Reminders go out once per bill and level, never in quiet hours (electronic channels), never
while the bill is disputed. In-app reminders reach the unit's current residents with a login;
printed notices and visits are listed for staff. Nothing here (or anywhere) restricts a
service for arrears.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from community.errors import NotAllowed, ServiceError, text_within

from .. import calc, fapiao, messages, reminders
from ..models import Bill, FapiaoRequest, FapiaoStatus, Payment, Reminder
from ..transitions import SETTLED_STATUSES
from ._common import actor_label


def reminders_send(*, estate, now: dt.datetime, by) -> int:
    """Record (and for in-app, deliver) the reminder level each overdue bill has reached."""
    from community.notifications.services import notification_send
    from community.residents.models import Occupancy

    actor = actor_label(by)
    local = now.astimezone(zoneinfo.ZoneInfo(estate.time_zone))
    today = local.date()
    sent = 0
    overdue = (
        Bill.objects.open()
        .filter(estate=estate, due_date__lt=today, payer_unit__isnull=False, disputed=False)
        .order_by("pk")
        .values_list("pk", "payer_unit_id", "due_date", "description", "total", "amount_paid")
    )
    done = set(Reminder.objects.filter(bill__estate=estate).values_list("bill_id", "level"))
    for bill_id, unit_id, due, description, total, paid in overdue.iterator(chunk_size=2000):
        days = calc.overdue_days(due_date=due, as_of=today)
        found = reminders.level_for(days)
        if found is None or (bill_id, found[0]) in done:
            continue
        level, channel = found
        if not reminders.may_send(channel=channel, local_time=local.time(), disputed=False):
            continue
        try:
            with transaction.atomic():
                Reminder.objects.create(
                    bill_id=bill_id, level=level, channel=channel, days_overdue=days, created_by=actor
                )
                if channel == reminders.ReminderChannel.IN_APP:
                    users = [
                        o.resident.user
                        for o in Occupancy.objects.active(today)
                        .filter(unit_id=unit_id)
                        .select_related("resident__user")
                        if o.resident.user_id
                    ]
                    notification_send(
                        recipients=users,
                        verb="billing.reminder",
                        estate=estate,
                        message=messages.REMINDER,
                        params={"item": description, "amount": str(total - paid), "date": due.isoformat()},
                        url=f"/portal/bills/{bill_id}/",
                    )
        except IntegrityError:
            continue  # another run recorded this level first
        sent += 1
    return sent


def fapiao_request_create(*, payment: Payment, title: str, tax_id: str = "", email: str, by) -> FapiaoRequest:
    """A resident asks for a fapiao for a payment of their household."""
    actor = actor_label(by)
    from community.scoping import my_units

    if (
        isinstance(by, str)
        or payment.payer_unit_id is None
        or not my_units(by).filter(pk=payment.payer_unit_id).exists()
    ):
        raise NotAllowed(_("You can ask for a fapiao only for your household's payments."), code="not_yours")
    if payment.status not in SETTLED_STATUSES:
        raise ServiceError(_("Only a paid payment gets a fapiao."), code="not_paid")
    title, tax_id = text_within(title, FapiaoRequest, "title"), (tax_id or "").strip().upper()
    email = text_within(email, FapiaoRequest, "email")
    if not title:
        raise ServiceError({"title": [_("Give the invoice title (抬头).")]})
    if tax_id and not (15 <= len(tax_id) <= 20 and tax_id.isalnum()):
        raise ServiceError({"tax_id": [_("A tax id has 15 to 20 letters and digits.")]})
    if "@" not in email:
        raise ServiceError({"email": [_("Give the email address the fapiao is sent to.")]})
    try:
        with transaction.atomic():
            return FapiaoRequest.objects.create(
                payment=payment, title=title, tax_id=tax_id, email=email, requested_by=actor
            )
    except IntegrityError:
        raise ServiceError(
            _("A fapiao for this payment is already requested or issued."), code="duplicate"
        ) from None


def fapiao_request_decide(
    *, request: FapiaoRequest, action: str, issued_file=None, note: str = "", by
) -> FapiaoRequest:
    """Staff issue (uploading the file) or reject (with a note); the resident may cancel."""
    actor = actor_label(by)
    with transaction.atomic():
        locked = FapiaoRequest.objects.select_for_update().get(pk=request.pk)
        target = fapiao.next_status(locked.status, action)
        if action == "issue" and not issued_file:
            raise ServiceError({"issued_file": [_("Upload the issued fapiao.")]})
        if action == "reject" and not (note or "").strip():
            raise ServiceError({"note": [_("Say why the request is rejected.")]})
        locked.status = target
        if issued_file:
            locked.issued_file = issued_file
        locked.note = text_within(note, FapiaoRequest, "note")
        locked.decided_by = actor
        locked.save()
        return locked


__all__ = [
    "FapiaoStatus",
    "fapiao_request_create",
    "fapiao_request_decide",
    "reminders_send",
]
