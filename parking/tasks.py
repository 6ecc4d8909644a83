"""Parking jobs: barrier calls to cameras the platform can reach, ingesting the spool, pushing
allow-lists. Tasks import services, never the reverse: services enqueue these by name."""

from __future__ import annotations

from celery import shared_task

from .services.allowlist import allowlists_sync
from .services.devices import barrier_call, barrier_requests_expire
from .spool import spool_ingest as ingest


@shared_task(name="parking.barrier_open")
def barrier_open(lane_id: int, plate_event_id: int | None, actor: str) -> bool:
    return barrier_call(lane_id=lane_id, plate_event_id=plate_event_id, by_label=actor)


@shared_task(name="parking.spool_ingest")
def spool_ingest() -> int:
    return ingest(by="system:parking.spool_ingest")


@shared_task(name="parking.allowlists_sync")
def allowlists_sync_task(estate_id: int | None = None) -> int:
    """Push changed allow-lists to reachable Hikvision cameras; returns how many failed."""
    results = allowlists_sync(by="system:parking.allowlists_sync", estate_id=estate_id)
    return sum(1 for r in results if not r.ok)


@shared_task(name="parking.barrier_requests_expire")
def barrier_requests_expire_task() -> int:
    return barrier_requests_expire()
