"""Re-process kept raw device messages through their protocol adapter (after a parser fix or
after an unknown device was registered and approved)."""

from django.core.management.base import BaseCommand

from access.models import RawDeviceMessage, RawStatus
from access.replay import raw_message_replay

# Who replays from the command line: an operator at the shell, not a signed-in user.
REPLAY_ACTOR = "system:device_replay"


class Command(BaseCommand):
    help = "Replay kept raw device messages (pending ones, or those given by id)."

    def add_arguments(self, parser):
        parser.add_argument("ids", nargs="*", type=int, help="message ids (default: every pending one)")
        parser.add_argument(
            "--include-rejected",
            action="store_true",
            help="also replay messages from devices that were unknown when they arrived",
        )
        parser.add_argument("--limit", type=int, default=10000)

    def handle(self, *args, ids, include_rejected, limit, **options):
        messages = RawDeviceMessage.objects.order_by("received_at", "pk")
        if ids:
            messages = messages.filter(pk__in=ids)
        else:
            statuses = [RawStatus.PENDING] + ([RawStatus.REJECTED] if include_rejected else [])
            messages = messages.filter(status__in=statuses)
        done = failed = 0
        for message in messages[:limit].iterator():
            message = raw_message_replay(message=message, by=REPLAY_ACTOR)
            if message.status == RawStatus.PROCESSED:
                done += 1
            else:
                failed += 1
                self.stderr.write(f"#{message.pk}: {message.error.splitlines()[0] if message.error else '?'}")
        self.stdout.write(f"replayed {done + failed} message(s): {done} processed, {failed} still failing")
