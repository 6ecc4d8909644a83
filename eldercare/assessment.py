"""Ability level of an older person (GB/T 42195-2022 老年人能力评估规范), as pure code.

Four part scores add up to at most 90: self-care 32, mobility 15, mental state 28,
perception & social participation 15. The total gives the preliminary level; then:

* coma gives level 4 whatever the total;
* any one of dementia, another diagnosed mental and behavioural disorder, or two or more
  care-risk events (fall, wandering, choking, self-harm, suicide attempt) in the last 30 days
  raises the preliminary level by one — one level however many apply, never past 4.
"""

from __future__ import annotations

PART_MAXIMA = {"self_care": 32, "mobility": 15, "mental_state": 28, "perception_social": 15}
TOTAL_MAX = sum(PART_MAXIMA.values())  # 90

# (lowest total of the band, level), highest band first.
BANDS: tuple[tuple[int, int], ...] = ((90, 0), (66, 1), (46, 2), (30, 3), (0, 4))
MAX_LEVEL = 4
RISK_EVENTS_THAT_RAISE = 2


def preliminary_level(total: int) -> int:
    if not 0 <= total <= TOTAL_MAX:
        raise ValueError(f"total must be between 0 and {TOTAL_MAX}, got {total}")
    for lowest, level in BANDS:
        if total >= lowest:
            return level
    raise AssertionError("unreachable: the last band starts at 0")


def ability_level(
    total: int,
    *,
    coma: bool = False,
    dementia: bool = False,
    mental_disorder: bool = False,
    risk_events_30d: int = 0,
) -> int:
    """The final level 0 (intact) … 4 (total loss)."""
    level = preliminary_level(total)
    if coma:
        return MAX_LEVEL
    if dementia or mental_disorder or risk_events_30d >= RISK_EVENTS_THAT_RAISE:
        level = min(level + 1, MAX_LEVEL)
    return level
