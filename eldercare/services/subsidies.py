"""Subsidies: policies, monthly vouchers, the split of each order at completion, and the
monthly settlement per care station for the civil-affairs office.

An order's price splits into subsidy and self-pay when it is completed, in Decimal yuan,
fen exact (money.split_price); the voucher row is locked while it is drawn on, so two
visits finishing at once cannot overdraw it. The self-pay becomes a bill through
``eldercare.payments`` after commit.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.db.models import Q

from .. import payments
from ..models import ElderProfile, Order, SubsidyKind, SubsidyPolicy, Voucher
from ..money import ZERO, split_price, to_fen
from ..selectors import latest_assessment


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def policy_for(elder: ElderProfile, month: dt.date) -> SubsidyPolicy | None:
    """The policy that applies to the elder in ``month``: the most generous one that matches."""
    assessment = latest_assessment(elder)
    if assessment is None:
        return None
    month_end = (month + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return (
        SubsidyPolicy.objects.filter(
            estate_id=elder.estate_id,
            elder_category=elder.category,
            min_level__lte=assessment.level,
            max_level__gte=assessment.level,
            valid_from__lte=month_end,
        )
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=month))
        .order_by("-monthly_amount", "pk")
        .first()
    )


@transaction.atomic
def voucher_issue(*, elder: ElderProfile, month: dt.date, by) -> Voucher | None:
    """The elder's voucher for ``month`` (idempotent); None when no policy applies."""
    month = month_start(month)
    found = Voucher.objects.filter(elder=elder, month=month).first()
    if found is not None:
        return found
    policy = policy_for(elder, month)
    if policy is None:
        return None
    voucher, _created = Voucher.objects.get_or_create(
        elder=elder, month=month, defaults={"policy": policy, "amount": to_fen(policy.monthly_amount)}
    )
    return voucher


def vouchers_issue(*, month: dt.date, by: str = "system:care_vouchers") -> int:
    """Periodic (first of the month): every elder with a matching policy gets the month's voucher."""
    return sum(1 for elder in ElderProfile.objects.all() if voucher_issue(elder=elder, month=month, by=by))


@transaction.atomic
def order_split(*, order: Order, by) -> Order:
    """Fix the order's price, subsidy and self-pay (at completion, once)."""
    from .orders import _local

    if order.price is not None:
        return order
    price = to_fen(order.item.price * order.quantity)
    month = month_start(order.scheduled_at.astimezone(_local(order.estate)).date())
    voucher = voucher_issue(elder=order.elder, month=month, by=by)
    subsidy, self_pay = price, ZERO
    if voucher is not None:
        voucher = Voucher.objects.select_for_update().select_related("policy").get(pk=voucher.pk)
        percent = voucher.policy.percent if voucher.policy.kind == SubsidyKind.PERCENT else None
        subsidy, self_pay = split_price(price=price, remaining=voucher.remaining, percent=percent)
        if subsidy:
            voucher.used += subsidy
            voucher.save(update_fields=["used"])
    else:
        subsidy, self_pay = ZERO, price
    order.price, order.subsidy_amount, order.self_pay_amount = price, subsidy, self_pay
    order.voucher = voucher if subsidy else None
    order.save(update_fields=["price", "subsidy_amount", "self_pay_amount", "voucher", "updated_at"])
    if self_pay > Decimal("0"):
        payments.self_pay_charge_on_commit(order=order, by=by)
    return order


@transaction.atomic
def order_self_pay_paid(*, order_id: int, by: str, now=None) -> Order | None:
    """Billing says the order's self-pay bill is paid (inside the payment's transaction)."""
    from django.utils import timezone

    order = Order.objects.select_for_update().filter(pk=order_id).first()
    if order is None or order.self_pay_paid_at is not None:
        return order
    order.self_pay_paid_at = now or timezone.now()
    order.save(update_fields=["self_pay_paid_at", "updated_at"])
    return order
