"""The Art. 278 thresholds, exactly at each bound and one unit (0.01 m² or one owner) either side."""

from __future__ import annotations

from decimal import Decimal
from decimal import Decimal as D
from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from community.voting import rules
from community.voting.rules import ORDINARY, SPECIAL, decide, kind_of_matter


def _full(kind=ORDINARY, **kw):
    base = {
        "total_area": D("300.00"),
        "total_owners": 300,
        "participating_area": D("300.00"),
        "participating_owners": 300,
        "yes_area": D("300.00"),
        "yes_owners": 300,
    }
    base.update(kw)
    return decide(kind, **base)


# --- Matters -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "matter,kind",
    [
        (1, ORDINARY),
        (2, ORDINARY),
        (3, ORDINARY),
        (4, ORDINARY),
        (5, ORDINARY),
        (6, SPECIAL),
        (7, SPECIAL),
        (8, SPECIAL),
        (9, ORDINARY),
    ],
)
def test_matters_6_to_8_are_special_the_rest_ordinary(matter, kind):
    assert kind_of_matter(matter) == kind


@pytest.mark.parametrize("matter", [0, 10, -1, "4", True, 4.0])
def test_unknown_matters_are_refused(matter):
    with pytest.raises(ValueError):
        kind_of_matter(matter)


# --- Quorum: ≥ 2/3 of area AND ≥ 2/3 of owners ------------------------------------------------------


@pytest.mark.parametrize("area,met", [(D("199.99"), False), (D("200.00"), True), (D("200.01"), True)])
def test_quorum_area_bound_is_inclusive(area, met):
    d = _full(participating_area=area, yes_area=area)
    assert d.quorum_met is met
    assert d.participating_area_ratio == Fraction(area) / 300


@pytest.mark.parametrize("owners,met", [(199, False), (200, True), (201, True)])
def test_quorum_owner_bound_is_inclusive(owners, met):
    assert _full(participating_owners=owners, yes_owners=owners).quorum_met is met


def test_quorum_needs_both_area_and_owners():
    assert not _full(
        participating_area=D("300"), yes_area=D("300"), participating_owners=199, yes_owners=199
    ).quorum_met
    assert not _full(
        participating_area=D("199.99"), yes_area=D("199.99"), participating_owners=300
    ).quorum_met


def test_no_quorum_means_not_passed_even_if_everyone_present_agreed():
    d = _full(participating_owners=199, yes_owners=199)
    assert d.yes_owners_ratio == 1 and not d.passed


# --- Ordinary: > 1/2 of participating area AND owners ----------------------------------------------


@pytest.mark.parametrize("yes_area,passed", [(D("149.99"), False), (D("150.00"), False), (D("150.01"), True)])
def test_ordinary_area_majority_is_strict(yes_area, passed):
    assert _full(yes_area=yes_area).passed is passed


@pytest.mark.parametrize("yes_owners,passed", [(149, False), (150, False), (151, True)])
def test_ordinary_owner_majority_is_strict(yes_owners, passed):
    assert _full(yes_owners=yes_owners).passed is passed


# --- Special: ≥ 3/4 of participating area AND owners -------------------------------------------------


@pytest.mark.parametrize("yes_area,passed", [(D("224.99"), False), (D("225.00"), True), (D("225.01"), True)])
def test_special_area_bound_is_inclusive(yes_area, passed):
    assert _full(SPECIAL, yes_area=yes_area).passed is passed


@pytest.mark.parametrize("yes_owners,passed", [(224, False), (225, True), (226, True)])
def test_special_owner_bound_is_inclusive(yes_owners, passed):
    assert _full(SPECIAL, yes_owners=yes_owners).passed is passed


def test_abstentions_count_toward_quorum_and_the_denominator_not_yes():
    # 300 owners on the roll; 200 take part: 101 agree, 99 abstain. Quorum met (200 ≥ 2/3·300);
    # 101/200 > 1/2 passes an ordinary matter. With 2 more abstentions (202 take part), 101/202 = 1/2 fails.
    d = _full(participating_area=D("200"), participating_owners=200, yes_area=D("101"), yes_owners=101)
    assert d.quorum_met and d.passed
    d = _full(participating_area=D("202"), participating_owners=202, yes_area=D("101"), yes_owners=101)
    assert d.quorum_met and not d.passed


# --- Degenerate input --------------------------------------------------------------------------------


def test_empty_roll_meets_no_quorum_and_passes_nothing():
    d = decide(
        ORDINARY,
        total_area=0,
        total_owners=0,
        participating_area=0,
        participating_owners=0,
        yes_area=0,
        yes_owners=0,
    )
    assert not d.quorum_met and not d.passed
    assert d.participating_area_ratio == 0 and d.yes_owners_ratio == 0


def test_zero_area_roll_with_owners_meets_no_quorum():
    d = decide(
        ORDINARY,
        total_area=0,
        total_owners=3,
        participating_area=0,
        participating_owners=3,
        yes_area=0,
        yes_owners=3,
    )
    assert not d.quorum_met and not d.passed


