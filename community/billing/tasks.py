"""Billing's periodic jobs (Celery beat, see ``CELERY_BEAT_SCHEDULE``); ``billing_jobs`` and
``billing_run`` run the same work by hand in the embedded mode.

Each estate is billed on its own local date, in its own transaction: one estate's failure
does not stop the others.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo

from celery import shared_task
from django.utils import timezone

from . import services

logger = logging.getLogger(__name__)


def _estates():
    from community.residents.models import Estate

    return Estate.objects.order_by("pk")


def _local_today(estate) -> dt.date:
    return timezone.now().astimezone(zoneinfo.ZoneInfo(estate.time_zone)).date()


@shared_task(name="billing.bill_run")
def bill_run() -> int:
    created = 0
    for estate in _estates():
        created += services.bill_run(estate=estate, on=_local_today(estate), by="system:billing-run").created
    return created


@shared_task(name="billing.reconcile")
def reconcile() -> int:
    return services.payments_reconcile(by="system:billing-reconcile")


@shared_task(name="billing.late_fees")
def late_fees() -> int:
    return sum(
        services.late_fees_post(estate=estate, as_of=_local_today(estate), by="system:billing-late-fees")
        for estate in _estates()
    )


@shared_task(name="billing.reminders")
def reminders() -> int:
    now = timezone.now()
    return sum(
        services.reminders_send(estate=estate, now=now, by="system:billing-reminders")
        for estate in _estates()
    )


@shared_task(name="billing.statements")
def statements() -> int:
    """Yesterday's provider statements (the provider's day), compared with the ledger."""
    yesterday = timezone.now().astimezone(zoneinfo.ZoneInfo("Asia/Shanghai")).date() - dt.timedelta(days=1)
    return services.statements_fetch_all(bill_date=yesterday, by="system:billing-statements")
