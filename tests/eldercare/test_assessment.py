"""GB/T 42195-2022 ability levels: every band edge and each adjustment."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eldercare.assessment import TOTAL_MAX, ability_level, preliminary_level


@pytest.mark.parametrize(
    ("total", "level"),
    [(90, 0), (89, 1), (66, 1), (65, 2), (46, 2), (45, 3), (30, 3), (29, 4), (0, 4)],
)
def test_band_edges(total, level):
    assert ability_level(total) == level


@pytest.mark.parametrize("total", [-1, 91])
def test_totals_outside_the_scale_are_refused(total):
    with pytest.raises(ValueError):
        ability_level(total)


@pytest.mark.parametrize("total", [90, 70, 50, 35, 10])
def test_coma_is_level_4_whatever_the_total(total):
    assert ability_level(total, coma=True) == 4


@pytest.mark.parametrize(
    "flags",
    [{"dementia": True}, {"mental_disorder": True}, {"risk_events_30d": 2}, {"risk_events_30d": 5}],
)
def test_each_adjustment_raises_one_level(flags):
    assert ability_level(90, **flags) == 1
    assert ability_level(66, **flags) == 2
    assert ability_level(46, **flags) == 3
    assert ability_level(30, **flags) == 4
    assert ability_level(29, **flags) == 4  # never past 4


def test_one_risk_event_does_not_raise():
    assert ability_level(70, risk_events_30d=1) == 1


def test_several_adjustments_raise_one_level_in_all():
    assert ability_level(70, dementia=True, mental_disorder=True, risk_events_30d=3) == 2


@given(
    total=st.integers(0, TOTAL_MAX),
    dementia=st.booleans(),
    mental=st.booleans(),
    risks=st.integers(0, 10),
)
def test_final_level_is_preliminary_or_one_above(total, dementia, mental, risks):
    level = ability_level(total, dementia=dementia, mental_disorder=mental, risk_events_30d=risks)
    base = preliminary_level(total)
    assert 0 <= level <= 4
    assert level - base in (0, 1)
    assert (level > base) == ((dementia or mental or risks >= 2) and base < 4)
