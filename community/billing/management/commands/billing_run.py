"""Issue the bills due on a day, for every estate (or one): the bill run's job, by hand."""

import datetime as dt

from django.core.management.base import BaseCommand
from django.utils import timezone

from community.billing import services
from community.residents.models import Estate


class Command(BaseCommand):
    help = "Issue the bills due on a day (default today); running it again creates nothing."

    def add_arguments(self, parser):
        parser.add_argument("--on", type=dt.date.fromisoformat, default=None, help="YYYY-MM-DD")
        parser.add_argument("--estate", default=None, help="estate code (default: all)")

    def handle(self, *args, on=None, estate=None, **options):
        on = on or timezone.localdate()
        estates = Estate.objects.all() if estate is None else Estate.objects.filter(code=estate)
        for each in estates.order_by("pk"):
            result = services.bill_run(estate=each, on=on, by="system:billing-run")
            self.stdout.write(
                f"{each.code} {on}: {result.created} created, {result.skipped} already billed, "
                f"{result.prepaid_applied} paid from prepaid balances, "
                f"{result.missing} waiting for data (tariff, built-up area, shared-meter reading)"
            )
