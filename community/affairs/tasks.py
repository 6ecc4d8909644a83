"""Periodic affairs job (Celery beat); ``manage.py affairs_escalate`` runs it by hand."""

from celery import shared_task

from . import services


@shared_task(name="affairs.escalate")
def escalate() -> int:
    return services.applications_escalate(by="system:affairs.escalate")
