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


CLEARED_BY = (Lane, Lot, FeeRule, Device)
