"""The bill run: every bill due for an estate on a day, once.

Idempotent by (assignment, period) under a unique constraint; two concurrent runs of one estate
queue on the estate's bill-number row. Tens of thousands of bills are computed from plain rows
(no model instance per assignment) and written with COPY on PostgreSQL.

Where the time goes (bench/billing_run.py, 20,000 units × 3 items): the charge maths is pure
and most assignments share their inputs (an estate has a handful of floor plans), so one
computation serves every assignment with the same inputs; rows are formatted as COPY text in
blocks rather than one ``write_row`` call each; the prepaid balances (units' and household
accounts') are read for the estate in one grouped query instead of a 20,000-id ``IN`` list.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from .. import calc
from ..models import Assignment, Basis, Bill, ChargeItem, ItemType, Tariff
from ._common import ZERO, actor_label, bill_number, take_numbers
from .bill_writer import NewBill, write_bills
from .ledger import apply_prepaid, prepaid_balances_in_estate


@dataclass(frozen=True)
class BillRunResult:
    created: int
    skipped: int
    prepaid_applied: Decimal
    # Assignments that could not be billed for want of data (no tariff, no built-up area, no
    # reading of a shared meter); a later run bills them once the data is there.
    missing: int = 0


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


def bill_run(*, estate, on: dt.date, by) -> BillRunResult:
    """Issue every bill due for ``estate`` on ``on`` (the job and the command call this).

    Billing the same day again creates nothing: existing (assignment, period) bills are skipped,
    and the unique constraint stops anything the skip missed.
    """
    actor = actor_label(by)
    with transaction.atomic():
        # First: the lock that queues a concurrent run of the same estate behind this one.
        take_numbers(estate_id=estate.pk, kind="bill", count=0)
        items = {
            item.pk: item
            for item in ChargeItem.objects.filter(estate=estate, active=True).select_related("shared_meter")
        }
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
                "pk",
                "item_id",
                "unit_id",
                "account_id",
                "start_date",
                "end_date",
                "vacant",
                "unit__exclusive_area",
                "unit__built_up_area",
            )
        )
        usage = _metered_usage(estate, items, periods)
        # A metered period waits until its reading window has closed, so a late report counts.
        waiting = {
            pk
            for pk, item in items.items()
            if (item.basis == Basis.METERED or item.shared_meter_id)
            and on < periods[pk].end + dt.timedelta(days=item.reading_window_days)
        }
        shared_items = {pk: item for pk, item in items.items() if item.shared_meter_id and pk not in waiting}
        accounts = _account_quantities(estate)
        shares = _shared_meter_split(estate, shared_items, periods, tariffs, accounts)
        new: list[NewBill] = []
        skipped = missing = 0
        # The charge maths is pure: equal inputs give equal lines, computed once.
        computed: dict[tuple, list[calc.LineSpec]] = {}
        for row in assignments.iterator(chunk_size=5000):
            pk, item_id, unit_id, account_id, start, end, vacant, area, built_up = row
            item, period = items[item_id], periods[item_id]
            spaces = 1
            if account_id is not None:
                # A household account pays on all its units together.
                account = accounts.get(account_id, _EMPTY_ACCOUNT)
                area, built_up, spaces = account.exclusive, account.built_up, account.spaces
            if item_id in waiting:
                continue
            if (pk, period.start) in billed:
                skipped += 1
                continue
            price = tariffs.price(item_id, period.start)
            if price is None:
                missing += 1
                continue
            if item.basis == Basis.METERED:
                # No reading for the period yet: no bill; a later run bills it once read.
                if account_id is None:
                    used = usage.get((unit_id, item_id))
                else:
                    found = [
                        usage[(u, item_id)]
                        for u in accounts.get(account_id, _EMPTY_ACCOUNT).units
                        if (u, item_id) in usage
                    ]
                    used = sum(found, Decimal(0)) if found else None
                if used is None:
                    continue
                specs = calc.metered_lines(item_name=item.name, usage=used, unit_price=price, period=period)
            elif item.shared_meter_id:
                specs = shares.get(pk)
                if specs is None:
                    missing += 1  # no reading of the shared meter for the period yet
                    continue
            else:
                if item.basis == Basis.BUILT_UP_AREA and built_up is None:
                    missing += 1  # never billed on another area than the one the item names
                    continue
                quantity = (
                    built_up if item.basis == Basis.BUILT_UP_AREA else _quantity(item.basis, area, spaces)
                )
                key = (item_id, quantity, price, start, end, vacant)
                specs = computed.get(key)
                if specs is None:
                    specs = computed[key] = calc.assignment_lines(
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
            new.append(
                NewBill(
                    assignment_id=pk,
                    unit_id=unit_id,
                    account_id=account_id,
                    item=item,
                    period=period,
                    specs=specs,
                    total=specs[0].amount if len(specs) == 1 else calc.lines_total(s.amount for s in specs),
                    due_date=anchor + dt.timedelta(days=item.due_days),
                )
            )
        if not new:
            return BillRunResult(created=0, skipped=skipped, prepaid_applied=ZERO, missing=missing)
        first = take_numbers(estate_id=estate.pk, kind="bill", count=len(new))
        for offset, bill in enumerate(new):
            bill.number = bill_number(first + offset)
        write_bills(estate, new, now=timezone.now(), actor=actor)
        applied = _apply_prepaid_to_new(estate, new, items, actor=actor)
        return BillRunResult(created=len(new), skipped=skipped, prepaid_applied=applied, missing=missing)


def _quantity(basis: str, area: Decimal, spaces: int) -> Decimal:
    if basis in (Basis.EXCLUSIVE_AREA, Basis.SHARED):
        return area
    if basis == Basis.PER_SPACE:
        return Decimal(spaces)
    return Decimal(1)  # fixed


@dataclass(frozen=True)
class _Account:
    units: tuple[int, ...]
    exclusive: Decimal
    built_up: Decimal | None  # None when any of its units has no built-up area
    spaces: int


_EMPTY_ACCOUNT = _Account((), Decimal(0), None, 0)


def _account_quantities(estate) -> dict[int, _Account]:
    """Each household account's units and what they add up to, from one query."""
    from community.residents.models import UnitUsage

    from ..models import HouseholdAccountUnit

    grouped: dict[int, list] = defaultdict(list)
    rows = HouseholdAccountUnit.objects.filter(account__estate=estate).values_list(
        "account_id", "unit_id", "unit__exclusive_area", "unit__built_up_area", "unit__usage"
    )
    for account_id, *unit in rows:
        grouped[account_id].append(unit)
    return {
        account_id: _Account(
            units=tuple(u[0] for u in units),
            exclusive=sum((u[1] for u in units), Decimal(0)),
            built_up=None if any(u[2] is None for u in units) else sum((u[2] for u in units), Decimal(0)),
            spaces=sum(1 for u in units if u[3] == UnitUsage.PARKING),
        )
        for account_id, units in grouped.items()
    }


