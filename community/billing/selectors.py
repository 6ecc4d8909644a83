"""Billing's reads, shared by the portal, the API and the admin reports.

Residents read through their households (``my_households_q``), staff through ``staff_scope``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import DecimalField, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from community.scoping import my_households_q, staff_scope

from . import calc, reminders
from .models import (
    Bill,
    BillLine,
    HouseholdAccount,
    HouseholdAccountUnit,
    MeterReading,
    Payment,
    PrepaidEntry,
    Receipt,
)

ZERO = Decimal("0.00")


def bill_for_source(*, source: str, source_ref: str) -> Bill | None:
    """The bill another app posted for its object (``charge_post``), if any."""
    return Bill.objects.filter(source=source, source_ref=source_ref).first()


def _my_accounts(user):
    """Ids of the household accounts any of the user's households belongs to (a subquery)."""
    return HouseholdAccountUnit.objects.filter(my_households_q(user, unit_path="unit")).values("account_id")


def _my_account_payments(user):
    """Ids of payments for bills of the user's household accounts (a subquery, no duplicates)."""
    return Payment.bills.through.objects.filter(bill__payer_account__in=_my_accounts(user)).values(
        "payment_id"
    )


def my_bills(user) -> QuerySet[Bill]:
    """Bills of the user's households, and of the household accounts any of them belongs to
    (walk-in bills have no unit and are nobody's here)."""
    if not user.is_authenticated:
        return Bill.objects.none()
    return Bill.objects.filter(
        my_households_q(user, unit_path="payer_unit") | Q(payer_account__in=_my_accounts(user))
    ).select_related("payer_unit__building", "payer_account")


def staff_bills(user) -> QuerySet[Bill]:
    return staff_scope(Bill.objects.all(), user)


def bill_with_lines(queryset: QuerySet[Bill], pk) -> Bill | None:
    return (
        queryset.prefetch_related(Prefetch("lines", queryset=BillLine.objects.order_by("id")))
        .filter(pk=pk)
        .first()
    )


def my_payments(user) -> QuerySet[Payment]:
    """Payments of the user's households, and for (or into) their household accounts."""
    if not user.is_authenticated:
        return Payment.objects.none()
    return Payment.objects.filter(
        my_households_q(user, unit_path="payer_unit")
        | Q(pk__in=_my_account_payments(user))
        | Q(payer_account__in=_my_accounts(user))
    ).select_related("receipt")


def my_receipts(user) -> QuerySet[Receipt]:
    if not user.is_authenticated:
        return Receipt.objects.none()
    return Receipt.objects.filter(
        my_households_q(user, unit_path="payment__payer_unit")
        | Q(payment_id__in=_my_account_payments(user))
        | Q(payment__payer_account__in=_my_accounts(user))
    ).select_related("payment", "estate")


def prepaid_balance(unit) -> Decimal:
    """A unit's own prepaid balance (not its household account's)."""
    return _fen(PrepaidEntry.objects.filter(unit=unit).aggregate(s=Sum("amount"))["s"])


def account_prepaid_balance(account) -> Decimal:
    """A household account's prepaid balance (its units' own balances are theirs)."""
    return _fen(PrepaidEntry.objects.filter(account=account).aggregate(s=Sum("amount"))["s"])


def _fen(value) -> Decimal:
    """A sum to the fen: SQLite adds decimals as floats (a spent balance reads -4e-16)."""
    return Decimal(value or ZERO).quantize(calc.FEN)


def with_prepaid_balance(accounts: QuerySet[HouseholdAccount]) -> QuerySet[HouseholdAccount]:
    """Accounts annotated with ``prepaid_balance``, in the same query (a subquery per row, no
    join that would multiply rows)."""
    total = (
        PrepaidEntry.objects.filter(account=OuterRef("pk"))
        .order_by()
        .values("account")
        .annotate(s=Sum("amount"))
        .values("s")
    )
    money = DecimalField(max_digits=12, decimal_places=2)
    return accounts.annotate(
        prepaid_balance=Coalesce(Subquery(total, output_field=money), Value(ZERO), output_field=money)
    )


def my_accounts(user) -> QuerySet[HouseholdAccount]:
    """The household accounts any of the user's households belongs to, with their balances."""
    if not user.is_authenticated:
        return HouseholdAccount.objects.none()
    return with_prepaid_balance(HouseholdAccount.objects.filter(pk__in=_my_accounts(user))).order_by("pk")


def arrears_notice(*, estate, as_of: dt.date, min_days: int = 90) -> list[tuple[str, str, object]]:
    """Rows for a notice on the estate board: unit, masked name, amount owed. Names are masked."""
    from community.residents.models import Occupancy

    rows: dict[int, list] = {}
    bills = (
        Bill.objects.open()
        .filter(
            estate=estate,
            due_date__lt=as_of - dt.timedelta(days=min_days),
            payer_unit__isnull=False,
            disputed=False,
        )
        .select_related("payer_unit__building")
    )
    for bill in bills:
        entry = rows.setdefault(bill.payer_unit_id, [bill.payer_unit.label, "", calc.ZERO])
        entry[2] += bill.amount_due
    owners = (
        Occupancy.objects.active(as_of)
        .filter(unit_id__in=rows, is_primary_contact=True)
        .select_related("resident")
    )
    for occupancy in owners:
        rows[occupancy.unit_id][1] = reminders.mask_name(occupancy.resident.name)
    return [tuple(r) for r in sorted(rows.values())]


def my_meter_readings(user) -> QuerySet[MeterReading]:
    """Readings of the meters in the user's homes, newest first (shared meters are the office's)."""
    if not user.is_authenticated:
        return MeterReading.objects.none()
    return (
        MeterReading.objects.filter(my_households_q(user, unit_path="meter__unit"))
        .select_related("meter")
        .order_by("-read_on", "meter_id")
    )
