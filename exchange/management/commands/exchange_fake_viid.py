import time

from django.core.management.base import BaseCommand

from exchange.fakes import FakeViid


class Command(BaseCommand):
    help = (
        "Run a fake GA/T 1400 view library on 127.0.0.1 (for the demo destination): Digest "
        "registration, User-Identify checks, and a count of what it applied. Ctrl-C stops it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=18400)
        parser.add_argument("--username", default="community")
        parser.add_argument("--password", default="demo-viid")

    def handle(self, *args, port, username, password, **options):
        fake = FakeViid(username=username, password=password).start(port=port)
        self.stdout.write(f"fake GA/T 1400 at {fake.url} (user {username}); Ctrl-C stops it")
        try:
            while True:
                time.sleep(5)
                self.stdout.write(
                    f"registrations {fake.registrations}, received {fake.received}, applied {len(fake.applied)}"
                )
        except KeyboardInterrupt:
            pass
        finally:
            fake.stop()