def _window(item: ChargeItem, period: calc.Period) -> tuple[dt.date, dt.date]:
    shift = dt.timedelta(days=item.reading_window_days)
    return period.start + shift, period.end + shift


def _shared_meter_split(
    estate, items: dict, periods: dict, tariffs, accounts
) -> dict[int, list[calc.LineSpec]]:
    """assignment -> its line for items split from a shared (公摊) meter: the meter's use in the
    period × the tariff, shared by exclusive area or by the units' own meter use, each weight
    scaled by the days the assignment ran in the period. The parts add up to the whole to the
    fen (``calc.share_by_weight``); billed assignments keep their weight, so a re-run splits
    the same way."""
    from ..models import MeterReading, ShareBy

    result: dict[int, list[calc.LineSpec]] = {}
    for item_id, item in items.items():
        period = periods[item_id]
        price = tariffs.price(item_id, period.start)
        lo, hi = _window(item, period)
        shared = MeterReading.objects.filter(meter_id=item.shared_meter_id, read_on__gte=lo, read_on__lt=hi)
        used = shared.aggregate(s=Sum("usage"))["s"]
        if price is None or used is None:
            continue
        rows = list(
            Assignment.objects.filter(item_id=item_id, start_date__lt=period.end)
            .exclude(end_date__lte=period.start)
            .values_list("pk", "unit_id", "start_date", "end_date", "unit__exclusive_area", "account_id")
        )
        # An account's weight is its units' together.
        members = {r[0]: accounts.get(r[5], _EMPTY_ACCOUNT).units if r[5] else (r[1],) for r in rows}
        if item.share_by == ShareBy.SUB_METER:
            own = dict(
                MeterReading.objects.filter(
                    meter__estate=estate,
                    meter__kind=item.shared_meter.kind,
                    meter__unit_id__in=[u for units in members.values() for u in units],
                    read_on__gte=lo,
                    read_on__lt=hi,
                )
                .values("meter__unit_id")
                .annotate(used=Sum("usage"))
                .values_list("meter__unit_id", "used")
            )
            base = {pk: sum((own.get(u) or Decimal(0) for u in members[pk]), Decimal(0)) for pk in members}
        else:
            base = {
                pk: area if account_id is None else accounts.get(account_id, _EMPTY_ACCOUNT).exclusive
                for pk, _unit, _s, _e, area, account_id in rows
            }
        weights = {pk: base[pk] * period.overlap_days(start, end) for pk, _unit, start, end, *_rest in rows}
        whole = sum(weights.values(), Decimal(0))
        if whole <= 0:
            continue
        total = calc.to_fen(used * price)
        for pk, amount in calc.share_by_weight(total, weights).items():
            if amount <= 0:
                continue
            quantity = (used * weights[pk] / whole).quantize(Decimal("0.0001"))
            result[pk] = [calc.LineSpec("charge", f"{item.name} {period.label}", quantity, price, amount)]
    return result


