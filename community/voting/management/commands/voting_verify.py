"""Recompute a meeting's ballot chain and tally; exit non-zero on any mismatch (tampering)."""

from django.core.management.base import BaseCommand, CommandError

from community.voting.audit import meeting_verify
from community.voting.models import Meeting


class Command(BaseCommand):
    help = "Verify a meeting's ballot hash chain and tally (exit status 1 on any mismatch)."

    def add_arguments(self, parser):
        parser.add_argument("meeting", type=int, help="meeting id")

    def handle(self, *args, meeting: int, **options):
        found = Meeting.objects.filter(pk=meeting).first()
        if found is None:
            raise CommandError(f"No meeting with id {meeting}.")
        report = meeting_verify(found)
        for problem in report.problems:
            self.stderr.write(problem)
        if not report.ok:
            raise CommandError(
                f"Meeting {meeting}: {len(report.problems)} problem(s) in {report.ballots} ballots."
            )
        self.stdout.write(
            self.style.SUCCESS(f"Meeting {meeting}: {report.ballots} ballots, chain intact, tally matches.")
        )
