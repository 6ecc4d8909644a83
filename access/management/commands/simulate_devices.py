"""Play realistic device traffic from the demo devices over HTTP, in each protocol.

Run the site (``make run``), then in a second terminal ``manage.py simulate_devices`` and watch
/staff/access/ move. Needs ``seed_demo`` first (the demo devices and cards)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from access.demo import HIK_TOKEN, NATIVE_TOKEN, ZK_SERIAL
from access.models import Credential, CredentialKind, Device, VisitorPass
from access.services import visitor_pass_token
from access.simulator import Simulation


class Command(BaseCommand):
    help = "Send demo device traffic (native, ZKTeco, Hikvision) to a running server."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="the running site")
        parser.add_argument("--duration", type=float, default=60, help="seconds to run (0 = one round)")
        parser.add_argument("--rate", type=float, default=2, help="roughly events per second per protocol")
        parser.add_argument("--interval", type=float, default=3, help="seconds between rounds")
        parser.add_argument("--quiet", action="store_true")

    def handle(self, *args, url, duration, rate, interval, quiet, **options):
        zk = Device.objects.filter(serial_number=ZK_SERIAL).first()
        if zk is None:
            raise CommandError("No demo devices: run `manage.py seed_demo` first.")
        cards = list(
            Credential.objects.active()
            .filter(estate_id=zk.estate_id, kind=CredentialKind.CARD)
            .values_list("value", flat=True)[:200]
        )
        pins = [
            str(pk)
            for pk in Credential.objects.active()
            .filter(estate_id=zk.estate_id)
            .values_list("resident_id", flat=True)[:200]
        ]
        now = timezone.now()
        passes = VisitorPass.objects.filter(
            estate_id=zk.estate_id, revoked_at__isnull=True, valid_from__lte=now, valid_until__gt=now
        )[:5]
        simulation = Simulation(
            url,
            native_token=NATIVE_TOKEN,
            hik_token=HIK_TOKEN,
            zk_serial=ZK_SERIAL,
            cards=cards,
            pins=pins,
            visitor_tokens=[visitor_pass_token(p) for p in passes],
            log=(lambda line: None) if quiet else self.stdout.write,
        )
        plates = _plate_cameras(url, duration=duration, interval=interval, quiet=quiet, out=self.stdout)
        try:
            rounds = simulation.run(duration=duration, rate=rate, interval=interval)
            if plates is not None:
                plates.join()
        except OSError as exc:
            raise CommandError(f"Cannot reach {url}: {exc}. Is the site running (make run)?") from exc
        self.stdout.write(self.style.SUCCESS(f"simulated {rounds} round(s) against {url}"))


def _plate_cameras(url, *, duration, interval, quiet, out):
    """Plate cameras too, when the parking app is installed (found by name: access does not
    import parking), in a thread beside the gate devices."""
    import threading

    from django.apps import apps
    from django.utils.module_loading import import_string

    if not apps.is_installed("parking"):
        return None
    run_demo = import_string("parking.simulator.run_demo")
    log = (lambda line: None) if quiet else out.write
    thread = threading.Thread(
        target=run_demo,
        args=(url,),
        kwargs={"duration": duration, "interval": interval, "log": log},
        daemon=True,
    )
    thread.start()
    return thread