METER_KIND_OF = {ItemType.WATER: "water", ItemType.ELECTRICITY: "electricity", ItemType.GAS: "gas"}


def _metered_usage(estate, items: dict, periods: dict) -> dict[tuple[int, int], Decimal]:
    """(unit, item) -> use recorded by the unit's meters of the item's kind for the item's
    period: readings dated in [start, end), both shifted by the item's reading window (a reading
    reported in the first days after a period closes belongs to it). One query per metered item."""
    from ..models import MeterReading

    result: dict[tuple[int, int], Decimal] = {}
    for item_id, item in items.items():
        kind = METER_KIND_OF.get(item.item_type)
        if item.basis != Basis.METERED or kind is None:
            continue
        lo, hi = _window(item, periods[item_id])
        rows = (
            MeterReading.objects.filter(
                meter__estate=estate,
                meter__kind=kind,
                meter__unit__isnull=False,
                read_on__gte=lo,
                read_on__lt=hi,
            )
            .values("meter__unit_id")
            .annotate(used=Sum("usage"))
        )
        for row in rows:
            result[(row["meter__unit_id"], item_id)] = row["used"]
    return result


def _apply_prepaid_to_new(estate, new: list[NewBill], items: dict, *, actor: str) -> Decimal:
    """Settle the run's new bills from prepaid balances, for items the balance may pay: a
    unit's bills from the unit's balance, a household account's from the account's. The
    balances of both come from one grouped query for the estate."""
    payable = {item.pk for item in items.values() if item.payable_from_prepaid}
    if not payable:
        return ZERO
    units, accounts = prepaid_balances_in_estate(estate)
    if not units and not accounts:
        return ZERO
    wanted = [
        b.id
        for b in new
        if b.item.pk in payable
        and (
            (b.unit_id is not None and b.unit_id in units)
            or (b.account_id is not None and b.account_id in accounts)
        )
    ]
    if not wanted:
        return ZERO
    return apply_prepaid(list(Bill.objects.filter(pk__in=wanted)), actor=actor)
