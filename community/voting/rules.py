"""The thresholds of Civil Code Art. 278 (and SPC interpretation Arts. 8–9), as pure functions.

No database, no floats: areas are Decimals (or ints), counts are ints, ratios are Fractions,
so a result exactly at a bound ("以上" includes it, "过半数" does not) is decided exactly.

* Quorum, every matter: participants hold ≥ 2/3 of the total exclusive area AND are ≥ 2/3 of
  the total owner count.
* Ordinary matter (1–5, 9): yes votes hold > 1/2 of the participating area AND are > 1/2 of
  the participating owners.
* Special matter (6–8): yes votes hold ≥ 3/4 of both.
* Abstentions participate: they count toward quorum and the denominator, never toward yes.
* Candidate lists (``elect``): each candidate passes the above alone; seats by votes in order.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

ORDINARY = "ordinary"
SPECIAL = "special"
KINDS = (ORDINARY, SPECIAL)

QUORUM = Fraction(2, 3)
ORDINARY_MAJORITY = Fraction(1, 2)  # strictly more than
SPECIAL_MAJORITY = Fraction(3, 4)  # at least

# Art. 278 ¶1: (6) raising maintenance funds, (7) rebuilding or altering buildings,
# (8) changing the use of / running a business on common parts need the special majority.
SPECIAL_MATTERS = frozenset({6, 7, 8})
MATTERS = range(1, 10)


def kind_of_matter(matter: int) -> str:
    """The kind (ordinary / special) Art. 278 fixes for matter 1–9."""
    if isinstance(matter, bool) or not isinstance(matter, int) or matter not in MATTERS:
        raise ValueError(f"Art. 278 has matters 1–9, not {matter!r}.")
    return SPECIAL if matter in SPECIAL_MATTERS else ORDINARY


Number = int | Decimal | Fraction


def _exact(value: Number, name: str) -> Fraction:
    if isinstance(value, float):
        raise TypeError(f"{name} must be exact (int, Decimal or Fraction), not float.")
    if isinstance(value, bool) or not isinstance(value, int | Decimal | Fraction):
        raise TypeError(f"{name} must be an int, Decimal or Fraction, not {type(value).__name__}.")
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError(f"{name} must be finite.")
    result = Fraction(value)
    if result < 0:
        raise ValueError(f"{name} cannot be negative.")
    return result


def ratio(part: Number, whole: Number) -> Fraction:
    """part / whole, exactly; 0 when the whole is 0 (nothing to take part in)."""
    whole = Fraction(whole)
    return Fraction(0) if whole == 0 else Fraction(part) / whole


@dataclass(frozen=True)
class Decision:
    kind: str
    quorum_met: bool
    passed: bool
    participating_area_ratio: Fraction
    participating_owners_ratio: Fraction
    yes_area_ratio: Fraction
    yes_owners_ratio: Fraction


def decide(
    kind: str,
    *,
    total_area: Number,
    total_owners: int,
    participating_area: Number,
    participating_owners: int,
    yes_area: Number,
    yes_owners: int,
) -> Decision:
    """Whether the quorum is met and the motion passed.

    Zero denominators: an empty roll (no area or no owners) cannot meet the quorum, and no
    participant means nobody voted yes, so nothing passes. A motion never passes without quorum.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}.")
    values = {
        "total_area": _exact(total_area, "total_area"),
        "total_owners": _exact(total_owners, "total_owners"),
        "participating_area": _exact(participating_area, "participating_area"),
        "participating_owners": _exact(participating_owners, "participating_owners"),
        "yes_area": _exact(yes_area, "yes_area"),
        "yes_owners": _exact(yes_owners, "yes_owners"),
    }
    for name in ("total_owners", "participating_owners", "yes_owners"):
        if values[name].denominator != 1:
            raise ValueError(f"{name} must be a whole number.")
    if values["participating_area"] > values["total_area"]:
        raise ValueError("participating_area cannot exceed total_area.")
    if values["participating_owners"] > values["total_owners"]:
        raise ValueError("participating_owners cannot exceed total_owners.")
    if values["yes_area"] > values["participating_area"]:
        raise ValueError("yes_area cannot exceed participating_area.")
    if values["yes_owners"] > values["participating_owners"]:
        raise ValueError("yes_owners cannot exceed participating_owners.")

    part_area = ratio(values["participating_area"], values["total_area"])
    part_owners = ratio(values["participating_owners"], values["total_owners"])
    yes_area_r = ratio(values["yes_area"], values["participating_area"])
    yes_owners_r = ratio(values["yes_owners"], values["participating_owners"])

    quorum_met = (
        values["total_area"] > 0
        and values["total_owners"] > 0
        and part_area >= QUORUM
        and part_owners >= QUORUM
    )
    if kind == SPECIAL:
        majority = yes_area_r >= SPECIAL_MAJORITY and yes_owners_r >= SPECIAL_MAJORITY
    else:
        majority = yes_area_r > ORDINARY_MAJORITY and yes_owners_r > ORDINARY_MAJORITY
    # No participants: the ratios are 0, so no majority; guard explicitly for clarity.
    passed = bool(quorum_met and values["participating_owners"] > 0 and majority)
    return Decision(
        kind=kind,
        quorum_met=bool(quorum_met),
        passed=passed,
        participating_area_ratio=part_area,
        participating_owners_ratio=part_owners,
        yes_area_ratio=yes_area_r,
        yes_owners_ratio=yes_owners_r,
    )


