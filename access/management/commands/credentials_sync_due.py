from django.core.management.base import BaseCommand

from access.services import credentials_sync_due


class Command(BaseCommand):
    help = (
        "Tell devices with a user list about credentials whose validity began or ended since their last sync."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"{credentials_sync_due()} credential(s) synced to devices")
