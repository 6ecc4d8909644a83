"""Check-in and check-out: visits that prove themselves.

The server's clock is the record; the phone's time is kept as a claim. Where the worker was
is either the distance from the elder's home (browser geolocation, accuracy kept) or the
elder's daily door code. A check-in made without signal is queued on the phone and sent later
with an idempotency key: sending it twice stores it once, and it is flagged "synced late".
Check-out completes the order and fixes its price, subsidy and self-pay (fen exact).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from community.errors import ServiceError

from ..doorcode import door_code_matches
from ..geo import distance_m
from ..models import CheckMethod, Order
from ..transitions import OrderAction
from .common import now_or, publish_order
from .orders import _check, _local, _lock
from .subsidies import order_split

# A claim this much older than its arrival was queued offline.
SYNCED_LATE_AFTER = dt.timedelta(minutes=5)
# A phone clock this far in the future is not believed.
CLAIM_FUTURE_SLACK = dt.timedelta(minutes=2)
MAX_ACCURACY_M = 100_000


def _where(order: Order, *, latitude, longitude, accuracy, door_code: str, on: dt.date):
    """(method, distance, accuracy) of a check; a wrong door code is refused outright."""
    if door_code:
        elder = order.elder
        if not door_code_matches(elder_id=elder.pk, salt=elder.door_code_salt, on=on, code=door_code):
            raise ServiceError(
                {"door_code": [_("The door code is wrong for that day.")]}, code="bad_door_code"
            )
        return CheckMethod.DOOR_CODE, None, None
    if latitude is None or longitude is None:
        return CheckMethod.NONE, None, None
    try:
        lat, lng = float(latitude), float(longitude)
        acc = None if accuracy in (None, "") else round(float(accuracy))
    except (TypeError, ValueError) as exc:
        raise ServiceError({"latitude": [_("Location must be numbers.")]}) from exc
    if not (-90 <= lat <= 90 and -180 <= lng <= 180) or (acc is not None and not 0 <= acc <= MAX_ACCURACY_M):
        raise ServiceError({"latitude": [_("Location out of range.")]})
    home_lat = order.elder.home_latitude or order.estate.latitude
    home_lng = order.elder.home_longitude or order.estate.longitude
    if home_lat is None or home_lng is None:
        # Nothing to measure against: the position is not kept (it would be a trace without use).
        return CheckMethod.NONE, None, acc
    return CheckMethod.GEO, distance_m(lat, lng, float(home_lat), float(home_lng)), acc


def _claim(claimed_at: dt.datetime | None, now: dt.datetime) -> tuple[dt.datetime | None, bool]:
    if claimed_at is None:
        return None, False
    if claimed_at > now + CLAIM_FUTURE_SLACK:
        raise ServiceError({"claimed_at": [_("The phone's time is in the future.")]})
    return claimed_at, now - claimed_at > SYNCED_LATE_AFTER


def _replayed(order: Order, field: str, key: str | None) -> Order | None:
    """The same offline check sent again: answer with what was stored the first time."""
    if not key:
        return None
    found = Order.objects.filter(**{field: key}).first()
    if found is None:
        return None
    if found.pk != order.pk:
        raise ServiceError({"idempotency_key": [_("This key was used for another order.")]})
    return found


@transaction.atomic
def order_check_in(
    *,
    order: Order,
    by,
    latitude=None,
    longitude=None,
    accuracy=None,
    door_code: str = "",
    claimed_at: dt.datetime | None = None,
    idempotency_key: str | None = None,
    now: dt.datetime | None = None,
) -> Order:
    now = now_or(now)
    if (done := _replayed(order, "check_in_key", idempotency_key)) is not None:
        return done
    order = _lock(order)
    claimed, late = _claim(claimed_at, now)
    when = claimed if late else now
    method, distance, acc = _where(
        order,
        latitude=latitude,
        longitude=longitude,
        accuracy=accuracy,
        door_code=door_code,
        on=when.astimezone(_local(order.estate)).date(),
    )
    _check(order, OrderAction.CHECK_IN, by)
    order.checked_in_at = now
    order.check_in_claimed_at = claimed
    order.check_in_synced_late = late
    order.check_in_method = method
    order.check_in_distance_m = distance
    order.check_in_accuracy_m = acc
    order.check_in_key = idempotency_key or None
    if order.promised_at is not None:
        # A meal is delivered at check-in; lateness against the promised time.
        order.late_minutes = max(0, int((when - order.promised_at).total_seconds() // 60))
    order.save()
    publish_order(order)
    return order


@transaction.atomic
def order_check_out(
    *,
    order: Order,
    by,
    latitude=None,
    longitude=None,
    accuracy=None,
    door_code: str = "",
    claimed_at: dt.datetime | None = None,
    idempotency_key: str | None = None,
    now: dt.datetime | None = None,
) -> Order:
    """End the visit: the order is completed and its price split into subsidy and self-pay."""
    now = now_or(now)
    if (done := _replayed(order, "check_out_key", idempotency_key)) is not None:
        return done
    order = _lock(order)
    claimed, late = _claim(claimed_at, now)
    when = claimed if late else now
    method, distance, acc = _where(
        order,
        latitude=latitude,
        longitude=longitude,
        accuracy=accuracy,
        door_code=door_code,
        on=when.astimezone(_local(order.estate)).date(),
    )
    _check(order, OrderAction.CHECK_OUT, by)
    order.checked_out_at = now
    order.check_out_claimed_at = claimed
    order.check_out_synced_late = late
    order.check_out_method = method
    order.check_out_distance_m = distance
    order.check_out_accuracy_m = acc
    order.check_out_key = idempotency_key or None
    order.completed_at = now
    order.save()
    order_split(order=order, by=by)
    publish_order(order)
    return order
