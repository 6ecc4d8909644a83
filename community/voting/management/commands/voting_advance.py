"""Open meetings whose voting time has come and close those whose time is up (Celery beat runs
the same service every few minutes; in the embedded mode, run this by hand)."""

from django.core.management.base import BaseCommand

from community.voting import services


class Command(BaseCommand):
    help = "Open and close owners' assembly voting by the scheduled times."

    def handle(self, *args, **options):
        opened, closed = services.meetings_advance(by=services.CLOCK_ACTOR)
        self.stdout.write(f"voting: {opened} opened, {closed} closed")
