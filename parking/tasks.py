"""Parking jobs: barrier calls to cameras the platform can reach, ingesting the spool."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="parking.barrier_open")
def barrier_open(lane_id: int, plate_event_id: int | None, actor: str) -> bool:
    from .services.devices import barrier_call

    return barrier_call(lane_id=lane_id, plate_event_id=plate_event_id, by_label=actor)


@shared_task(name="parking.spool_ingest")
def spool_ingest() -> int:
    from .spool import spool_ingest as ingest

    return ingest(by="system:parking.spool_ingest")
