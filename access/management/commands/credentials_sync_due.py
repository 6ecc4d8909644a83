from django.core.management.base import BaseCommand

from access.services import credentials_sync_due
from access.tasks import SYNC_ACTOR


class Command(BaseCommand):
    help = (
        "Tell devices with a user list about credentials whose validity began or ended since their last sync."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"{credentials_sync_due(by=SYNC_ACTOR)} credential(s) synced to devices")
