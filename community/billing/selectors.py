"""Billing's reads, shared by the portal, the API and the admin reports.

Residents read through their households (``my_households_q``), staff through ``staff_scope``.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Prefetch, QuerySet, Sum

from community.scoping import my_households_q, staff_scope

from .models import Bill, BillLine, Payment, PrepaidEntry, Receipt

ZERO = Decimal("0.00")


def bill_for_source(*, source: str, source_ref: str) -> Bill | None:
    """The bill another app posted for its object (``charge_post``), if any."""
    return Bill.objects.filter(source=source, source_ref=source_ref).first()


def my_bills(user) -> QuerySet[Bill]:
    """Bills of the user's households (walk-in bills have no unit and are nobody's here)."""
    if not user.is_authenticated:
        return Bill.objects.none()
    return Bill.objects.filter(my_households_q(user, unit_path="payer_unit")).select_related(
        "payer_unit__building"
    )


def staff_bills(user) -> QuerySet[Bill]:
    return staff_scope(Bill.objects.all(), user)


def bill_with_lines(queryset: QuerySet[Bill], pk) -> Bill | None:
    return (
        queryset.prefetch_related(Prefetch("lines", queryset=BillLine.objects.order_by("id")))
        .filter(pk=pk)
        .first()
    )


def my_payments(user) -> QuerySet[Payment]:
    if not user.is_authenticated:
        return Payment.objects.none()
    return Payment.objects.filter(my_households_q(user, unit_path="payer_unit")).select_related("receipt")


def my_receipts(user) -> QuerySet[Receipt]:
    if not user.is_authenticated:
        return Receipt.objects.none()
    return Receipt.objects.filter(my_households_q(user, unit_path="payment__payer_unit")).select_related(
        "payment", "estate"
    )


def prepaid_balance(unit) -> Decimal:
    return PrepaidEntry.objects.filter(unit=unit).aggregate(s=Sum("amount"))["s"] or ZERO
