"""Exchange jobs (Celery); each is also a management command for the embedded mode."""

from celery import shared_task

from . import passages, receivers, registries, services


@shared_task(name=services.DELIVER_TASK)
def deliver() -> int:
    # Queued gate passages become outbox records first, so this run already sends them.
    passages.gate_passages_relay_all(by="system:exchange.deliver")
    return services.exchange_deliver(by="system:exchange.deliver").delivered


@shared_task(name="exchange.statistics_daily")
def statistics_daily() -> int:
    # Door devices and vehicles (registries) are synchronised on the same six-hourly beat.
    registries.registries_sync_all(by="system:exchange.statistics_daily")
    return receivers.statistics_append_yesterday(by="system:exchange.statistics_daily")
