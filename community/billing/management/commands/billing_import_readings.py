"""Import meter readings from an Excel sheet (表号 / 读数 / 抄表日期): all rows or none."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from community.billing import services
from community.residents.models import Estate


class Command(BaseCommand):
    help = "Import meter readings from an .xlsx file; prints every bad row and stores nothing if any."

    def add_arguments(self, parser):
        parser.add_argument("estate", help="estate code")
        parser.add_argument("file")

    def handle(self, *args, estate, file, **options):
        found = Estate.objects.filter(code=estate).first()
        if found is None:
            raise CommandError(f"no estate {estate!r}")
        with open(file, "rb") as handle:
            result = services.meter_readings_import(
                estate=found, file=handle, today=timezone.localdate(), by="system:import-readings"
            )
        for row, message in result.errors:
            self.stderr.write(f"row {row}: {message}")
        self.stdout.write(
            f"{result.created} stored, {result.unchanged} already there, {len(result.errors)} errors"
        )
        if result.errors:
            raise CommandError("nothing stored: fix the rows above and import again")
