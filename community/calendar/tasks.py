"""The calendar's periodic job (Celery beat); the same work runs by hand as a command."""

from celery import shared_task

from . import services

SYSTEM_GAPS_REMIND = "system:calendar_gaps_remind"


@shared_task(name="calendar.gaps_remind")
def gaps_remind() -> int:
    return services.calendar_gaps_remind(by=SYSTEM_GAPS_REMIND)
