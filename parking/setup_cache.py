"""A camera's lane (with its lot) and a lot's fee rules, kept in the process for a few seconds.

Every plate read needs both, and both change a few times a year: reading them from the database
cost two of the statements of each decision on the busiest path of the car park. As
``access.device_auth`` does for devices: a save or delete of a Lane, Lot, FeeRule or Device in
this process empties the cache at once (the receivers are connected in ``ParkingConfig.ready``);
another process notices within ``CACHE_SECONDS``. So a stay that starts in another process in
the first seconds of a newly published tariff may keep the version before it (the rule it
would have had a moment earlier), and a lot's new capacity counts a few seconds late.
"""

from __future__ import annotations

import datetime as dt
import time

from access.models import Device

from .models import FeeRule, Lane, Lot

CACHE_SECONDS = 5.0
CACHE_SIZE = 10_000  # bounds memory: cameras and lots of one deployment

_lanes: dict[int, tuple[float, Lane | None]] = {}
_fee_rules: dict[int, tuple[float, list[FeeRule]]] = {}


def setup_cache_clear(**_kwargs) -> None:
    """Forget every cached lane and fee rule (also the post_save/post_delete receiver)."""
    _lanes.clear()
    _fee_rules.clear()
    _occupancy.clear()


def _put(cache: dict, key: int, value) -> None:
    if len(cache) >= CACHE_SIZE:
        cache.clear()
    cache[key] = (time.monotonic() + CACHE_SECONDS, value)


def lane_for(device: Device) -> Lane | None:
    """The lane of a plate camera, its lot loaded; None for a camera not assigned to a lane."""
    cached = _lanes.get(device.pk)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    lane = Lane.objects.select_related("lot").filter(device_id=device.pk).first()
    _put(_lanes, device.pk, lane)
    return lane


def fee_rules_of(lot: Lot) -> list[FeeRule]:
    """The lot's fee rule versions, newest first."""
    cached = _fee_rules.get(lot.pk)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    rules = list(FeeRule.objects.filter(lot_id=lot.pk).order_by("-version"))
    _put(_fee_rules, lot.pk, rules)
    return rules


def current_fee_rule(lot: Lot, at: dt.datetime) -> FeeRule | None:
    """The version a stay starting at ``at`` is charged under; None where the lot charges nothing."""
    if not lot.charges:
        return None
    return next((rule for rule in fee_rules_of(lot) if rule.effective_from <= at), None)


def fee_rule_of(lot: Lot, rule_id: int) -> FeeRule:
    """A version of the lot's tariff by id (a stay keeps the one it started under)."""
    rule = next((rule for rule in fee_rules_of(lot) if rule.pk == rule_id), None)
    return rule if rule is not None else FeeRule.objects.get(pk=rule_id)


CLEARED_BY = (Lane, Lot, FeeRule, Device)


# --- cars inside, counted at most every OCCUPANCY_SECONDS per lot and process ---------------------
#
# Counting a lot's live stays reads every one of them (7,000 cars inside: ~13 ms of the
# database's time on every read, the largest cost of a decision). The count only matters
# near capacity: a barrier lets one car through every few seconds, so in OCCUPANCY_SECONDS
# far fewer than OCCUPANCY_MARGIN cars can enter through all the lanes of a lot together. A lot
# further than the margin from full decides from a count at most that old; nearer, every
# read counts exactly.
OCCUPANCY_SECONDS = 2.0
OCCUPANCY_MARGIN = 50
_occupancy: dict[int, tuple[float, int, int]] = {}


def occupancy_clear(**_kwargs) -> None:
    _occupancy.clear()


def cached_occupancy(lot: Lot) -> tuple[int, int] | None:
    """(cars inside, temporary cars inside) when a recent count leaves the lot far from full;
    None when the caller must count now (and ``occupancy_counted`` what it found)."""
    cached = _occupancy.get(lot.pk)
    if cached is None or cached[0] <= time.monotonic():
        return None
    _expires, inside, temporary = cached
    if inside >= lot.capacity - OCCUPANCY_MARGIN:
        return None
    if lot.temporary_capacity is not None and temporary >= lot.temporary_capacity - OCCUPANCY_MARGIN:
        return None
    return inside, temporary


def occupancy_counted(lot: Lot, inside: int, temporary: int) -> None:
    _put(_occupancy, lot.pk, None)
    _occupancy[lot.pk] = (time.monotonic() + OCCUPANCY_SECONDS, inside, temporary)
