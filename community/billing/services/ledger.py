"""Where money lands on bills: the prepaid balance (a ledger whose balance is a sum of
entries), settling a bill by an amount, and telling listeners when it becomes paid.

A prepaid balance belongs to a payer: a unit, or a household account (缴费户) that pays for
several units. The two are kept apart (an entry names exactly one), and a bill is paid from
the balance of its own payer only: a unit's balance pays the unit's bills, an account's balance
the account's bills.

Shared by the bill run (new bills paid from the balance), payments and refunds.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import Sum

from .. import calc
from ..calc import FEN
from ..models import Allocation, Bill, HouseholdAccount, PrepaidEntry, PrepaidKind
from ..signals import bill_paid
from ._common import ZERO, refresh_bill_status


def prepaid_balances(unit_ids) -> dict[int, Decimal]:
    """unit -> its positive prepaid balance."""
    rows = (
        PrepaidEntry.objects.filter(unit_id__in=unit_ids)
        .values("unit_id")
        .annotate(balance=Sum("amount"))
        .filter(balance__gt=0)
    )
    return _positive((row["unit_id"], row["balance"]) for row in rows)


def _positive(pairs) -> dict[int, Decimal]:
    """Balances to the fen, the positive ones. SQLite sums decimals as floats (a spent balance
    comes back as -4e-16), so the rounding is done here; on PostgreSQL it changes nothing."""
    rounded = ((key, Decimal(value).quantize(FEN)) for key, value in pairs)
    return {key: value for key, value in rounded if value > 0}


def account_prepaid_balances(account_ids) -> dict[int, Decimal]:
    """household account -> its positive prepaid balance."""
    rows = (
        PrepaidEntry.objects.filter(account_id__in=account_ids)
        .values("account_id")
        .annotate(balance=Sum("amount"))
        .filter(balance__gt=0)
    )
    return _positive((row["account_id"], row["balance"]) for row in rows)


def prepaid_balances_in_estate(estate) -> tuple[dict[int, Decimal], dict[int, Decimal]]:
    """Every positive prepaid balance of the estate, (by unit, by household account), in one
    grouped query on the entries' own estate column (no join, no id list)."""
    units: dict[int, Decimal] = {}
    accounts: dict[int, Decimal] = {}
    rows = (
        PrepaidEntry.objects.filter(estate=estate)
        .values_list("unit_id", "account_id")
        .annotate(balance=Sum("amount"))
        .filter(balance__gt=0)
    )
    for unit_id, account_id, balance in rows:
        if unit_id is not None:
            units[unit_id] = balance
        else:
            accounts[account_id] = balance
    return _positive(units.items()), _positive(accounts.items())


def lock_units(unit_ids) -> None:
    """Prepaid movements of a unit queue on the unit's row (a balance is a sum, not a column)."""
    from community.residents.models import Unit

    list(Unit.objects.select_for_update().filter(pk__in=sorted(set(unit_ids))).values_list("pk", flat=True))


def lock_accounts(account_ids) -> None:
    """Prepaid movements of a household account queue on the account's row. Where both are
    locked, units go first (``lock_payers``), always in that order, so two payments never wait
    on each other."""
    list(
        HouseholdAccount.objects.select_for_update()
        .filter(pk__in=sorted(set(account_ids)))
        .values_list("pk", flat=True)
    )


def lock_payers(*, unit_ids=(), account_ids=()) -> None:
    if unit_ids:
        lock_units(unit_ids)
    if account_ids:
        lock_accounts(account_ids)


def lock_payer(*, unit_id: int | None = None, account_id: int | None = None) -> None:
    lock_payers(unit_ids=[unit_id] if unit_id else (), account_ids=[account_id] if account_id else ())


