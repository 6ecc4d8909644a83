"""Care workers' positions, for suggesting the nearest free worker for an order.

A worker's position is personal information: it is stored only while the worker has chosen to
share it (from the worker app), only the last report is kept (no trace), and stopping erases
it. A report older than ``selectors.POSITION_FRESH_FOR`` is not used for suggestions.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from community.errors import NotAllowed, ServiceError

from ..models import WorkerPosition
from ..selectors import WORKER_ROLES, staff_estate_ids
from .common import now_or

MAX_ACCURACY_M = 100_000


def _require_worker(by) -> None:
    if isinstance(by, str) or staff_estate_ids(by, roles=WORKER_ROLES) == frozenset():
        raise NotAllowed(_("Only care workers share a position."))


@transaction.atomic
def worker_position_sharing_set(*, by, sharing: bool, now: dt.datetime | None = None) -> WorkerPosition:
    """The worker's own choice to share the position or stop (which erases it)."""
    _require_worker(by)
    now = now_or(now)
    row, _created = WorkerPosition.objects.select_for_update().get_or_create(
        worker=by, defaults={"sharing": sharing, "sharing_changed_at": now}
    )
    if row.sharing != sharing:
        row.sharing, row.sharing_changed_at = sharing, now
    if not sharing:
        row.latitude = row.longitude = row.accuracy_m = row.reported_at = None
    row.save()
    return row


@transaction.atomic
def worker_position_report(
    *, by, latitude, longitude, accuracy=None, now: dt.datetime | None = None
) -> WorkerPosition:
    """Store the worker's current position (the server's clock: a phone's is not trusted)."""
    _require_worker(by)
    try:
        lat, lng = float(latitude), float(longitude)
        acc = None if accuracy in (None, "") else round(float(accuracy))
    except (TypeError, ValueError) as exc:
        raise ServiceError({"latitude": [_("Location must be numbers.")]}) from exc
    if not (-90 <= lat <= 90 and -180 <= lng <= 180) or (acc is not None and not 0 <= acc <= MAX_ACCURACY_M):
        raise ServiceError({"latitude": [_("Location out of range.")]})
    row = WorkerPosition.objects.select_for_update().filter(worker=by).first()
    if row is None or not row.sharing:
        raise NotAllowed(_("Turn on position sharing first."), code="not_sharing")
    row.latitude = Decimal(f"{lat:.6f}")
    row.longitude = Decimal(f"{lng:.6f}")
    row.accuracy_m = acc
    row.reported_at = now_or(now)
    row.save(update_fields=["latitude", "longitude", "accuracy_m", "reported_at"])
    return row
