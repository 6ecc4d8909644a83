from django.core.management.base import BaseCommand

from community.calendar.services import calendar_gaps_remind
from community.calendar.tasks import SYSTEM_GAPS_REMIND


class Command(BaseCommand):
    help = "Tell the managers when this year's or (from November) next year's holiday calendar is missing."

    def handle(self, *args, **options):
        count = calendar_gaps_remind(by=SYSTEM_GAPS_REMIND)
        self.stdout.write(f"sent {count} reminder(s)")
