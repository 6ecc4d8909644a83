"""Charges: items, tariffs, assignments, the bill run, ad-hoc charges from other apps,
corrections and late fees (违约金).

A bill is immutable once issued: a correction is another line with a reason, and the bill's
total follows its lines. The bill run is idempotent by (assignment, period) under a unique
constraint, and two concurrent runs of one estate queue on the estate's bill-number row.
"""

from __future__ import annotations

import bisect
import datetime as dt
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from community.errors import ServiceError, TransitionRefused

from .. import calc
from ..models import (
    Allocation,
    Assignment,
    Basis,
    Bill,
    BillLine,
    BillStatus,
    ChargeItem,
    ItemType,
    LateFeePolicy,
    LineKind,
    PrepaidEntry,
    PrepaidKind,
    Tariff,
)
from ..signals import bill_paid
from ._common import ZERO, actor_label, bill_number, money, refresh_bill_status, take_numbers


def _same_estate(unit, estate) -> bool:
    return unit.building.estate_id == estate.pk


# --- set-up ------------------------------------------------------------------------------------


def charge_item_create(
    *,
    estate,
    name: str,
    item_type: str,
    basis: str,
    cycle: str = "month",
    prepaid: bool = False,
    due_days: int = 30,
    vacancy_rate: Decimal = Decimal("1.000"),
    payable_from_prepaid: bool = True,
    prepay_discount_rate: Decimal = Decimal("0.000"),
    by,
) -> ChargeItem:
    actor_label(by)
    name = name.strip()
    if not name:
        raise ServiceError({"name": [_("Give the item a name.")]})
    if item_type not in ItemType.values:
        raise ServiceError({"item_type": [_("Unknown charge type.")]})
    if basis not in Basis.values:
        raise ServiceError({"basis": [_("Unknown basis.")]})
    if cycle not in calc.MONTHS_IN:
        raise ServiceError({"cycle": [_("Unknown billing cycle.")]})
    with transaction.atomic():
        if ChargeItem.objects.filter(estate=estate, name=name).exists():
            raise ServiceError(
                {"name": [_("This estate already has an item with this name.")]}, code="duplicate"
            )
        return ChargeItem.objects.create(
            estate=estate,
            name=name,
            item_type=item_type,
            basis=basis,
            cycle=cycle,
            prepaid=prepaid,
            due_days=due_days,
            vacancy_rate=vacancy_rate,
            payable_from_prepaid=payable_from_prepaid,
            prepay_discount_rate=prepay_discount_rate,
        )


def tariff_create(*, item: ChargeItem, unit_price: Decimal, effective_from: dt.date, by) -> Tariff:
    actor_label(by)
    if isinstance(unit_price, float) or Decimal(str(unit_price)) < 0:
        raise ServiceError({"unit_price": [_("A unit price is a decimal, not negative.")]})
    with transaction.atomic():
        if Tariff.objects.filter(item=item, effective_from=effective_from).exists():
            raise ServiceError(
                {"effective_from": [_("A tariff already starts on this day.")]}, code="duplicate"
            )
        return Tariff.objects.create(
            item=item, unit_price=Decimal(str(unit_price)), effective_from=effective_from
        )


def assignment_create(
    *, item: ChargeItem, unit, start_date: dt.date, end_date: dt.date | None = None, vacant: bool = False, by
) -> Assignment:
    actor_label(by)
    if not _same_estate(unit, item.estate):
        raise ServiceError({"unit": [_("The unit is not in the item's estate.")]}, code="other_estate")
    if end_date is not None and end_date <= start_date:
        raise ServiceError({"end_date": [_("The end date must be after the start date.")]})
    with transaction.atomic():
        overlapping = Assignment.objects.filter(
            item=item, unit=unit, start_date__lt=end_date or dt.date.max
        ).exclude(end_date__lte=start_date)
        if overlapping.exists():
            raise ServiceError(_("This unit already has this item for part of that time."), code="overlap")
        return Assignment.objects.create(
            item=item, unit=unit, start_date=start_date, end_date=end_date, vacant=vacant
        )


