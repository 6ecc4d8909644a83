"""Ingest ANPR reads spooled to disk while the database was away (also a Celery task)."""

from django.core.management.base import BaseCommand

from parking.spool import spool_ingest


class Command(BaseCommand):
    help = "Store plate reads spooled to disk while the database was unreachable."

    def handle(self, *args, **options):
        self.stdout.write(f"ingested {spool_ingest()} spooled read(s)")
