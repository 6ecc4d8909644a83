"""Charges outside the bill run: ad-hoc charges posted by other apps, corrections, late fees
(违约金) and dispute holds.

A bill is immutable once issued: a correction is another line with a reason, and the bill's
total follows its lines.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from community.errors import ServiceError, TransitionRefused, text_within

from .. import calc
from ..models import Bill, BillLine, ItemType, LateFeePolicy, LineKind
from ..signals import bill_paid
from ._common import ZERO, actor_label, bill_number, money, refresh_bill_status, take_numbers
from .setup import _same_estate


def charge_post(
    *,
    estate,
    payer_unit=None,
    item_type: str,
    amount: Decimal,
    description: str,
    source: str,
    source_ref: str,
    by,
) -> Bill:
    """An ad-hoc bill with one line, posted by another app (a parking fee, an eldercare order).

    Idempotent on (source, source_ref): posting again returns the existing bill, never a second
    charge. ``payer_unit`` may be None for a walk-in payer.
    """
    actor = actor_label(by)
    amount = money(amount)
    if item_type not in ItemType.values:
        raise ServiceError({"item_type": [_("Unknown charge type.")]}, code="bad_item_type")
    source, source_ref = (source or "").strip(), (source_ref or "").strip()
    if not source or not source_ref:
        raise ServiceError(_("A posted charge names its source and reference."), code="no_source")
    description = text_within(description, Bill, "description") or ItemType(item_type).label
    if payer_unit is not None and not _same_estate(payer_unit, estate):
        raise ServiceError({"payer_unit": [_("The unit is not in this estate.")]}, code="other_estate")
    existing = Bill.objects.filter(source=source, source_ref=source_ref).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            number = bill_number(take_numbers(estate_id=estate.pk, kind="bill"))
            bill = Bill.objects.create(
                estate=estate,
                number=number,
                payer_unit=payer_unit,
                item_type=item_type,
                source=source,
                source_ref=source_ref,
                description=description,
                total=amount,
                due_date=_today(estate),
                issued_by=actor,
            )
            BillLine.objects.create(
                bill=bill,
                kind=LineKind.CHARGE,
                description=description,
                quantity=Decimal(1),
                unit_price=amount,
                amount=amount,
                created_by=actor,
            )
            return bill
    except IntegrityError:
        # The same charge posted at the same moment by another request: theirs stands.
        existing = Bill.objects.filter(source=source, source_ref=source_ref).first()
        if existing is None:
            raise
        return existing


def _today(estate) -> dt.date:
    return timezone.now().astimezone(zoneinfo.ZoneInfo(estate.time_zone)).date()


# --- corrections and late fees ---------------------------------------------------------------


def bill_adjust(*, bill: Bill, amount: Decimal, reason: str, by) -> BillLine:
    """A correction as a line with a reason (negative: a credit). The bill is never edited."""
    actor = actor_label(by)
    amount = money(amount, allow_negative=True)
    reason = text_within(reason, BillLine, "reason")
    if not reason:
        raise ServiceError({"reason": [_("Give the reason for the correction.")]}, code="no_reason")
    with transaction.atomic():
        locked = Bill.objects.select_for_update().get(pk=bill.pk)
        if locked.total + amount < locked.amount_paid:
            raise ServiceError(
                {"amount": [_("A credit cannot take the bill below what has been paid; refund instead.")]},
                code="below_paid",
            )
        line = BillLine.objects.create(
            bill=locked,
            kind=LineKind.ADJUSTMENT if amount > 0 else LineKind.CREDIT,
            description=reason,
            quantity=Decimal(1),
            unit_price=amount,
            amount=amount,
            reason=reason,
            created_by=actor,
        )
        locked.total += amount
        became_paid = refresh_bill_status(locked)
        locked.save(update_fields=["total", "status"])
        if became_paid:
            bill_paid.send(sender=Bill, bill=locked, source=locked.source, source_ref=locked.source_ref)
        bill.refresh_from_db()
        return line


def _late_fee_principal(bill: Bill) -> Decimal:
    """What the bill still owes on its charges, leaving earlier late fees out of the base."""
    charges = sum(
        (
            line.amount
            for line in bill.lines.all()
            if line.kind not in (LineKind.LATE_FEE, LineKind.LATE_FEE_WAIVER)
        ),
        ZERO,
    )
    return max(charges - bill.amount_paid, ZERO)


def late_fees_post(*, estate, as_of: dt.date, by) -> int:
    """Add 违约金 lines to the estate's overdue bills as of ``as_of``; only under a contract.

    Each bill is charged the fee due as of that date minus the fees it already carries, so
    running twice for one date adds nothing. Returns the number of lines added.
    """
    actor = actor_label(by)
    policy = LateFeePolicy.objects.filter(estate=estate).first()
    if policy is None or not policy.contract_clause:
        return 0  # no contract clause, no late fee: never
    added = 0
    with transaction.atomic():
        overdue = (
            Bill.objects.open()
            .select_for_update()
            .filter(estate=estate, due_date__lt=as_of, assignment__isnull=False, disputed=False)
            .order_by("pk")
        )
        for bill in overdue.prefetch_related("lines"):
            fee = calc.late_fee(
                principal=_late_fee_principal(bill),
                due_date=bill.due_date,
                as_of=as_of,
                daily_rate=policy.daily_rate,
                grace_days=policy.grace_days,
            )
            charged = sum(
                (
                    line.amount
                    for line in bill.lines.all()
                    if line.kind in (LineKind.LATE_FEE, LineKind.LATE_FEE_WAIVER)
                ),
                ZERO,
            )
            if any(line.kind == LineKind.LATE_FEE_WAIVER for line in bill.lines.all()):
                continue  # waived bills stay waived
            extra = calc.to_fen(fee - charged)
            if extra <= 0:
                continue
            BillLine.objects.create(
                bill=bill,
                kind=LineKind.LATE_FEE,
                description=_("Late fee (违约金) as of %(date)s") % {"date": as_of.isoformat()},
                quantity=Decimal(1),
                unit_price=extra,
                amount=extra,
                as_of=as_of,
                reason=policy.clause_reference,
                created_by=actor,
            )
            bill.total += extra
            refresh_bill_status(bill)
            bill.save(update_fields=["total", "status"])
            added += 1
    return added


def late_fee_waive(*, bill: Bill, reason: str, by) -> BillLine:
    """Waive a bill's 违约金 with a reason: one line that takes every late fee back out."""
    actor = actor_label(by)
    reason = text_within(reason, BillLine, "reason")
    if not reason:
        raise ServiceError({"reason": [_("Give the reason for the waiver.")]}, code="no_reason")
    with transaction.atomic():
        locked = Bill.objects.select_for_update().get(pk=bill.pk)
        fees = (
            locked.lines.filter(kind__in=[LineKind.LATE_FEE, LineKind.LATE_FEE_WAIVER]).aggregate(
                s=Sum("amount")
            )["s"]
            or ZERO
        )
        if fees <= 0:
            raise TransitionRefused(_("This bill has no late fee to waive."), code="no_late_fee")
        refund_room = locked.total - fees - locked.amount_paid
        if refund_room < 0:
            raise ServiceError(_("The late fee is already paid; refund it instead."), code="late_fee_paid")
        line = BillLine.objects.create(
            bill=locked,
            kind=LineKind.LATE_FEE_WAIVER,
            description=_("Late fee (违约金) waived"),
            quantity=Decimal(1),
            unit_price=-fees,
            amount=-fees,
            reason=reason,
            created_by=actor,
        )
        locked.total -= fees
        became_paid = refresh_bill_status(locked)
        locked.save(update_fields=["total", "status"])
        if became_paid:
            bill_paid.send(sender=Bill, bill=locked, source=locked.source, source_ref=locked.source_ref)
        return line


def bill_dispute_set(*, bill: Bill, disputed: bool, by) -> Bill:
    """A dispute hold stops reminders and late fees until it is lifted."""
    actor_label(by)
    with transaction.atomic():
        locked = Bill.objects.select_for_update().get(pk=bill.pk)
        locked.disputed = disputed
        locked.save(update_fields=["disputed"])
        return locked
