"""Periodic voting job (Celery beat); `manage.py voting_advance` runs the same work by hand."""

from celery import shared_task

from . import services


@shared_task(name="voting.advance")
def advance() -> tuple[int, int]:
    return services.meetings_advance()
