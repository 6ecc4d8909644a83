"""Platform-to-camera calls (Hikvision barrierGate), recorded whatever their outcome."""

from __future__ import annotations

from community.realtime import publish_on_commit

from ..barrier import put_barrier_open
from ..models import GateAction, GateActionKind, Lane
from ._common import parking_group


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
