"""All charge maths, as pure functions: no database, no clock.

Every amount is Decimal yuan rounded to the fen (ROUND_HALF_UP) once per line; a total is the
sum of its lines. "Today" is always an argument. Property tests (tests/billing/test_calc.py)
check: never negative; the prorated parts of a period add up to the whole period's charge
within one fen per part; billing the same period again adds nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
MONTHS_IN = {"month": 1, "quarter": 3, "year": 12}


def to_fen(value: Decimal) -> Decimal:
    """Round to the fen, half up (how Chinese receipts round)."""
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Period:
    """A natural billing period, half-open: ``[start, end)``."""

    start: dt.date
    end: dt.date

    @cached_property
    def days(self) -> int:
        return (self.end - self.start).days

    def overlap_days(self, start: dt.date, end: dt.date | None) -> int:
        """Days of ``[start, end)`` (end None: open) inside this period."""
        lo = max(self.start, start)
        hi = self.end if end is None else min(self.end, end)
        return max((hi - lo).days, 0)

    @cached_property
    def label(self) -> str:
        months = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month
        if months == 12:
            return f"{self.start.year}"
        if months == 3:
            return f"{self.start.year}Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start:%Y-%m}"


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def period_containing(day: dt.date, cycle: str) -> Period:
    """The natural month, quarter or year that contains ``day``."""
    months = MONTHS_IN[cycle]
    first_month = (day.month - 1) // months * months + 1 if months < 12 else 1
    start = dt.date(day.year, first_month, 1)
    return Period(start, _add_months(start, months))


def months_in(period: Period) -> int:
    return (period.end.year - period.start.year) * 12 + period.end.month - period.start.month


def period_charge(*, quantity: Decimal, unit_price: Decimal, months: int = 1) -> Decimal:
    """The whole period's charge: quantity × unit price (per month for area bases) × months."""
    return to_fen(max(quantity, ZERO) * max(unit_price, ZERO) * months)


def prorate(whole: Decimal, *, days: int, period_days: int) -> Decimal:
    """The part of ``whole`` for ``days`` of a ``period_days`` period, by actual days, to the fen."""
    if period_days <= 0 or days <= 0:
        return ZERO
    days = min(days, period_days)
    if days == period_days:
        return to_fen(whole)
    return to_fen(Decimal(whole) * days / period_days)


@dataclass(frozen=True)
class LineSpec:
    kind: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


def assignment_lines(
    *,
    item_name: str,
    quantity: Decimal,
    unit_price: Decimal,
    period: Period,
    active_from: dt.date,
    active_until: dt.date | None,
    vacancy_rate: Decimal = Decimal(1),
    vacant: bool = False,
    prepay_discount_rate: Decimal = Decimal(0),
) -> list[LineSpec]:
    """The lines of one assignment's bill for ``period``: the (prorated) charge and, as lines of
    their own, the vacancy discount of a vacant unit and the discount for paying a quarter or a
    year in advance. Empty when nothing is owed."""
    days = period.overlap_days(active_from, active_until)
    if days <= 0:
        return []
    whole = period_charge(quantity=quantity, unit_price=unit_price, months=months_in(period))
    amount = prorate(whole, days=days, period_days=period.days)
    if amount <= 0:
        return []
    description = f"{item_name} {period.label}"
    if days < period.days:
        description += f" ({days}/{period.days})"
    # quantity × unit price = amount: the unit price is per period (per m² for area bases).
    lines = [
        LineSpec(
            "charge",
            description,
            quantity,
            (unit_price * months_in(period) * days / period.days).quantize(Decimal("0.0001")),
            amount,
        )
    ]
    if vacant and vacancy_rate < 1:
        discount = to_fen(amount * (1 - vacancy_rate))
        if discount > 0:
            lines.append(LineSpec("vacancy", f"空置优惠 {item_name}", Decimal(1), -discount, -discount))
    if prepay_discount_rate > 0 and months_in(period) > 1:
        base = amount + sum((line.amount for line in lines[1:]), ZERO)
        discount = min(to_fen(base * prepay_discount_rate), base)
        if discount > 0:
            lines.append(
                LineSpec("prepay_discount", f"预缴优惠 {item_name}", Decimal(1), -discount, -discount)
            )
    return lines


