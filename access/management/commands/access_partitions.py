from django.conf import settings
from django.core.management.base import BaseCommand

from access.partitions import is_postgresql, partitions_drop_expired, partitions_ensure, partitions_list


class Command(BaseCommand):
    help = (
        "Create the access log's monthly partitions ahead and drop those past ACCESS_LOG_RETENTION_DAYS "
        "(on SQLite: delete rows past the retention)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--months-ahead", type=int, default=3)
        parser.add_argument("--list", action="store_true", dest="list_only", help="only list the partitions")

    def handle(self, *args, months_ahead, list_only, **options):
        if not list_only:
            created = partitions_ensure(months_ahead=months_ahead)
            expired = partitions_drop_expired()
            self.stdout.write(f"created {len(created)} partition(s): {', '.join(created) or '-'}")
            self.stdout.write(
                f"dropped {len(expired['dropped'])} partition(s): {', '.join(expired['dropped']) or '-'}; "
                f"deleted {expired['deleted_rows']} row(s) older than {expired['cutoff']:%Y-%m-%d} "
                f"(retention {settings.ACCESS_LOG_RETENTION_DAYS} days)"
            )
        if is_postgresql():
            for p in partitions_list():
                span = f"{p.start:%Y-%m-%d} .. {p.end:%Y-%m-%d}" if p.start else "DEFAULT"
                self.stdout.write(f"  {p.name:40} {span:26} ~{p.estimated_rows} rows")
