"""What a stay costs: one pure function, ``fee_due(rule, entered_at, exited_at)``.

The rule (a ``FeeRule`` or anything with the same attributes) says:

* ``free_minutes``: a stay this long or shorter is free; a longer one pays from its first minute
  (the common 停车场 rule "超过免费时长按全程计费");
* ``unit_minutes`` and ``price_per_unit``: every started unit is charged;
* ``night_start``/``night_end``/``night_price_per_unit`` (optional): the minutes inside the night
  window are charged at the night price, in their own started units;
* ``daily_cap`` (optional): what one calendar day in the rule's time zone costs at most.

The stay is cut at local midnights; each calendar day is cut at the night window's edges; each
piece is charged in started units; each day's sum is capped. So lengthening a stay only adds
minutes to its last piece or adds pieces: the fee never decreases, and is never negative.
Amounts are Decimal yuan, rounded half-up to the fen. "Now" is always passed in.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")
ZERO = Decimal("0.00")


def to_fen(amount: Decimal) -> Decimal:
    return Decimal(amount).quantize(FEN, rounding=ROUND_HALF_UP)


def _local_midnights(start: dt.datetime, end: dt.datetime, tz) -> list[dt.datetime]:
    """The local midnights strictly between ``start`` and ``end`` (aware, in ``tz``)."""
    out = []
    day = start.astimezone(tz).date() + dt.timedelta(days=1)
    while True:
        midnight = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
        if midnight >= end:
            return out
        if midnight > start:
            out.append(midnight)
        day += dt.timedelta(days=1)


def _night_edges(day_start: dt.datetime, day_end: dt.datetime, rule, tz) -> list[dt.datetime]:
    """Night window edges inside one calendar-day piece of the stay."""
    local_day = day_start.astimezone(tz).date()
    edges = []
    for clock in (rule.night_start, rule.night_end):
        edge = dt.datetime.combine(local_day, clock, tzinfo=tz)
        if day_start < edge < day_end:
            edges.append(edge)
    return sorted(edges)


def _is_night(moment: dt.datetime, rule, tz) -> bool:
    clock = moment.astimezone(tz).time()
    start, end = rule.night_start, rule.night_end
    if start <= end:
        return start <= clock < end
    return clock >= start or clock < end  # a window across midnight (22:00–07:00)


def _has_night(rule) -> bool:
    return (
        getattr(rule, "night_start", None) is not None
        and getattr(rule, "night_end", None) is not None
        and getattr(rule, "night_price_per_unit", None) is not None
        and rule.night_start != rule.night_end
    )


def _units(seconds: float, unit_minutes: int) -> int:
    return math.ceil(seconds / (unit_minutes * 60)) if seconds > 0 else 0


def _tz(rule):
    return getattr(rule, "tzinfo", None) or dt.UTC


def fee_due(rule, entered_at: dt.datetime, exited_at: dt.datetime) -> Decimal:
    """The fee in yuan (2 places) for a stay from ``entered_at`` to ``exited_at`` (aware)."""
    if rule is None or exited_at <= entered_at:
        return ZERO
    if (exited_at - entered_at).total_seconds() <= rule.free_minutes * 60:
        return ZERO
    tz = _tz(rule)
    night = _has_night(rule)
    cuts = [entered_at, *_local_midnights(entered_at, exited_at, tz), exited_at]
    total = ZERO
    for day_start, day_end in itertools.pairwise(cuts):
        pieces = (
            [day_start, *_night_edges(day_start, day_end, rule, tz), day_end]
            if night
            else [day_start, day_end]
        )
        day_total = ZERO
        for piece_start, piece_end in itertools.pairwise(pieces):
            price = (
                rule.night_price_per_unit
                if night and _is_night(piece_start, rule, tz)
                else rule.price_per_unit
            )
            day_total += _units((piece_end - piece_start).total_seconds(), rule.unit_minutes) * Decimal(price)
        if rule.daily_cap is not None:
            day_total = min(day_total, Decimal(rule.daily_cap))
        total += to_fen(day_total)
    return max(to_fen(total), ZERO)