def charge_item_update(*, item: ChargeItem, active: bool, payable_from_prepaid: bool, by) -> ChargeItem:
    """What may change on an item that has billed: whether it still bills, and what pays it."""
    actor_label(by)
    with transaction.atomic():
        locked = ChargeItem.objects.select_for_update().get(pk=item.pk)
        locked.active, locked.payable_from_prepaid = active, payable_from_prepaid
        locked.save(update_fields=["active", "payable_from_prepaid"])
        return locked


def assignment_update(*, assignment: Assignment, end_date: dt.date | None, vacant: bool, by) -> Assignment:
    """End an assignment (the first day no longer charged) or mark the unit vacant; bills
    already issued stay as they are."""
    actor_label(by)
    with transaction.atomic():
        locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
        if end_date is not None and end_date <= locked.start_date:
            raise ServiceError({"end_date": [_("The end date must be after the start date.")]})
        locked.end_date, locked.vacant = end_date, vacant
        locked.save(update_fields=["end_date", "vacant"])
        return locked


def late_fee_policy_save(
    *, estate, contract_clause, clause_reference: str, daily_rate: Decimal, grace_days: int, by
) -> LateFeePolicy:
    """The estate's 违约金 terms, only with the contract clause that provides them."""
    actor_label(by)
    if not contract_clause:
        raise ServiceError({"contract_clause": [_("Upload the service contract's late-fee clause.")]})
    if not (clause_reference or "").strip():
        raise ServiceError({"clause_reference": [_("Say which clause of the contract it is.")]})
    with transaction.atomic():
        policy = LateFeePolicy.objects.select_for_update().filter(estate=estate).first() or LateFeePolicy(
            estate=estate
        )
        policy.contract_clause = contract_clause
        policy.clause_reference = clause_reference.strip()
        policy.daily_rate = daily_rate
        policy.grace_days = grace_days
        policy.full_clean()
        policy.save()
        return policy


# --- the bill run ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BillRunResult:
    created: int
    skipped: int
    prepaid_applied: Decimal


def _quantity(basis: str, area: Decimal) -> Decimal | None:
    """The billed quantity for a unit; None where it needs data the run does not have (meters)."""
    if basis in (Basis.EXCLUSIVE_AREA, Basis.BUILT_UP_AREA, Basis.SHARED):
        # Units record one area (the registered exclusive area); it is used for every area basis.
        return area
    if basis in (Basis.FIXED, Basis.PER_SPACE):
        return Decimal(1)
    return None


class _TariffBook:
    """The tariff in force for an item on a day, from one query per run."""

    def __init__(self, items):
        self._by_item: dict[int, tuple[list[dt.date], list[Decimal]]] = {}
        rows = Tariff.objects.filter(item__in=items).order_by("item_id", "effective_from")
        grouped: dict[int, list[Tariff]] = defaultdict(list)
        for tariff in rows:
            grouped[tariff.item_id].append(tariff)
        for item_id, tariffs in grouped.items():
            self._by_item[item_id] = ([t.effective_from for t in tariffs], [t.unit_price for t in tariffs])

    def price(self, item_id: int, day: dt.date) -> Decimal | None:
        dates, prices = self._by_item.get(item_id, ([], []))
        index = bisect.bisect_right(dates, day) - 1
        return prices[index] if index >= 0 else None


def run_period(item: ChargeItem, on: dt.date) -> calc.Period:
    """The period a run on ``on`` bills: the current one in advance, else the one just ended."""
    current = calc.period_containing(on, item.cycle)
    if item.prepaid:
        return current
    return calc.period_containing(current.start - dt.timedelta(days=1), item.cycle)


_BILL_COLUMNS = [
    "estate_id",
    "number",
    "payer_unit_id",
    "item_type",
    "assignment_id",
    "period_start",
    "period_end",
    "source",
    "source_ref",
    "description",
    "status",
    "total",
    "amount_paid",
    "due_date",
    "disputed",
    "issued_at",
    "issued_by",
]
_LINE_COLUMNS = [
    "bill_id",
    "kind",
    "description",
    "quantity",
    "unit_price",
    "amount",
    "reason",
    "as_of",
    "created_at",
    "created_by",
]


