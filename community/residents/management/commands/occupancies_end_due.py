from django.core.management.base import BaseCommand

from community.residents.services import occupancies_end_due
from community.residents.tasks import SYSTEM_END_DUE


class Command(BaseCommand):
    help = "Carry out move-outs whose end date has come (revoke credentials and visitor passes)."

    def handle(self, *args, **options):
        count = occupancies_end_due(by=SYSTEM_END_DUE)
        self.stdout.write(f"processed {count} move-out(s)")
