"""Helpers the billing services share: who acted, numbered sequences, bill status."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from community.errors import ServiceError

from ..calc import FEN, ZERO
from ..models import Bill, BillStatus, Sequence


def actor_label(by) -> str:
    """What ``by`` is stored as: "user:<id>", "device:<id>" or the explicit "system:<job>"."""
    if isinstance(by, str):
        if not by.startswith(("system:", "provider:")):
            raise ServiceError(_("A system actor is named “system:<job>”."), code="bad_actor")
        return by
    if by is None:
        raise ServiceError(_("Say who acts (by)."), code="bad_actor")
    model = getattr(by, "_meta", None)
    kind = (
        "user"
        if model is not None and model.model_name == "user"
        else (model.model_name if model else "actor")
    )
    return f"{kind}:{by.pk}"


def money(value, *, field: str = "amount", allow_zero: bool = False, allow_negative: bool = False) -> Decimal:
    """A Decimal amount in yuan with at most 2 places, or a ServiceError naming the field."""
    if isinstance(value, float):
        raise ServiceError({field: [_("Amounts are decimals, never floats.")]}, code="float_amount")
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        raise ServiceError({field: [_("Not an amount.")]}, code="bad_amount") from None
    if not amount.is_finite() or amount != amount.quantize(FEN):
        raise ServiceError({field: [_("An amount has at most two decimal places (fen).")]}, code="bad_amount")
    if amount < 0 and not allow_negative:
        raise ServiceError({field: [_("An amount cannot be negative.")]}, code="bad_amount")
    if amount == 0 and not allow_zero:
        raise ServiceError({field: [_("An amount must be more than zero.")]}, code="bad_amount")
    return amount.quantize(FEN)


def take_numbers(*, estate_id: int, kind: str, count: int = 1) -> int:
    """Reserve ``count`` consecutive numbers of ``kind`` in an estate; returns the first.

    The row lock lasts until the caller's transaction ends, so numbers are handed out in
    commit order and a rollback returns them: no gaps. It also serialises two bill runs of one
    estate, which is what makes a second concurrent run find the first one's bills.
    """
    try:
        with transaction.atomic():
            Sequence.objects.get_or_create(estate_id=estate_id, kind=kind)
    except IntegrityError:
        pass  # another transaction created it first
    sequence = Sequence.objects.select_for_update().get(estate_id=estate_id, kind=kind)
    first = sequence.last + 1
    sequence.last += count
    sequence.save(update_fields=["last"])
    return first


def status_for(*, total: Decimal, paid: Decimal) -> str:
    if total <= 0 and paid <= 0:
        return BillStatus.CREDITED if total == 0 else BillStatus.ISSUED
    if paid >= total:
        return BillStatus.PAID
    if paid > 0:
        return BillStatus.PARTIALLY_PAID
    return BillStatus.ISSUED


def bill_number(n: int) -> str:
    return f"ZD{n:08d}"


def refresh_bill_status(bill: Bill) -> bool:
    """Recompute ``bill.status`` from its amounts; True when the bill has just become paid."""
    before = bill.status
    bill.status = status_for(total=bill.total, paid=bill.amount_paid)
    return bill.status == BillStatus.PAID and before != BillStatus.PAID


__all__ = ["ZERO", "actor_label", "bill_number", "money", "refresh_bill_status", "status_for", "take_numbers"]
