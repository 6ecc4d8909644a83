"""Periodic ticket jobs (Celery beat); the same work runs by hand as management commands."""

from celery import shared_task

from . import services


@shared_task(name="tickets.escalate")
def escalate() -> int:
    return services.tickets_escalate(by=services.SYSTEM_ESCALATE)


@shared_task(name="tickets.auto_close")
def auto_close() -> int:
    return services.tickets_auto_close(by=services.SYSTEM_AUTO_CLOSE)