def percent(value: Fraction, places: int = 2) -> str:
    """A Fraction as a percentage string for display, rounded half-up ("66.67%")."""
    scaled = Decimal(value.numerator * 100) / Decimal(value.denominator)
    return f"{scaled.quantize(Decimal(1).scaleb(-places), rounding='ROUND_HALF_UP')}%"


def percent_down(value: Fraction, places: int = 2) -> str:
    """A Fraction as a percentage rounded *down* ("66.66%"): a figure beside a bound must never
    look as if it reached the bound when it does not (2/3 − ε is not shown as 66.67%)."""
    scaled = Decimal(value.numerator * 100) / Decimal(value.denominator)
    return f"{scaled.quantize(Decimal(1).scaleb(-places), rounding='ROUND_FLOOR')}%"


CENT = Fraction(1, 100)


def _ceil(value: Fraction, step: Fraction) -> Fraction:
    units = -((-value) // step)  # ceiling division on exact Fractions
    return units * step


def still_needed(
    part: Number, whole: Number, bound: Fraction, *, inclusive: bool, step: Fraction
) -> Fraction:
    """The least amount (a multiple of ``step``: 0.01 m², or 1 owner) that ``part`` still needs to
    reach ``bound`` of ``whole`` ("以上" inclusive, "过半数" strict). 0 when already reached."""
    target = Fraction(bound) * Fraction(whole)
    gap = target - Fraction(part)
    if inclusive:
        return max(Fraction(0), _ceil(gap, step))
    if gap < 0:
        return Fraction(0)
    # Strictly more than the target: the next step above the gap.
    return (gap // step + 1) * step


def quorum_shortfall(
    *, total_area: Number, total_owners: int, participating_area: Number, participating_owners: int
) -> tuple[Decimal, int]:
    """(area in m², owners) still needed for the quorum (≥ 2/3 of both)."""
    area = still_needed(participating_area, total_area, QUORUM, inclusive=True, step=CENT)
    owners = still_needed(participating_owners, total_owners, QUORUM, inclusive=True, step=Fraction(1))
    return Decimal(area.numerator) / Decimal(area.denominator), int(owners)


# --- Candidate lists (an election with more candidates than seats) -----------------------------


@dataclass(frozen=True)
class CandidateVotes:
    """What one candidate received: the area and heads of the owners who chose them."""

    key: object
    yes_area: Number
    yes_owners: int


@dataclass(frozen=True)
class CandidateOutcome:
    key: object
    decision: Decision  # the Art. 278 test of this candidate alone (quorum, majority)
    rank: int | None  # 1 = most votes among those who reached the thresholds; None otherwise
    elected: bool
    tied: bool  # tied for the last seat(s) with more candidates than seats left: a runoff decides


def vote_order(votes: CandidateVotes) -> tuple[Fraction, Fraction]:
    """Votes in order: heads (得票人数) first, then area; both equal is a tie."""
    return (Fraction(votes.yes_owners), Fraction(votes.yes_area))


def elect(
    kind: str,
    *,
    seats: int,
    total_area: Number,
    total_owners: int,
    participating_area: Number,
    participating_owners: int,
    candidates: list[CandidateVotes],
) -> list[CandidateOutcome]:
    """Who is elected on a candidate-list motion, one outcome per candidate in the given order.

    * Every owner who returned the ballot takes part in the motion (a blank or spoiled list is
      an abstention), so each candidate is tested on the motion's own participation: elected
      only if the quorum is met and the owners choosing them pass the Art. 278 majority of
      ``kind`` (more than half of the participating area AND heads; three quarters if special).
    * Of those who pass, seats are filled by votes in order (``vote_order``: heads, then area).
    * A group tied on both for more seats than are left takes none of them: the tied seats stay
      vacant for a runoff, and no one ranked below the tie is elected in their place.
    """
    if isinstance(seats, bool) or not isinstance(seats, int) or seats < 1:
        raise ValueError(f"seats must be a whole number ≥ 1, not {seats!r}.")
    keys = [c.key for c in candidates]
    if len(set(keys)) != len(keys):
        raise ValueError("Each candidate appears once.")
    decisions = {
        c.key: decide(
            kind,
            total_area=total_area,
            total_owners=total_owners,
            participating_area=participating_area,
            participating_owners=participating_owners,
            yes_area=c.yes_area,
            yes_owners=c.yes_owners,
        )
        for c in candidates
    }
    qualified = sorted((c for c in candidates if decisions[c.key].passed), key=vote_order, reverse=True)
    rank: dict[object, int] = {}
    for i, c in enumerate(qualified):  # equal votes, equal rank ("1, 2, 2, 4")
        rank[c.key] = (
            rank[qualified[i - 1].key] if i and vote_order(c) == vote_order(qualified[i - 1]) else i + 1
        )
    elected: set = set()
    tied: set = set()
    left = seats
    i = 0
    while i < len(qualified) and left > 0:
        group = [c.key for c in qualified[i:] if vote_order(c) == vote_order(qualified[i])]
        if len(group) <= left:
            elected.update(group)
            left -= len(group)
        else:
            tied.update(group)
            left = 0
        i += len(group)
    return [
        CandidateOutcome(
            key=c.key,
            decision=decisions[c.key],
            rank=rank.get(c.key),
            elected=c.key in elected,
            tied=c.key in tied,
        )
        for c in candidates
    ]