def bill_run(*, estate, on: dt.date, by) -> BillRunResult:
    """Issue every bill due for ``estate`` on ``on`` (the job and the command call this).

    Billing the same day again creates nothing: existing (assignment, period) bills are skipped,
    and the unique constraint stops anything the skip missed. Tens of thousands of bills are
    computed from plain rows (no model instance per assignment) and written with COPY on
    PostgreSQL.
    """
    actor = actor_label(by)
    with transaction.atomic():
        # First: the lock that queues a concurrent run of the same estate behind this one.
        take_numbers(estate_id=estate.pk, kind="bill", count=0)
        items = {item.pk: item for item in ChargeItem.objects.filter(estate=estate, active=True)}
        periods = {pk: run_period(item, on) for pk, item in items.items()}
        tariffs = _TariffBook(items.values())
        starts = {p.start for p in periods.values()}
        billed = set(
            Bill.objects.filter(estate=estate, assignment__isnull=False, period_start__in=starts).values_list(
                "assignment_id", "period_start"
            )
        )
        assignments = (
            Assignment.objects.filter(item__in=list(items), start_date__lte=on)
            .order_by("unit_id", "item_id")
            .values_list(
                "pk", "item_id", "unit_id", "start_date", "end_date", "vacant", "unit__exclusive_area"
            )
        )
        usage = _metered_usage(estate, items, periods)
        now = timezone.now()
        bills: list[list] = []
        lines: list[list[calc.LineSpec]] = []
        skipped = 0
        for pk, item_id, unit_id, start, end, vacant, area in assignments.iterator(chunk_size=5000):
            item, period = items[item_id], periods[item_id]
            if (pk, period.start) in billed:
                skipped += 1
                continue
            price = tariffs.price(item_id, period.start)
            if item.basis == Basis.METERED:
                # No reading for the period yet: no bill; a later run bills it once read.
                used = usage.get((unit_id, item_id))
                if used is None or price is None:
                    continue
                specs = calc.metered_lines(item_name=item.name, usage=used, unit_price=price, period=period)
            else:
                quantity = _quantity(item.basis, area)
                if quantity is None or price is None:
                    continue
                specs = calc.assignment_lines(
                    item_name=item.name,
                    quantity=quantity,
                    unit_price=price,
                    period=period,
                    active_from=start,
                    active_until=end,
                    vacancy_rate=item.vacancy_rate,
                    vacant=vacant,
                    prepay_discount_rate=item.prepay_discount_rate if item.prepaid else Decimal(0),
                )
            if not specs:
                continue
            anchor = period.start if item.prepaid else period.end
            bills.append(
                [
                    estate.pk,
                    "",
                    unit_id,
                    item.item_type,
                    pk,
                    period.start,
                    period.end,
                    "",
                    "",
                    f"{item.name} {period.label}",
                    BillStatus.ISSUED,
                    calc.lines_total(s.amount for s in specs),
                    ZERO,
                    anchor + dt.timedelta(days=item.due_days),
                    False,
                    now,
                    actor,
                ]
            )
            lines.append(specs)
        if not bills:
            return BillRunResult(created=0, skipped=skipped, prepaid_applied=ZERO)
        first = take_numbers(estate_id=estate.pk, kind="bill", count=len(bills))
        for offset, row in enumerate(bills):
            row[1] = bill_number(first + offset)
        ids = _insert(Bill, _BILL_COLUMNS, bills, returning_ids=True)
        _insert(
            BillLine,
            _LINE_COLUMNS,
            (
                [
                    bill_id,
                    spec.kind,
                    spec.description,
                    spec.quantity,
                    spec.unit_price,
                    spec.amount,
                    "",
                    None,
                    now,
                    actor,
                ]
                for bill_id, specs in zip(ids, lines, strict=True)
                for spec in specs
            ),
        )
        applied = _apply_prepaid_to_new(estate, ids, bills, items, actor=actor)
        return BillRunResult(created=len(bills), skipped=skipped, prepaid_applied=applied)


METER_KIND_OF = {ItemType.WATER: "water", ItemType.ELECTRICITY: "electricity", ItemType.GAS: "gas"}


