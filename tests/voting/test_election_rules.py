"""``rules.elect``: a candidate-list motion with a seat limit, as pure code.

Each candidate is elected only if the Art. 278 thresholds hold for them; seats go by votes in
order (heads, then area); a tie for more seats than are left elects none of the tied.
"""

from __future__ import annotations

import random
from decimal import Decimal as D
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from community.voting.rules import ORDINARY, SPECIAL, CandidateVotes, elect, vote_order

ROLL = {
    "total_area": D("1000.00"),
    "total_owners": 10,
    "participating_area": D("900.00"),
    "participating_owners": 9,
}


def _elect(seats, votes, kind=ORDINARY, **roll):
    candidates = [CandidateVotes(key, D(area), owners) for key, (owners, area) in votes.items()]
    outcomes = elect(kind, seats=seats, candidates=candidates, **{**ROLL, **roll})
    return {o.key: o for o in outcomes}


def _elected(outcomes):
    return sorted(k for k, o in outcomes.items() if o.elected)


def test_seats_go_to_the_candidates_with_most_votes_among_those_who_pass():
    # 9 participants, 900 m²: passing needs > 4.5 owners and > 450 m².
    out = _elect(2, {"A": (8, "800"), "B": (6, "600"), "C": (5, "500"), "D": (3, "300")})
    assert _elected(out) == ["A", "B"]
    assert [out[k].rank for k in "ABCD"] == [1, 2, 3, None]
    assert out["C"].decision.passed and not out["C"].elected  # passed, but no seat left
    assert not out["D"].decision.passed


def test_a_candidate_with_most_votes_but_no_majority_is_not_elected_and_the_seat_stays_empty():
    # 5 owners of 9 is more than half, but 450 m² of 900 is not: no majority on area.
    out = _elect(3, {"A": (6, "600"), "B": (5, "450.00"), "C": (4, "700")})
    assert _elected(out) == ["A"]


def test_exactly_half_is_not_more_than_half():
    out = _elect(
        1, {"A": (5, "450.00")}, participating_owners=10, total_owners=10, participating_area=D("900")
    )
    assert not out["A"].elected


def test_without_quorum_nobody_is_elected():
    # 6 of 10 owners took part: below two thirds.
    out = _elect(2, {"A": (6, "600"), "B": (6, "600")}, participating_owners=6, participating_area=D("600"))
    assert _elected(out) == []
    assert not out["A"].decision.quorum_met


def test_heads_rank_first_then_area():
    out = _elect(1, {"A": (6, "500.01"), "B": (7, "460.00")})
    assert _elected(out) == ["B"]
    out = _elect(1, {"A": (7, "500.01"), "B": (7, "460.00")})
    assert _elected(out) == ["A"]


def test_a_tie_for_the_last_seat_elects_neither_and_no_one_below():
    out = _elect(2, {"A": (8, "800"), "B": (6, "600"), "C": (6, "600"), "D": (5, "500")})
    assert _elected(out) == ["A"]
    assert out["B"].tied and out["C"].tied and not out["D"].tied and not out["D"].elected
    assert [out[k].rank for k in "ABCD"] == [1, 2, 2, 4]


def test_a_tie_that_fits_in_the_seats_left_elects_all_of_it():
    out = _elect(3, {"A": (8, "800"), "B": (6, "600"), "C": (6, "600"), "D": (5, "500")})
    assert _elected(out) == ["A", "B", "C"]
    assert not any(o.tied for o in out.values())


def test_special_kind_needs_three_quarters():
    out = _elect(1, {"A": (7, "675.00")}, kind=SPECIAL)  # 7/9 ≥ 3/4 and 675/900 = 3/4 exactly
    assert out["A"].elected
    out = _elect(1, {"A": (7, "674.99")}, kind=SPECIAL)
    assert not out["A"].elected


@pytest.mark.parametrize(
    "bad",
    [
        {"seats": 0},
        {"seats": True},
        {"candidates": [CandidateVotes("A", D(1), 1), CandidateVotes("A", D(1), 1)]},
        {"candidates": [CandidateVotes("A", D("901"), 1)]},
        {"candidates": [CandidateVotes("A", D(1), 10)]},
    ],
)
def test_impossible_inputs_are_refused(bad):
    kwargs = {"seats": 1, "candidates": [], **ROLL, **bad}
    with pytest.raises((ValueError, TypeError)):
        elect(ORDINARY, **kwargs)


