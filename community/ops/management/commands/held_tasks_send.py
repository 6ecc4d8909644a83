"""Send the tasks held while the broker was down now, instead of waiting for beat's next run."""

from django.core.management.base import BaseCommand

from community.ops.services import held_tasks_send


class Command(BaseCommand):
    help = "Send tasks held while the Celery broker was unreachable (HeldTask rows)."

    def handle(self, *args, **options):
        counts = held_tasks_send(by="command:held_tasks_send")
        self.stdout.write("sent {sent}, expired {expired}, failed {failed}, left {left}".format(**counts))
        if counts["failed"]:
            raise SystemExit(1)
