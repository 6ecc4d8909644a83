"""Play demo plate-camera traffic (Vzenith entry and exit) against a running server; watch
/staff/parking/ move. Needs ``seed_demo`` first."""

from django.core.management.base import BaseCommand, CommandError

from parking.simulator import run_demo


class Command(BaseCommand):
    help = "Send demo plate-camera reads (Vzenith) to a running server."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000")
        parser.add_argument("--duration", type=float, default=60)
        parser.add_argument("--interval", type=float, default=2)
        parser.add_argument("--quiet", action="store_true")

    def handle(self, *args, url, duration, interval, quiet, **options):
        try:
            rounds = run_demo(
                url,
                duration=duration,
                interval=interval,
                log=(lambda line: None) if quiet else self.stdout.write,
            )
        except OSError as exc:
            raise CommandError(f"Cannot reach {url}: {exc}. Is the site running (make run)?") from exc
        self.stdout.write(self.style.SUCCESS(f"simulated {rounds} plate round(s) against {url}"))
