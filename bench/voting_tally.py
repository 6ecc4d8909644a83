"""Tally benchmark: an estate of 20,000 units, 15,000 ballots on each of 10 motions.

Prints the time to tally the whole meeting with SQL aggregates (community.voting.selectors.
meeting_tally) and, as the baseline, the same tally done in Python over the fetched rows.
Target (issue 5): < 500 ms for all 10 motions on PostgreSQL.

Runs against a throwaway database ``bench_voting`` on the server of ``DATABASE_URL`` (PostgreSQL),
created and dropped here. Ballots are loaded with COPY, hash-chained as the service would.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/voting_tally.py
"""

from __future__ import annotations

import datetime as dt
import os
import random
import secrets
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

UNITS = 20_000
PARKING = 800
DEVELOPER_UNITS = 300
MOTIONS = 10
BALLOTS_PER_MOTION = 15_000
RUNS = 5
BENCH_DB = os.environ.get("BENCH_DB", "bench_voting")

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _server_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench/voting_tally.py needs DATABASE_URL pointing at PostgreSQL.")
    return url


def _with_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(_with_db(url, "postgres"), autocommit=True) as conn:
        conn.execute(sql)


def _timed(func, runs=RUNS):
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = func()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), min(times), result


def main() -> None:
    server = _server_url()
    _admin(server, f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
    _admin(server, f'CREATE DATABASE "{BENCH_DB}"')
    os.environ["DATABASE_URL"] = _with_db(server, BENCH_DB)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "community.settings")
    os.environ.setdefault("SECURE_HTTPS", "false")
    try:
        import django

        django.setup()
        run()
    finally:
        from django.db import connections

        connections.close_all()
        _admin(server, f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')


def run() -> None:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from community.residents.models import Building, Estate, Occupancy, Resident, StaffMembership, Unit
    from community.voting import selectors, services
    from community.voting.audit import meeting_verify
    from community.voting.models import Ballot, Meeting, RollEntry

    rng = random.Random(278)
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"migrate: {time.perf_counter() - t0:.1f} s")

    t0 = time.perf_counter()
    staff = get_user_model().objects.create_user(username="bench", password=secrets.token_hex(8))
    estate = Estate.objects.create(name="基准小区", code="bench")
    # Meetings are run by a manager of the estate (the services check the role).
    StaffMembership.objects.create(user=staff, estate=estate, role="manager")
    buildings = Building.objects.bulk_create([Building(estate=estate, name=f"{i}栋") for i in range(1, 41)])
    garage = Building.objects.create(estate=estate, name="地下车库")
    units = []
    flats = UNITS - PARKING
    for i in range(flats):
        area = Decimal(rng.randrange(4500, 16000)) / 100
        units.append(
            Unit(
                building=buildings[i % 40],
                entrance=str(i // 40 % 4 + 1),
                floor=i // 160 + 1,
                number=f"{i}",
                exclusive_area=area,
                developer_owned=i < DEVELOPER_UNITS,
            )
        )
    for i in range(PARKING):
        units.append(
            Unit(
                building=garage,
                floor=-1,
                number=f"B{i:04d}",
                exclusive_area=Decimal("12.50"),
                usage="parking",
            )
        )
    units = Unit.objects.bulk_create(units, batch_size=5000)
    sold = [u for u in units if not u.developer_owned and u.usage != "parking"]
    residents = Resident.objects.bulk_create(
        [Resident(estate=estate, name=f"业主{i}", phone="") for i in range(len(sold))], batch_size=5000
    )
    occupancies = []
    for i, unit in enumerate(sold):
        # Every 25th owner also owns the next flat: one person, several units.
        owner = residents[i - 1] if i % 25 == 1 else residents[i]
        occupancies.append(Occupancy(resident=owner, unit=unit, role="owner", start_date=dt.date(2020, 1, 1)))
    for i, unit in enumerate(units[flats:]):
        occupancies.append(
            Occupancy(
                resident=residents[i * 7 % len(residents)],
                unit=unit,
                role="owner",
                start_date=dt.date(2020, 1, 1),
            )
        )
    Occupancy.objects.bulk_create(occupancies, batch_size=5000)
    print(
        f"estate: {len(units):,} units, {len(sold):,} sold flats, loaded in {time.perf_counter() - t0:.1f} s"
    )

    now = timezone.now()
    meeting = Meeting.objects.create(
        estate=estate,
        title="基准会议",
        voting_opens_at=now - dt.timedelta(days=1),
        voting_closes_at=now + dt.timedelta(days=6),
        created_by=staff,
    )
    for m in range(MOTIONS):
        services.motion_create(
            meeting=meeting,
            title=f"议题{m + 1}",
            text="…",
            matter=(m % 9) + 1,
            justification="基准测试：属重大事项，且不属第六至八项。",
            by=staff,
        )
    profiler = None
    if os.environ.get("BENCH_PROFILE"):
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    t0 = time.perf_counter()
    services.meeting_publish_notice(meeting=meeting, by=staff, now=now - dt.timedelta(days=20))
    roll_ms = (time.perf_counter() - t0) * 1000
    if profiler is not None:
        import pstats

        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    services.meeting_open(meeting=meeting, by=staff)
    entries = list(RollEntry.objects.filter(meeting=meeting).values_list("pk", flat=True))
    print(f"roll frozen: {len(entries):,} entries in {roll_ms:.0f} ms")

    t0 = time.perf_counter()
    motions = list(meeting.motions.order_by("position"))
    prev = services.GENESIS_HASH
    seq = 0
    columns = [
        "meeting_id",
        "motion_id",
        "roll_entry_id",
        "choice",
        "channel",
        "proxy_id",
        "cast_by_id",
        "cast_at",
        "superseded",
        "seq",
        "prev_hash",
        "hash",
        "receipt_code",
        "nonce",
        "candidates",
    ]
    choices = ["agree"] * 6 + ["oppose"] * 3 + ["abstain"]
    with connection.cursor() as cursor:
        with cursor.connection.cursor().copy(f"COPY voting_ballot ({', '.join(columns)}) FROM STDIN") as copy:
            for motion in motions:
                for entry_id in rng.sample(entries, BALLOTS_PER_MOTION):
                    seq += 1
                    ballot = Ballot(
                        meeting_id=meeting.pk,
                        motion_id=motion.pk,
                        roll_entry_id=entry_id,
                        choice=rng.choice(choices),
                        channel="portal",
                        cast_by_id=staff.pk,
                        cast_at=now + dt.timedelta(microseconds=seq),
                        seq=seq,
                        prev_hash=prev,
                        nonce=secrets.token_hex(16),
                    )
                    ballot.hash = services.ballot_hash(ballot)
                    copy.write_row(
                        [
                            meeting.pk,
                            motion.pk,
                            entry_id,
                            ballot.choice,
                            "portal",
                            None,
                            staff.pk,
                            ballot.cast_at,
                            False,
                            seq,
                            prev,
                            ballot.hash,
                            services.receipt_code_for(ballot.hash),
                            ballot.nonce,
                            "[]",  # yes/no motions: no candidates (JSON)
                        ]
                    )
                    prev = ballot.hash
        cursor.execute("ANALYZE voting_ballot; ANALYZE voting_rollentry;")
    print(f"ballots: {seq:,} loaded with COPY (hash-chained) in {time.perf_counter() - t0:.1f} s")

    sql_median, sql_min, tallies = _timed(lambda: selectors.meeting_tally(meeting))
    py_median, py_min, baseline = _timed(lambda: selectors.python_tally(meeting))
    for t in tallies:
        for choice in ("agree", "oppose", "abstain"):
            area, owners = baseline[t.motion_id].get(choice, (Decimal(0), 0))
            assert (getattr(t.figures, f"{choice}_area"), getattr(t.figures, f"{choice}_owners")) == (
                area.quantize(Decimal("0.01")),
                owners,
            ), "SQL and Python tallies differ"
    assert all(t.figures.participating_owners == BALLOTS_PER_MOTION for t in tallies)

    print()
    print(
        f"tally of {MOTIONS} motions x {BALLOTS_PER_MOTION:,} ballots over a roll of {len(entries):,} "
        f"(median of {RUNS}, PostgreSQL {connection.pg_version // 10000}):"
    )
    print(f"  SQL aggregates (meeting_tally):   {sql_median:8.1f} ms  (min {sql_min:.1f})")
    print(f"  baseline, Python over the rows:   {py_median:8.1f} ms  (min {py_min:.1f})")
    print(f"  ratio baseline / SQL:             {py_median / sql_median:8.1f} x")
    verdict = "OK" if sql_median < 500 else "OVER TARGET"
    print(f"  target < 500 ms for the meeting:  {verdict}")

    t0 = time.perf_counter()
    report = meeting_verify(meeting)
    print(
        f"  voting_verify (chain + tally):    {(time.perf_counter() - t0) * 1000:8.1f} ms, "
        f"{'intact' if report.ok else report.problems[:3]}"
    )


if __name__ == "__main__":
    main()
