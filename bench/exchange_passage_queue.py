"""What queueing gate passages for the exchange costs the access ingest path (issue #17).

The access ingest statement writes each new event id into ``exchange_passagequeued`` as a CTE of
the same autocommitted INSERT (``access.services.event_sinks``). This runs
``access_events_ingest`` in-process on PostgreSQL with the sink registered and, as the baseline,
with it unregistered, in alternating rounds inside one process so the shared machine's load
falls on both alike:

- single events, one autocommitted INSERT each (the device fast path);
- batches of 500 through the staging table.

Prints events/s per mode (median of the rounds), the ratio, and ``uptime``. Not a test.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<a migrated database> \\
        .venv/bin/python bench/exchange_passage_queue.py [--rounds 6] [--singles 1000] [--batches 10]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "community.settings")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--singles", type=int, default=1000)
    parser.add_argument("--batches", type=int, default=10)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("needs DATABASE_URL pointing at a migrated PostgreSQL database")

    import django

    django.setup()
    from django.utils import timezone

    from access.inbound import EventIn
    from access.models import Device, Gate
    from access.services import access_events_ingest, event_sinks
    from community.residents.models import Estate
    from exchange.models import PassageQueued

    registered = list(event_sinks.EVENT_ID_SINKS)
    assert registered, "the exchange app registers its sink at start-up"
    estate, _ = Estate.objects.get_or_create(code="bench-queue", defaults={"name": "队列基准小区"})
    gate, _ = Gate.objects.get_or_create(estate=estate, name="基准门")
    device, _ = Device.objects.get_or_create(
        estate=estate, name="bench-queue", defaults={"gate": gate, "approved": True, "enabled": True}
    )
    run = f"q{int(time.time())}"
    counter = iter(range(10**9))

    def event() -> EventIn:
        return EventIn(
            key=f"{run}-{next(counter)}",
            occurred_at=timezone.now().replace(microsecond=0) - dt.timedelta(seconds=5),
            result="granted",
            direction="in",
            method="card",
        )

    def singles() -> float:
        start = time.perf_counter()
        for _ in range(args.singles):
            access_events_ingest(device=device, events=[event()])
        return args.singles / (time.perf_counter() - start)

    def batches() -> float:
        start = time.perf_counter()
        for _ in range(args.batches):
            access_events_ingest(device=device, events=[event() for _ in range(500)])
        return args.batches * 500 / (time.perf_counter() - start)

    results = {True: {"singles": [], "batches": []}, False: {"singles": [], "batches": []}}
    uptime_before = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    try:
        for round_ in range(args.rounds):
            for queued in (round_ % 2 == 0, round_ % 2 == 1):  # alternate which goes first
                event_sinks.EVENT_ID_SINKS[:] = registered if queued else []
                results[queued]["singles"].append(singles())
                results[queued]["batches"].append(batches())
    finally:
        event_sinks.EVENT_ID_SINKS[:] = registered
        PassageQueued.objects.all().delete()
    uptime_after = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()

    print(f"exchange passage queue on access ingest, {args.rounds} alternating rounds, in-process")
    for kind, unit in (("singles", "single events (autocommitted INSERT each)"), ("batches", "batches of 500")):
        on = statistics.median(results[True][kind])
        off = statistics.median(results[False][kind])
        print(f"  {unit}:")
        print(f"    with the queue CTE : {on:10,.0f} events/s  rounds {[round(x) for x in results[True][kind]]}")
        print(f"    baseline, no sink  : {off:10,.0f} events/s  rounds {[round(x) for x in results[False][kind]]}")
        print(f"    ratio {on / off:.0%}")
    print(f"  load before: {uptime_before}")
    print(f"  load after : {uptime_after}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
