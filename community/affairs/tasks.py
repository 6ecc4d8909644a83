"""Periodic affairs job (Celery beat): applications and grid events past their marks escalate."""

from celery import shared_task

from . import appointments, grids, services


@shared_task(name="affairs.escalate")
def escalate() -> int:
    by = "system:affairs.escalate"
    return (
        services.applications_escalate(by=by)
        + grids.grid_events_escalate(by=by)
        + appointments.appointments_mark_no_show(by="system:affairs.no_show")
    )
