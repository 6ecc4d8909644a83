"""What queueing gate passages for the exchange costs the access ingest path (issue #17).

The access ingest statement writes each new event id into ``exchange_passagequeued`` as a CTE of
the same autocommitted INSERT (``access.services.event_sinks``). This runs
``access_events_ingest`` in-process on PostgreSQL with the sink registered and, as the baseline,
with it unregistered, alternating call by call inside one process so the shared machine's load
falls on both alike:

- single events, one autocommitted INSERT each (the device fast path);
- batches of 500 through the staging table.

Prints the median time per call in each mode, the ratio, and ``uptime``. Not a test.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<a migrated database> \\
        .venv/bin/python bench/exchange_passage_queue.py [--rounds 4] [--singles 500] [--batches 5]
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
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--singles", type=int, default=500)
    parser.add_argument("--batches", type=int, default=5)
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

    # Alternate with and without the sink call by call, so load that drifts on the shared
    # machine falls on both alike; compare the medians of the per-call times.
    times: dict[tuple[bool, str], list[float]] = {
        (q, k): [] for q in (True, False) for k in ("single", "batch")
    }

    def timed(queued: bool, kind: str, events) -> None:
        event_sinks.EVENT_ID_SINKS[:] = registered if queued else []
        start = time.perf_counter()
        access_events_ingest(device=device, events=events)
        times[queued, kind].append(time.perf_counter() - start)

    uptime_before = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    try:
        for round_ in range(args.rounds):
            first = round_ % 2 == 0
            for _ in range(args.singles):
                for queued in (first, not first):
                    timed(queued, "single", [event()])
            for _ in range(args.batches):
                for queued in (first, not first):
                    timed(queued, "batch", [event() for _ in range(500)])
    finally:
        event_sinks.EVENT_ID_SINKS[:] = registered
        PassageQueued.objects.all().delete()
    uptime_after = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()

    print(f"exchange passage queue on access ingest: {args.rounds} rounds, calls alternating, in-process")
    for kind, label, per in (
        ("single", "single events (one autocommitted INSERT each)", 1),
        ("batch", "batches of 500", 500),
    ):
        on = statistics.median(times[True, kind])
        off = statistics.median(times[False, kind])
        print(f"  {label}, {len(times[True, kind])} calls each:")
        print(f"    with the queue CTE : {on * 1000:8.2f} ms median per call  ({per / on:9,.0f} events/s)")
        print(f"    baseline, no sink  : {off * 1000:8.2f} ms median per call  ({per / off:9,.0f} events/s)")
        print(f"    time ratio {on / off:.2f}")
    print(f"  load before: {uptime_before}")
    print(f"  load after : {uptime_after}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
