from django.core.management.base import BaseCommand
from django.utils import timezone

from eldercare import services


class Command(BaseCommand):
    help = "Run the periodic eldercare jobs once: alarm escalation, wellbeing watch, plans, vouchers."

    def add_arguments(self, parser):
        parser.add_argument(
            "job", choices=["alarms", "wellbeing", "plans", "vouchers", "all"], default="all", nargs="?"
        )

    def handle(self, *args, job="all", **options):
        if job in ("alarms", "all"):
            self.stdout.write(f"escalated {len(services.alarms_escalate())} alarm(s)")
        if job in ("wellbeing", "all"):
            self.stdout.write(f"raised {len(services.wellbeing_watch())} welfare check(s)")
        if job in ("plans", "all"):
            self.stdout.write(f"generated {services.plans_generate()} order(s)")
        if job in ("vouchers", "all"):
            self.stdout.write(f"issued {services.vouchers_issue(month=timezone.localdate())} voucher(s)")