# --- Properties ------------------------------------------------------------------------------


@st.composite
def elections(draw):
    total_owners = draw(st.integers(min_value=1, max_value=60))
    participating = draw(st.integers(min_value=0, max_value=total_owners))
    total_cents = draw(st.integers(min_value=total_owners, max_value=10**7))
    part_cents = draw(st.integers(min_value=0, max_value=total_cents))
    n = draw(st.integers(min_value=0, max_value=8))
    # Few distinct values, so ties are frequent.
    owners = st.integers(min_value=0, max_value=participating)
    candidates = []
    for i in range(n):
        o = draw(st.sampled_from([0, participating, participating // 2 + 1]) | owners)
        cents = draw(st.sampled_from([0, part_cents, part_cents // 2 + 1]) | st.integers(0, part_cents))
        candidates.append(CandidateVotes(i, D(min(cents, part_cents)) / 100, min(o, participating)))
    return {
        "kind": draw(st.sampled_from([ORDINARY, SPECIAL])),
        "seats": draw(st.integers(min_value=1, max_value=6)),
        "total_area": D(total_cents) / 100,
        "total_owners": total_owners,
        "participating_area": D(part_cents) / 100,
        "participating_owners": participating,
        "candidates": candidates,
    }


def _run(e):
    kind = e["kind"]
    return elect(kind, **{k: v for k, v in e.items() if k != "kind"})


@settings(max_examples=300)
@given(elections())
def test_never_more_elected_than_seats_and_every_elected_passed_alone(e):
    outcomes = _run(e)
    elected = [o for o in outcomes if o.elected]
    assert len(elected) <= e["seats"]
    assert all(o.decision.passed and o.decision.quorum_met for o in elected)
    assert not any(o.elected and o.tied for o in outcomes)


@settings(max_examples=300)
@given(elections())
def test_no_unelected_candidate_who_passed_has_more_votes_than_an_elected_one(e):
    outcomes = {o.key: o for o in _run(e)}
    votes = {c.key: vote_order(c) for c in e["candidates"]}
    elected = [k for k, o in outcomes.items() if o.elected]
    for k, o in outcomes.items():
        if o.decision.passed and not o.elected:
            assert all(votes[k] <= votes[w] for w in elected)
            # and strictly fewer than any elected, unless part of a tie left for a runoff
            assert o.tied or all(votes[k] < votes[w] for w in elected)


@settings(max_examples=300)
@given(elections())
def test_seats_are_filled_unless_a_tie_or_too_few_pass(e):
    outcomes = _run(e)
    passed = sum(o.decision.passed for o in outcomes)
    elected = sum(o.elected for o in outcomes)
    tied = [o for o in outcomes if o.tied]
    if not tied:
        assert elected == min(e["seats"], passed)
    else:
        # a tied group is larger than the seats left, and all tied have equal votes
        assert len(tied) > e["seats"] - elected
        votes = {c.key: vote_order(c) for c in e["candidates"]}
        assert len({votes[o.key] for o in tied}) == 1


@settings(max_examples=200)
@given(elections(), st.randoms(use_true_random=False))
def test_the_order_candidates_are_listed_in_does_not_matter(e, rnd: random.Random):
    before = {o.key: (o.elected, o.tied, o.rank) for o in _run(e)}
    shuffled = list(e["candidates"])
    rnd.shuffle(shuffled)
    after = {o.key: (o.elected, o.tied, o.rank) for o in _run({**e, "candidates": shuffled})}
    assert before == after


@settings(max_examples=200)
@given(elections())
def test_one_more_vote_for_an_elected_candidate_never_unseats_them(e):
    outcomes = _run(e)
    for o in outcomes:
        c = next(c for c in e["candidates"] if c.key == o.key)
        if o.elected and c.yes_owners < e["participating_owners"]:
            more = [
                CandidateVotes(x.key, x.yes_area, x.yes_owners + 1) if x.key == o.key else x
                for x in e["candidates"]
            ]
            again = {p.key: p for p in _run({**e, "candidates": more})}
            assert again[o.key].elected


def test_vote_order_is_exact():
    assert vote_order(CandidateVotes("x", D("0.10"), 1)) == (Fraction(1), Fraction(1, 10))
