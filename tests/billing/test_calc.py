"""The charge maths, as properties (hypothesis) and a few worked examples."""

import datetime as dt
import itertools
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from community.billing import calc

prices = st.decimals(min_value=Decimal("0"), max_value=Decimal("50"), places=4)
areas = st.decimals(min_value=Decimal("0"), max_value=Decimal("500"), places=2)
days = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 12, 31))
cycles = st.sampled_from(["month", "quarter", "year"])


@given(areas, prices, days, cycles, st.lists(st.integers(min_value=1, max_value=400), min_size=1, max_size=6))
@settings(max_examples=300, deadline=None)
def test_prorated_parts_add_up_to_the_whole_within_a_fen_per_part(area, price, day, cycle, cuts):
    period = calc.period_containing(day, cycle)
    # Split the period at arbitrary days into consecutive parts (a unit sold mid-month…).
    points = sorted({min(c, period.days - 1) for c in cuts if period.days > 1} | {0, period.days})
    whole = calc.assignment_lines(
        item_name="物业费",
        quantity=area,
        unit_price=price,
        period=period,
        active_from=period.start,
        active_until=None,
    )
    whole_amount = sum((line.amount for line in whole), calc.ZERO)
    parts = []
    for lo, hi in itertools.pairwise(points):
        lines = calc.assignment_lines(
            item_name="物业费",
            quantity=area,
            unit_price=price,
            period=period,
            active_from=period.start + dt.timedelta(days=lo),
            active_until=period.start + dt.timedelta(days=hi),
        )
        parts.append(sum((line.amount for line in lines), calc.ZERO))
    n_parts = len(points) - 1
    assert abs(sum(parts, calc.ZERO) - whole_amount) <= Decimal("0.01") * n_parts
    for amount in [*parts, whole_amount]:
        assert amount >= 0 and amount == amount.quantize(calc.FEN)


@given(
    areas,
    prices,
    days,
    cycles,
    st.decimals(min_value=0, max_value=1, places=3),
    st.booleans(),
    st.decimals(min_value=0, max_value=Decimal("0.5"), places=3),
)
@settings(max_examples=200, deadline=None)
def test_lines_are_never_negative_in_total_and_each_line_is_quantity_times_price(
    area, price, day, cycle, rate, vacant, prepay
):
    period = calc.period_containing(day, cycle)
    lines = calc.assignment_lines(
        item_name="物业费",
        quantity=area,
        unit_price=price,
        period=period,
        active_from=day,
        active_until=None,
        vacancy_rate=rate,
        vacant=vacant,
        prepay_discount_rate=prepay,
    )
    assert calc.lines_total(line.amount for line in lines) >= 0
    for line in lines:
        assert (
            abs(calc.to_fen(line.quantity * line.unit_price) - line.amount)
            <= Decimal("0.01") * max(1, line.quantity)
            or line.kind == "vacancy"
        )


@given(days, days, cycles)
@settings(max_examples=200, deadline=None)
def test_billing_again_is_a_no_op(start, through, cycle):
    first = calc.periods_to_bill(
        cycle=cycle, active_from=start, active_until=None, through=through, billed=set()
    )
    billed = {p.start for p in first}
    assert (
        calc.periods_to_bill(
            cycle=cycle, active_from=start, active_until=None, through=through, billed=billed
        )
        == []
    )
    # Periods are natural, consecutive and never overlap.
    for a, b in itertools.pairwise(first):
        assert a.end == b.start


@given(
    st.decimals(min_value=0, max_value=10000, places=2),
    st.lists(st.decimals(min_value=0, max_value=5000, places=2), max_size=8),
)
def test_allocation_never_gives_a_bill_more_than_it_owes_and_loses_nothing(amount, dues):
    allocations, left = calc.allocate(amount, list(enumerate(dues)))
    assert sum((a for _k, a in allocations), calc.ZERO) + left == amount
    for key, given_amount in allocations:
        assert 0 < given_amount <= dues[key]
    # Oldest first: a later bill gets money only when every earlier bill is settled.
    if allocations:
        last = allocations[-1][0]
        for key in range(last):
            assert dict(allocations).get(key, calc.ZERO) == dues[key]


@given(
    st.decimals(min_value=0, max_value=100000, places=2),
    days,
    days,
    st.decimals(min_value=0, max_value=Decimal("0.01"), places=5),
    st.integers(min_value=0, max_value=60),
)
def test_late_fee_is_capped_at_the_principal_and_never_negative(principal, due, as_of, rate, grace):
    fee = calc.late_fee(principal=principal, due_date=due, as_of=as_of, daily_rate=rate, grace_days=grace)
    assert calc.ZERO <= fee <= principal
    if as_of <= due + dt.timedelta(days=grace):
        assert fee == 0


def test_late_fee_example():
    fee = calc.late_fee(
        principal=Decimal("300.00"),
        due_date=dt.date(2026, 1, 31),
        as_of=dt.date(2026, 3, 2),
        daily_rate=Decimal("0.0003"),
        grace_days=10,
    )
    assert fee == Decimal("1.80")  # 300 × 0.03 % × 20 days


@given(st.decimals(min_value=0, max_value=100000, places=2), days)
def test_yearly_prepayment_spreads_over_its_months_exactly(amount, day):
    parts = calc.spread_over_months(amount, calc.period_containing(day, "year"))
    assert len(parts) == 12
    assert sum((p for _m, p in parts), calc.ZERO) == amount


def test_worked_example_half_month_by_actual_days():
    period = calc.period_containing(dt.date(2026, 2, 10), "month")
    assert (period.start, period.end, period.days) == (dt.date(2026, 2, 1), dt.date(2026, 3, 1), 28)
    lines = calc.assignment_lines(
        item_name="物业费",
        quantity=Decimal("89.50"),
        unit_price=Decimal("2.50"),
        period=period,
        active_from=dt.date(2026, 2, 15),
        active_until=None,
        vacancy_rate=Decimal("0.7"),
        vacant=True,
    )
    # 89.50 m² × 2.50 = 223.75 a month; 14 of 28 days = 111.88; vacant pays 70 %: −33.56.
    assert [(line.kind, line.amount) for line in lines] == [
        ("charge", Decimal("111.88")),
        ("vacancy", Decimal("-33.56")),
    ]
    assert lines[0].description == "物业费 2026-02 (14/28)"


@given(
    st.decimals(min_value=0, max_value=100000, places=2),
    st.dictionaries(
        st.integers(0, 50), st.decimals(min_value=0, max_value=500, places=2), min_size=1, max_size=12
    ),
)
def test_shared_meter_split_adds_up_exactly_and_follows_the_weights(total, weights):
    parts = calc.share_by_weight(total, weights)
    assert set(parts) == set(weights)
    if any(w > 0 for w in weights.values()) and total > 0:
        assert sum(parts.values(), calc.ZERO) == total
        whole = sum(weights.values())
        for key, weight in weights.items():
            assert abs(parts[key] - total * weight / whole) < Decimal("0.01")
    assert all(p >= 0 for p in parts.values())
