"""Periodic residents jobs (Celery beat); the same work runs by hand as management commands."""

from celery import shared_task

from . import services

SYSTEM_END_DUE = "system:occupancies_end_due"


@shared_task(name="residents.end_due")
def end_due() -> int:
    return services.occupancies_end_due(by=SYSTEM_END_DUE)