@pytest.mark.parametrize(
    "bad",
    [
        {"yes_area": 0.5},
        {"total_owners": 2.0},
        {"participating_area": D("301")},
        {"participating_owners": 301},
        {"yes_area": D("-1")},
        {"total_owners": Fraction(1, 2)},
        {"yes_area": D("NaN")},
    ],
)
def test_floats_and_impossible_figures_are_refused(bad):
    with pytest.raises((TypeError, ValueError)):
        _full(**bad)


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        _full("majority")


def test_percent_display_rounds_half_up():
    assert rules.percent(Fraction(2, 3)) == "66.67%"
    assert rules.percent(Fraction(1, 2)) == "50.00%"


# --- Properties --------------------------------------------------------------------------------------


@st.composite
def figures(draw):
    total_owners = draw(st.integers(min_value=0, max_value=400))
    participating_owners = draw(st.integers(min_value=0, max_value=total_owners))
    yes_owners = draw(st.integers(min_value=0, max_value=participating_owners))
    total_cents = draw(st.integers(min_value=0, max_value=10**9))
    part_cents = draw(st.integers(min_value=0, max_value=total_cents))
    yes_cents = draw(st.integers(min_value=0, max_value=part_cents))
    return {
        "total_area": D(total_cents) / 100,
        "total_owners": total_owners,
        "participating_area": D(part_cents) / 100,
        "participating_owners": participating_owners,
        "yes_area": D(yes_cents) / 100,
        "yes_owners": yes_owners,
    }


@given(figures(), st.sampled_from([ORDINARY, SPECIAL]))
def test_matches_integer_cross_multiplication(f, kind):
    d = decide(kind, **f)
    ta, pa, ya = (int(f[k] * 100) for k in ("total_area", "participating_area", "yes_area"))
    to, po, yo = f["total_owners"], f["participating_owners"], f["yes_owners"]
    quorum = ta > 0 and to > 0 and 3 * pa >= 2 * ta and 3 * po >= 2 * to
    majority = (2 * ya > pa and 2 * yo > po) if kind == ORDINARY else (4 * ya >= 3 * pa and 4 * yo >= 3 * po)
    assert d.quorum_met == quorum
    assert d.passed == (quorum and po > 0 and majority)


@given(figures())
def test_passing_needs_quorum_and_special_is_stricter(f):
    ordinary, special = decide(ORDINARY, **f), decide(SPECIAL, **f)
    assert not ordinary.passed or ordinary.quorum_met
    assert not special.passed or ordinary.passed


@given(figures(), st.integers(min_value=1, max_value=10**6))
def test_more_yes_area_never_turns_a_pass_into_a_fail(f, extra_cents):
    more = min(f["yes_area"] + D(extra_cents) / 100, f["participating_area"])
    assume(more > f["yes_area"])
    for kind in (ORDINARY, SPECIAL):
        if decide(kind, **f).passed:
            assert decide(kind, **{**f, "yes_area": more}).passed


@given(figures())
def test_an_abstention_turned_into_yes_never_hurts(f):
    assume(f["participating_owners"] > f["yes_owners"])
    better = {**f, "yes_owners": f["yes_owners"] + 1}
    for kind in (ORDINARY, SPECIAL):
        assert decide(kind, **better).passed >= decide(kind, **f).passed


def test_displayed_percentages_are_rounded_down_near_a_bound():
    # Counter-example: 66.67 % was shown beside "no quorum" (2/3 − ε rounded half-up).
    just_below = Fraction(2, 3) - Fraction(1, 10**9)
    assert rules.percent_down(just_below) == "66.66%"
    assert rules.percent_down(Fraction(2, 3)) == "66.66%"
    assert rules.percent_down(Fraction(1)) == "100.00%"


def test_the_amount_still_needed_for_the_quorum():
    # 20,000 m² and 300 owners, nobody took part: ≥ 13,333.34 m² and ≥ 200 owners.
    assert rules.quorum_shortfall(
        total_area=Decimal("20000"), total_owners=300, participating_area=0, participating_owners=0
    ) == (Decimal("13333.34"), 200)
    assert rules.quorum_shortfall(
        total_area=Decimal("300"), total_owners=3, participating_area=Decimal("200"), participating_owners=2
    ) == (Decimal("0"), 0)


@given(
    st.integers(min_value=1, max_value=10**9),
    st.integers(min_value=0, max_value=10**9),
)
def test_adding_the_amount_still_needed_reaches_the_quorum_and_a_cent_less_does_not(total_cents, part_cents):
    part_cents = min(part_cents, total_cents)
    total, part = Decimal(total_cents) / 100, Decimal(part_cents) / 100
    need, _owners = rules.quorum_shortfall(
        total_area=total, total_owners=1, participating_area=part, participating_owners=1
    )
    assert Fraction(part + need) >= rules.QUORUM * Fraction(total)
    if need > 0:
        assert Fraction(part + need - Decimal("0.01")) < rules.QUORUM * Fraction(total)
