from django.core.management.base import BaseCommand

from exchange import services


class Command(BaseCommand):
    help = "Deliver what is due to every enabled external system (the periodic job, by hand)."

    def handle(self, *args, **options):
        report = services.exchange_deliver(by="system:manage.exchange_deliver")
        self.stdout.write(
            f"delivered {report.delivered}, to retry {report.retried}, rejected {report.rejected}, "
            f"withheld {report.withheld}"
        )
