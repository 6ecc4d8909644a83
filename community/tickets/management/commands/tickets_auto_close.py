from django.core.management.base import BaseCommand

from community.tickets.services import SYSTEM_AUTO_CLOSE, tickets_auto_close


class Command(BaseCommand):
    help = "Close resolved tickets that were neither confirmed nor reopened within the estate's limit."

    def handle(self, *args, **options):
        count = tickets_auto_close(by=SYSTEM_AUTO_CLOSE)
        self.stdout.write(f"closed {count} ticket(s)")