def _metered_usage(estate, items: dict, periods: dict) -> dict[tuple[int, int], Decimal]:
    """(unit, item) -> use recorded by the unit's meters of the item's kind within the item's
    period (readings dated in [start, end)), one query per metered item."""
    from ..models import MeterReading

    result: dict[tuple[int, int], Decimal] = {}
    for item_id, item in items.items():
        kind = METER_KIND_OF.get(item.item_type)
        if item.basis != Basis.METERED or kind is None:
            continue
        period = periods[item_id]
        rows = (
            MeterReading.objects.filter(
                meter__estate=estate,
                meter__kind=kind,
                meter__unit__isnull=False,
                read_on__gte=period.start,
                read_on__lt=period.end,
            )
            .values("meter__unit_id")
            .annotate(used=Sum("usage"))
        )
        for row in rows:
            result[(row["meter__unit_id"], item_id)] = row["used"]
    return result


def _insert(model, columns: list[str], rows, *, returning_ids: bool = False) -> list[int]:
    """Insert plain rows: COPY on PostgreSQL (ids drawn from the sequence first), else
    bulk_create in batches. Returns the new ids in row order when asked."""
    if connection.vendor == "postgresql":
        rows = list(rows) if returning_ids else rows
        ids: list[int] = []
        with connection.cursor() as cursor:
            if returning_ids:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [model._meta.db_table, len(rows)],
                )
                ids = [row[0] for row in cursor.fetchall()]
                rows = ([pk, *row] for pk, row in zip(ids, rows, strict=True))
            names = ", ".join(
                connection.ops.quote_name(c) for c in (["id", *columns] if returning_ids else columns)
            )
            table = connection.ops.quote_name(model._meta.db_table)
            with cursor.connection.cursor().copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        return ids
    created = model.objects.bulk_create(
        (model(**dict(zip(columns, row, strict=True))) for row in rows), batch_size=2000
    )
    return [obj.pk for obj in created]


def _apply_prepaid_to_new(estate, ids: list[int], rows: list[list], items, *, actor: str) -> Decimal:
    """Settle the run's new bills from prepaid balances, for items the balance may pay."""
    payable = {item.item_type for item in items.values() if item.payable_from_prepaid}
    unit_col, type_col = _BILL_COLUMNS.index("payer_unit_id"), _BILL_COLUMNS.index("item_type")
    candidates = {row[unit_col] for row in rows if row[type_col] in payable}
    balances = prepaid_balances(candidates) if candidates else {}
    if not balances:
        return ZERO
    wanted = [
        pk
        for pk, row in zip(ids, rows, strict=True)
        if row[unit_col] in balances and row[type_col] in payable
    ]
    return _apply_prepaid(list(Bill.objects.filter(pk__in=wanted)), actor=actor)


def prepaid_balances(unit_ids) -> dict[int, Decimal]:
    rows = (
        PrepaidEntry.objects.filter(unit_id__in=unit_ids)
        .values("unit_id")
        .annotate(balance=Sum("amount"))
        .filter(balance__gt=0)
    )
    return {row["unit_id"]: row["balance"] for row in rows}


def _lock_units(unit_ids) -> None:
    """Prepaid movements of a unit queue on the unit's row (a balance is a sum, not a column)."""
    from community.residents.models import Unit

    list(Unit.objects.select_for_update().filter(pk__in=sorted(set(unit_ids))).values_list("pk", flat=True))


def _apply_prepaid(new_bills: list[Bill], *, actor: str) -> Decimal:
    """Settle newly issued bills from their units' prepaid balances, oldest bill first."""
    unit_ids = {bill.payer_unit_id for bill in new_bills if bill.payer_unit_id}
    if not unit_ids:
        return ZERO
    balances = prepaid_balances(unit_ids)
    if not balances:
        return ZERO
    _lock_units(balances)
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
            _bill_add_paid(bill, amount)
            applied += amount
    return applied


def _bill_add_paid(bill: Bill, amount: Decimal) -> None:
    """Record ``amount`` more paid on a (locked) bill and tell listeners when it becomes paid."""
    bill.amount_paid += amount
    became_paid = refresh_bill_status(bill)
    bill.save(update_fields=["amount_paid", "status"])
    if became_paid:
        bill_paid.send(sender=Bill, bill=bill, source=bill.source, source_ref=bill.source_ref)


# --- ad-hoc charges from other apps ----------------------------------------------------------


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
    description = (description or "").strip()[:200] or ItemType(item_type).label
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
    reason = (reason or "").strip()
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
    reason = (reason or "").strip()
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