def payer_balance(*, unit_id: int | None = None, account_id: int | None = None) -> Decimal:
    """The balance of one payer (a unit or an account), negative never; lock it first where
    the caller will spend from it."""
    entries = (
        PrepaidEntry.objects.filter(unit_id=unit_id)
        if unit_id
        else PrepaidEntry.objects.filter(account_id=account_id)
    )
    return Decimal(entries.aggregate(s=Sum("amount"))["s"] or ZERO).quantize(FEN)


def apply_prepaid(new_bills: list[Bill], *, actor: str) -> Decimal:
    """Settle newly issued bills from their payers' prepaid balances (a unit's bills from the
    unit's, an account's bills from the account's), oldest bill first. The bills are the
    caller's new ones (no one else can see them yet), so they need no lock; the payers do."""
    unit_ids = {bill.payer_unit_id for bill in new_bills if bill.payer_unit_id}
    account_ids = {bill.payer_account_id for bill in new_bills if bill.payer_account_id}
    if not unit_ids and not account_ids:
        return ZERO
    unit_balances = prepaid_balances(unit_ids) if unit_ids else {}
    account_balances = account_prepaid_balances(account_ids) if account_ids else {}
    if not unit_balances and not account_balances:
        return ZERO
    lock_payers(unit_ids=list(unit_balances), account_ids=list(account_balances))
    # Read again under the locks: a payment may have spent or refunded meanwhile.
    unit_balances = prepaid_balances(unit_balances) if unit_balances else {}
    account_balances = account_prepaid_balances(account_balances) if account_balances else {}
    by_payer: dict[tuple[str, int], list[Bill]] = defaultdict(list)
    for bill in new_bills:
        if bill.payer_unit_id in unit_balances:
            by_payer[("unit", bill.payer_unit_id)].append(bill)
        elif bill.payer_account_id in account_balances:
            by_payer[("account", bill.payer_account_id)].append(bill)
    entries: list[PrepaidEntry] = []
    paid: list[tuple[Bill, Decimal]] = []
    for (kind, payer_id), bills in by_payer.items():
        balance = unit_balances[payer_id] if kind == "unit" else account_balances[payer_id]
        payer = {"unit_id": payer_id} if kind == "unit" else {"account_id": payer_id}
        bills.sort(key=lambda b: (b.due_date, b.pk))
        allocations, _left = calc.allocate(balance, [(bill, bill.amount_due) for bill in bills])
        for bill, amount in allocations:
            entries.append(
                PrepaidEntry(
                    estate_id=bill.estate_id,
                    kind=PrepaidKind.APPLIED,
                    amount=-amount,
                    created_by=actor,
                    **payer,
                )
            )
            paid.append((bill, amount))
    if not paid:
        return ZERO
    # Written in bulk: a run pays thousands of new bills from balances, and three statements
    # per bill (entry, allocation, bill) cost more than the rest of the run together.
    PrepaidEntry.objects.bulk_create(entries, batch_size=2000)
    Allocation.objects.bulk_create(
        [
            Allocation(bill=bill, prepaid_entry=entry, amount=amount)
            for (bill, amount), entry in zip(paid, entries, strict=True)
        ],
        batch_size=2000,
    )
    became_paid = []
    for bill, amount in paid:
        bill.amount_paid += amount
        if refresh_bill_status(bill):
            became_paid.append(bill)
    Bill.objects.bulk_update([bill for bill, _amount in paid], ["amount_paid", "status"], batch_size=2000)
    for bill in became_paid:
        bill_paid.send(sender=Bill, bill=bill, source=bill.source, source_ref=bill.source_ref)
    return sum((amount for _bill, amount in paid), ZERO)


def bill_add_paid(bill: Bill, amount: Decimal) -> None:
    """Record ``amount`` more paid on a (locked) bill and tell listeners when it becomes paid."""
    bill.amount_paid += amount
    became_paid = refresh_bill_status(bill)
    bill.save(update_fields=["amount_paid", "status"])
    if became_paid:
        bill_paid.send(sender=Bill, bill=bill, source=bill.source, source_ref=bill.source_ref)
