"""parking.fees.fee_due: examples a car-park manager would check by hand, then properties."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from parking.fees import fee_due

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@dataclass
class Rule:
    free_minutes: int = 15
    unit_minutes: int = 60
    price_per_unit: Decimal = Decimal("3.00")
    daily_cap: Decimal | None = Decimal("30.00")
    night_start: dt.time | None = None
    night_end: dt.time | None = None
    night_price_per_unit: Decimal | None = None
    tzinfo: object = SHANGHAI


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=SHANGHAI)


def test_free_period_is_free_and_one_minute_more_pays_from_the_start():
    rule = Rule()
    assert fee_due(rule, at(1, 9), at(1, 9, 15)) == Decimal("0.00")
    assert fee_due(rule, at(1, 9), at(1, 9, 16)) == Decimal("3.00")


def test_every_started_hour_is_charged():
    assert fee_due(Rule(), at(1, 9), at(1, 11, 1)) == Decimal("9.00")


def test_cap_applies_per_calendar_day_in_the_estate_time_zone():
    # 20:00 to next day 20:00 in Shanghai: 4 h on day one (12), 20 h on day two (capped at 30).
    assert fee_due(Rule(), at(1, 20), at(2, 20)) == Decimal("42.00")
    # The same 24 h starting at local midnight is one capped day and nothing more.
    assert fee_due(Rule(), at(1, 0), at(2, 0)) == Decimal("30.00")


def test_midnight_is_local_not_utc():
    # 07:00–09:00 Shanghai crosses 00:00 UTC but not a local midnight: one day, 2 units.
    assert fee_due(Rule(daily_cap=Decimal("4.00")), at(1, 7), at(1, 9)) == Decimal("4.00")
    assert fee_due(Rule(daily_cap=None), at(1, 7), at(1, 9)) == Decimal("6.00")


def test_night_window_minutes_use_the_night_price():
    rule = Rule(
        daily_cap=None,
        night_start=dt.time(22),
        night_end=dt.time(7),
        night_price_per_unit=Decimal("1.00"),
    )
    # 21:00–23:00: one day hour at 3, one night hour at 1.
    assert fee_due(rule, at(1, 21), at(1, 23)) == Decimal("4.00")
    # 23:00–06:00 next day: 1 night hour before midnight, 6 after.
    assert fee_due(rule, at(1, 23), at(2, 6)) == Decimal("7.00")


def test_multi_day_stay_sums_the_capped_days():
    assert fee_due(Rule(), at(1, 0), at(4, 0)) == Decimal("90.00")


def test_no_rule_or_backwards_times_cost_nothing():
    assert fee_due(None, at(1, 9), at(1, 18)) == Decimal("0.00")
    assert fee_due(Rule(), at(1, 18), at(1, 9)) == Decimal("0.00")


def test_fractional_prices_round_half_up_to_the_fen():
    rule = Rule(unit_minutes=30, price_per_unit=Decimal("0.125"), daily_cap=None, free_minutes=0)
    assert fee_due(rule, at(1, 9), at(1, 9, 30)) == Decimal("0.13")


# --- properties --------------------------------------------------------------------------------

prices = st.decimals(min_value=Decimal("0"), max_value=Decimal("50"), places=2)
rules = st.builds(
    Rule,
    free_minutes=st.integers(0, 120),
    unit_minutes=st.sampled_from([1, 15, 30, 60, 120]),
    price_per_unit=prices,
    daily_cap=st.one_of(st.none(), prices),
    night_start=st.one_of(st.none(), st.times()),
    night_end=st.times(),
    night_price_per_unit=prices,
)
starts = st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2027, 1, 1)).map(
    lambda t: t.replace(tzinfo=SHANGHAI)
)
minutes = st.integers(min_value=0, max_value=4 * 24 * 60)


@settings(max_examples=300, deadline=None)
@given(rules, starts, minutes, minutes)
def test_fee_never_negative_and_never_decreases_as_the_stay_grows(rule, start, stay, more):
    shorter = fee_due(rule, start, start + dt.timedelta(minutes=stay))
    longer = fee_due(rule, start, start + dt.timedelta(minutes=stay + more))
    assert Decimal("0") <= shorter <= longer
    assert shorter == shorter.quantize(Decimal("0.01"))


@settings(max_examples=200, deadline=None)
@given(rules, starts, st.integers(min_value=0, max_value=120))
def test_a_stay_within_the_free_period_is_free(rule, start, stay):
    if stay <= rule.free_minutes:
        assert fee_due(rule, start, start + dt.timedelta(minutes=stay)) == Decimal("0.00")


@settings(max_examples=200, deadline=None)
@given(rules, starts, minutes)
def test_no_calendar_day_costs_more_than_the_cap(rule, start, stay):
    end = start + dt.timedelta(minutes=stay)
    if rule.daily_cap is None:
        return
    days = (end.astimezone(SHANGHAI).date() - start.astimezone(SHANGHAI).date()).days + 1
    assert fee_due(rule, start, end) <= rule.daily_cap * days
