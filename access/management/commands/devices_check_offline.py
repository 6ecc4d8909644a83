from django.core.management.base import BaseCommand

from access.services import devices_mark_offline
from access.tasks import OFFLINE_ACTOR


class Command(BaseCommand):
    help = "Mark devices silent for 5 minutes offline and notify their estate's security staff."

    def handle(self, *args, **options):
        devices = devices_mark_offline(by=OFFLINE_ACTOR)
        for device in devices:
            self.stdout.write(f"offline: {device.name} (last seen {device.last_seen_at:%Y-%m-%d %H:%M:%S})")
        self.stdout.write(f"{len(devices)} device(s) marked offline")
