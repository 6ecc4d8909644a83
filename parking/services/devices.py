"""Platform-to-camera calls, recorded whatever their outcome: Hikvision's barrierGate (we call
the camera), and Vzenith's open-on-heartbeat (the camera calls us every few seconds and the
answer carries the order; we cannot reach it)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from access.models import Device
from community.realtime import publish_on_commit

from ..barrier import put_barrier_open
from ..common import actor_label, parking_group
from ..models import BarrierRequest, GateAction, GateActionKind, Lane

# A Vzenith camera's heartbeat comes about every 5 s: an open it has not asked for within this
# is dropped and shown to staff, so a barrier never lifts for a car that has gone.
BARRIER_REQUEST_TTL = dt.timedelta(seconds=30)


def barrier_call(*, lane_id: int, plate_event_id: int | None, by_label: str) -> bool:
    """Open the lane's barrier through the camera; a failure is kept and shown to staff."""
    lane = Lane.objects.select_related("lot").filter(pk=lane_id).first()
    if lane is None or not lane.barrier_url:
        return False
    ok, detail = put_barrier_open(
        base_url=lane.barrier_url,
        channel=lane.barrier_channel,
        username=lane.barrier_username,
        password=lane.barrier_password,
    )
    action = GateAction.objects.create(
        estate_id=lane.lot.estate_id,
        kind=GateActionKind.BARRIER_CALL,
        lane=lane,
        plate_event_id=plate_event_id,
        by=by_label,
        ok=ok,
        detail=detail[:2000],
    )
    if not ok:
        publish_on_commit(
            parking_group(lane.lot.estate_id),
            {"type": "parking.barrier_failed", "lane": lane.pk, "action": action.pk, "detail": action.detail},
        )
    return ok


def barrier_request_create(*, lane: Lane, action: GateAction, by) -> BarrierRequest:
    """Queue an open for a camera that only hears us in its heartbeat's answer (staff's open)."""
    now = timezone.now()
    return BarrierRequest.objects.create(
        lane=lane, action=action, by=actor_label(by), requested_at=now, expires_at=now + BARRIER_REQUEST_TTL
    )


def barrier_request_take(*, device: Device, now: dt.datetime | None = None) -> BarrierRequest | None:
    """The open to put in this camera's answer now, if staff asked for one (delivered once;
    recorded as a ``barrier_call`` by whoever asked). Stale ones are dropped and shown to staff."""
    now = now or timezone.now()
    with transaction.atomic():
        pending = list(
            BarrierRequest.objects.select_for_update(skip_locked=True)
            .select_related("lane__lot")
            .filter(lane__device_id=device.pk, delivered_at__isnull=True, expired=False)
            .order_by("requested_at")
        )
        taken = None
        for request in pending:
            if request.expires_at < now:
                _expire(request)
            elif taken is None:
                request.delivered_at = now
                request.save(update_fields=["delivered_at"])
                GateAction.objects.create(
                    estate_id=request.lane.lot.estate_id,
                    kind=GateActionKind.BARRIER_CALL,
                    lane=request.lane,
                    by=request.by,
                    ok=True,
                    detail=f"delivered in the answer to camera {device.pk}'s heartbeat",
                )
                taken = request
            else:
                # Two opens before one heartbeat: the barrier lifts once.
                request.delivered_at = now
                request.save(update_fields=["delivered_at"])
    return taken


def barrier_requests_expire(*, now: dt.datetime | None = None) -> int:
    """Drop opens no heartbeat came for (a camera offline), and tell staff; the periodic job."""
    now = now or timezone.now()
    with transaction.atomic():
        stale = list(
            BarrierRequest.objects.select_for_update(skip_locked=True)
            .select_related("lane__lot")
            .filter(delivered_at__isnull=True, expired=False, expires_at__lt=now)
        )
        for request in stale:
            _expire(request)
    return len(stale)


def _expire(request: BarrierRequest) -> None:
    request.expired = True
    request.save(update_fields=["expired"])
    action = GateAction.objects.create(
        estate_id=request.lane.lot.estate_id,
        kind=GateActionKind.BARRIER_CALL,
        lane=request.lane,
        by=request.by,
        ok=False,
        detail="the camera did not ask for the open in time (offline?): open it at the booth",
    )
    publish_on_commit(
        parking_group(request.lane.lot.estate_id),
        {
            "type": "parking.barrier_failed",
            "lane": request.lane_id,
            "action": action.pk,
            "detail": action.detail,
        },
    )
