"""``manage.py seed_demo``: the demo estate 十堰 阳光花园 and every app's demo data.

Runs the registered seeders (community.demo) in order, each in its own transaction and under
a progress bar, then prints the demo logins. Idempotent: a second run changes nothing.
"""

from __future__ import annotations

import sys
import time

from django.core.management.base import BaseCommand
from django.db import transaction
from tqdm import tqdm

from community.demo import DEMO_LOGINS, DEMO_PASSWORD, registered_seeders
from community.residents.demo import demo_context_build


class Command(BaseCommand):
    help = "Create (or complete) the demo estate 十堰 阳光花园 with demo data from every app. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--no-progress", action="store_true", help="Do not draw progress bars.")

    def handle(self, *args, no_progress: bool = False, **options):
        disable = no_progress or options["verbosity"] == 0

        def progress(iterable, description, total=None):
            return tqdm(
                iterable,
                desc=f"  {description}",
                total=total,
                leave=False,
                disable=disable,
                file=sys.stderr,
                dynamic_ncols=True,
            )

        started = time.perf_counter()
        with transaction.atomic():
            ctx = demo_context_build(stdout=self.stdout, progress=progress)
        seeders = registered_seeders()
        bar = tqdm(
            seeders, desc="seed_demo", unit="seeder", disable=disable, file=sys.stderr, dynamic_ncols=True
        )
        for seeder in bar:
            bar.set_postfix_str(seeder.name)
            with transaction.atomic():
                seeder.func(ctx)
        bar.close()

        if options["verbosity"] == 0:
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo estate {ctx.estate.name} ({ctx.estate.code}) ready: {len(seeders)} seeders "
                f"in {time.perf_counter() - started:.1f}s."
            )
        )
        self.stdout.write(f"Demo logins (password {DEMO_PASSWORD}):")
        for login, role in DEMO_LOGINS:
            self.stdout.write(f"  {login:<14} {role}")
