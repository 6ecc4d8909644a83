"""Periodic jobs (Celery beat; each is also a management command for the embedded mode)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="access.devices_check_offline")
def devices_check_offline() -> int:
    from .services import devices_mark_offline

    return len(devices_mark_offline())


@shared_task(name="access.partitions_maintain")
def partitions_maintain() -> dict:
    from .partitions import partitions_drop_expired, partitions_ensure

    created = partitions_ensure()
    expired = partitions_drop_expired()
    return {"created": created, "dropped": expired["dropped"], "deleted_rows": expired["deleted_rows"]}