def metered_lines(*, item_name: str, usage: Decimal, unit_price: Decimal, period: Period) -> list[LineSpec]:
    """A metered item's line: the period's recorded use × unit price (no proration: use is use)."""
    if usage <= 0:
        return []
    return [LineSpec("charge", f"{item_name} {period.label}", usage, unit_price, to_fen(usage * unit_price))]


def share_by_weight(
    total: Decimal, weights: dict[object, Decimal], *, step: Decimal = FEN
) -> dict[object, Decimal]:
    """Split a shared (公摊) total by weights (area, or sub-meter use), rounded to ``step``; the
    parts add up to the total exactly (largest remainder gets the leftover steps)."""
    positive = {k: Decimal(w) for k, w in weights.items() if w > 0}
    whole = sum(positive.values(), Decimal(0))
    if not positive or total <= 0:
        return dict.fromkeys(weights, ZERO)
    exact = {k: Decimal(total) * w / whole for k, w in positive.items()}
    floored = {k: (v // step) * step for k, v in exact.items()}
    left = int((Decimal(total) - sum(floored.values(), Decimal(0))) / step)
    for key in sorted(exact, key=lambda k: (exact[k] - floored[k], str(k)), reverse=True)[:left]:
        floored[key] += step
    return {k: floored.get(k, ZERO) for k in weights}


def lines_total(amounts: Iterable[Decimal]) -> Decimal:
    return sum((Decimal(a) for a in amounts), ZERO)


def periods_to_bill(
    *, cycle: str, active_from: dt.date, active_until: dt.date | None, through: dt.date, billed: set[dt.date]
) -> list[Period]:
    """Periods from ``active_from`` up to the one containing ``through`` not yet billed
    (``billed``: period starts that already have a bill). Billing again yields nothing."""
    result: list[Period] = []
    period = period_containing(active_from, cycle)
    while period.start <= through and (active_until is None or period.start < active_until):
        if period.start not in billed:
            result.append(period)
        period = Period(period.end, _add_months(period.end, MONTHS_IN[cycle]))
    return result


def allocate(
    amount: Decimal, dues: Sequence[tuple[object, Decimal]]
) -> tuple[list[tuple[object, Decimal]], Decimal]:
    """Share ``amount`` over ``dues`` in the given order (oldest first): each bill gets what it
    owes until the money runs out. Returns the allocations and what is left over."""
    left = Decimal(amount)
    allocations: list[tuple[object, Decimal]] = []
    for key, due in dues:
        if left <= 0:
            break
        take = min(left, max(Decimal(due), ZERO))
        if take > 0:
            allocations.append((key, take))
            left -= take
    return allocations, left


def late_fee(
    *, principal: Decimal, due_date: dt.date, as_of: dt.date, daily_rate: Decimal, grace_days: int = 0
) -> Decimal:
    """违约金 on ``principal`` unpaid since ``due_date``, as of ``as_of``: simple daily rate after
    the grace days, never more than the principal (capped), never negative."""
    days = (as_of - due_date).days - grace_days
    if days <= 0 or principal <= 0 or daily_rate <= 0:
        return ZERO
    return min(to_fen(principal * daily_rate * days), to_fen(principal))


def spread_over_months(amount: Decimal, period: Period) -> list[tuple[dt.date, Decimal]]:
    """Revenue recognised per service month: a period's amount spread by days over its months,
    the last month taking the rounding so the parts sum to the amount exactly."""
    months = months_in(period)
    if months <= 1:
        return [(period.start, to_fen(amount))]
    parts: list[tuple[dt.date, Decimal]] = []
    spent = ZERO
    start = period.start
    for index in range(months):
        end = _add_months(start, 1)
        if index == months - 1:
            part = to_fen(amount) - spent
        else:
            part = to_fen(Decimal(amount) * (end - start).days / period.days)
        parts.append((start, part))
        spent += part
        start = end
    return parts


def overdue_days(*, due_date: dt.date, as_of: dt.date) -> int:
    return max((as_of - due_date).days, 0)


def ageing_bucket(days: int) -> str:
    """Arrears ageing buckets used by the report."""
    if days <= 30:
        return "0-30"
    if days <= 90:
        return "31-90"
    if days <= 180:
        return "91-180"
    if days <= 365:
        return "181-365"
    return "365+"
