"""Periodic jobs (Celery beat; each is also a management command for the embedded mode)."""

from __future__ import annotations

from celery import shared_task

from .partitions import partitions_drop_expired, partitions_ensure
from .services import credentials_sync_due, devices_mark_offline

OFFLINE_ACTOR = "system:devices-offline"
SYNC_ACTOR = "system:credentials-sync"


@shared_task(name="access.devices_check_offline")
def devices_check_offline() -> int:
    return len(devices_mark_offline(by=OFFLINE_ACTOR))


@shared_task(name="access.credentials_sync_due")
def credentials_sync() -> int:
    return credentials_sync_due(by=SYNC_ACTOR)


@shared_task(name="access.partitions_maintain")
def partitions_maintain() -> dict:
    created = partitions_ensure()
    expired = partitions_drop_expired()
    return {"created": created, "dropped": expired["dropped"], "deleted_rows": expired["deleted_rows"]}
