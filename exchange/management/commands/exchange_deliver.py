from django.core.management.base import BaseCommand

from exchange import passages, registries, services


class Command(BaseCommand):
    help = "Deliver what is due to every enabled external system (the periodic job, by hand)."

    def handle(self, *args, **options):
        relayed = passages.gate_passages_relay_all(by="system:manage.exchange_deliver")
        self.stdout.write(f"gate passages relayed to the outbox: {relayed}")
        versions = registries.registries_sync_all(by="system:manage.exchange_deliver")
        self.stdout.write(f"door device and vehicle versions recorded: {versions}")
        report = services.exchange_deliver(by="system:manage.exchange_deliver")
        self.stdout.write(
            f"delivered {report.delivered}, to retry {report.retried}, rejected {report.rejected}, "
            f"withheld {report.withheld}"
        )
