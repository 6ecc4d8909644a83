"""Periodic eldercare jobs (Celery beat); the same work runs by hand as management commands."""

from celery import shared_task
from django.utils import timezone

from . import services


@shared_task(name="eldercare.alarms_escalate")
def alarms_escalate() -> int:
    return len(services.alarms_escalate())


@shared_task(name="eldercare.wellbeing_watch")
def wellbeing_watch() -> int:
    return len(services.wellbeing_watch())


@shared_task(name="eldercare.plans_generate")
def plans_generate() -> int:
    return services.plans_generate()


@shared_task(name="eldercare.vouchers_issue")
def vouchers_issue() -> int:
    return services.vouchers_issue(month=timezone.localdate())
