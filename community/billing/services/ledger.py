"""Where money lands on bills: the prepaid balance (a ledger whose balance is a sum of
entries), settling a bill by an amount, and telling listeners when it becomes paid.

Shared by the bill run (new bills paid from the balance), payments and refunds.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import Sum

from .. import calc
from ..models import Allocation, Bill, PrepaidEntry, PrepaidKind
from ..signals import bill_paid
from ._common import ZERO, refresh_bill_status


def prepaid_balances(unit_ids) -> dict[int, Decimal]:
    rows = (
        PrepaidEntry.objects.filter(unit_id__in=unit_ids)
        .values("unit_id")
        .annotate(balance=Sum("amount"))
        .filter(balance__gt=0)
    )
    return {row["unit_id"]: row["balance"] for row in rows}


def prepaid_balances_in_estate(estate) -> dict[int, Decimal]:
    """Every positive prepaid balance of the estate's units, in one grouped query."""
    rows = (
        PrepaidEntry.objects.filter(unit__building__estate=estate)
        .values("unit_id")
        .annotate(balance=Sum("amount"))
        .filter(balance__gt=0)
    )
    return {row["unit_id"]: row["balance"] for row in rows}


def lock_units(unit_ids) -> None:
    """Prepaid movements of a unit queue on the unit's row (a balance is a sum, not a column)."""
    from community.residents.models import Unit

    list(Unit.objects.select_for_update().filter(pk__in=sorted(set(unit_ids))).values_list("pk", flat=True))


def apply_prepaid(new_bills: list[Bill], *, actor: str) -> Decimal:
    """Settle newly issued bills from their units' prepaid balances, oldest bill first."""
    unit_ids = {bill.payer_unit_id for bill in new_bills if bill.payer_unit_id}
    if not unit_ids:
        return ZERO
    balances = prepaid_balances(unit_ids)
    if not balances:
        return ZERO
    lock_units(balances)
    balances = prepaid_balances(balances)
    applied = ZERO
    by_unit: dict[int, list[Bill]] = defaultdict(list)
    for bill in new_bills:
        if bill.payer_unit_id in balances:
            by_unit[bill.payer_unit_id].append(bill)
    for unit_id, bills in by_unit.items():
        bills.sort(key=lambda b: (b.due_date, b.pk))
        allocations, _left = calc.allocate(balances[unit_id], [(bill, bill.amount_due) for bill in bills])
        for bill, amount in allocations:
            entry = PrepaidEntry.objects.create(
                unit_id=unit_id, kind=PrepaidKind.APPLIED, amount=-amount, created_by=actor
            )
            Allocation.objects.create(bill=bill, prepaid_entry=entry, amount=amount)
            bill_add_paid(bill, amount)
            applied += amount
    return applied


def bill_add_paid(bill: Bill, amount: Decimal) -> None:
    """Record ``amount`` more paid on a (locked) bill and tell listeners when it becomes paid."""
    bill.amount_paid += amount
    became_paid = refresh_bill_status(bill)
    bill.save(update_fields=["amount_paid", "status"])
    if became_paid:
        bill_paid.send(sender=Bill, bill=bill, source=bill.source, source_ref=bill.source_ref)
