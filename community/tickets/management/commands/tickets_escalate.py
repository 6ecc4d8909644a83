from django.core.management.base import BaseCommand

from community.tickets.services import SYSTEM_ESCALATE, tickets_escalate


class Command(BaseCommand):
    help = "Mark running tickets at risk / overdue and notify the assignee, then the estate manager."

    def handle(self, *args, **options):
        count = tickets_escalate(by=SYSTEM_ESCALATE)
        self.stdout.write(f"escalated {count} ticket(s)")
