"""The periodic billing jobs by hand (embedded mode): reconcile, late fees, reminders."""

from django.core.management.base import BaseCommand

from community.billing import tasks


class Command(BaseCommand):
    help = "Run billing's periodic jobs once: reconcile pending payments, post late fees, send reminders, compare statements."

    def add_arguments(self, parser):
        parser.add_argument("jobs", nargs="*", default=["reconcile", "late_fees", "reminders", "statements"])

    def handle(self, *args, jobs, **options):
        for job in jobs:
            self.stdout.write(f"{job}: {getattr(tasks, job)()}")
