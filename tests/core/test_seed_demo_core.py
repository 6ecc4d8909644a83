"""The core demo seeder alone is quick: a first `make run` should not keep people waiting."""

import io
import time

from django.db import transaction

from community.demo import registered_seeders
from community.residents.demo import demo_context_build
from community.residents.models import Unit


def test_core_seed_on_an_empty_database_takes_seconds(db):
    """The core estate (900+ units, 2,000 residents) alone, as a first `make run` builds it.

    Every app's seeder is timed in the output of seed_demo; this bound is the core's (generous
    for a loaded CI machine: about 2 s on an idle one with SQLite).
    """
    started = time.perf_counter()
    with transaction.atomic():
        ctx = demo_context_build(stdout=io.StringIO(), progress=lambda it, *a, **k: it)
        core = next(s for s in registered_seeders() if s.name == "core")
        core.func(ctx)
    elapsed = time.perf_counter() - started
    assert Unit.objects.count() > 900
    assert elapsed < 20, f"core seed took {elapsed:.1f}s"
