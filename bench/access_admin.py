"""Admin changelist of the access log at scale, on PostgreSQL.

Loads ROWS access events (once, generated inside PostgreSQL; reruns reuse them), then times the access-log
changelist's first page and a page filtered by gate and result, against a plain ModelAdmin on
the same table in the same run (COUNT(*) paginator, full result count, stock filters).

Usage: .venv/bin/python bench/access_admin.py [--rows 5000000] [--repeat 3]
Environment: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/access_bench_admin).
Target: < 300 ms each and >= 10x faster than the plain admin.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/access_bench_admin")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "community.settings")
os.environ.setdefault("SECURE_HTTPS", "false")
GATES, DEVICES_PER_GATE, DAYS = 8, 2, 150


def ensure_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def load(rows: int) -> tuple:
    from django.core.management import call_command
    from django.db import connection

    from access.models import AccessEvent, Device, Gate
    from access.partitions import estimated_count
    from community.residents.models import Estate

    call_command("migrate", verbosity=0)
    estate, _ = Estate.objects.get_or_create(code="bench-admin", defaults={"name": "管理后台基准小区"})
    gates = [Gate.objects.get_or_create(estate=estate, name=f"{i + 1}号门")[0] for i in range(GATES)]
    devices = [
        Device.objects.get_or_create(estate=estate, name=f"门禁{g.name}-{j}", defaults={"gate": g})[0]
        for g in gates
        for j in range(DEVICES_PER_GATE)
    ]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE access_accessevent")
    have = estimated_count() or 0
    if have >= rows * 0.95:
        print(f"  reusing {have:,} rows already loaded")
        return estate, gates
    missing = rows - AccessEvent.objects.count()
    # Generated inside PostgreSQL (INSERT … SELECT generate_series): on a shared 2-core machine
    # a Python COPY client formats rows slower than the server stores them.
    print(f"  loading {missing:,} rows …", flush=True)
    device_ids = [d.pk for d in devices]
    gate_of = [d.gate_id for d in devices]
    started = time.perf_counter()
    chunk = 500_000
    done = 0
    run = int(time.time())
    while done < missing:
        n = min(chunk, missing - done)
        with connection.cursor() as cursor:
            cursor.execute(
                """INSERT INTO access_accessevent (estate_id, device_id, gate_id, occurred_at, received_at, direction,
                       method, result, reason, credential_value, plate, vendor_code, idempotency_key, replayed,
                       clock_skewed, snapshot)
                   SELECT %(estate)s, (%(devices)s::bigint[])[1 + i %% %(n_devices)s],
                          (%(gates)s::bigint[])[1 + i %% %(n_devices)s], t, t,
                          CASE WHEN i %% 2 = 0 THEN 'in' ELSE 'out' END,
                          CASE WHEN i %% 3 = 0 THEN 'face' ELSE 'card' END,
                          CASE WHEN hashint4(i) %% 100 < 7 THEN 'denied' ELSE 'granted' END,
                          CASE WHEN hashint4(i) %% 100 < 7 THEN 'credential_unknown' ELSE '' END,
                          lpad((abs(hashint4(i + 17)) %% 1000000000)::text, 10, '0'), '', '',
                          %(prefix)s || i, false, false, ''
                   FROM (SELECT i, now() - (abs(hashint4(i * 7)) %% %(span)s) * interval '1 second' AS t
                         FROM generate_series(%(start)s, %(stop)s) AS i) s""",
                {
                    "estate": estate.pk,
                    "devices": device_ids,
                    "gates": gate_of,
                    "n_devices": len(device_ids),
                    "prefix": f"bench-{run}-",
                    "span": DAYS * 86400,
                    "start": done,
                    "stop": done + n - 1,
                },
            )
        done += n
        print(f"    {done:,} rows, {done / (time.perf_counter() - started):,.0f} rows/s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE access_accessevent")
    return estate, gates


def time_view(view, request, repeat: int) -> float:
    view(request).render()  # warm-up: templates, translations, URL resolver
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = view(request)
        response.render()
        assert response.status_code == 200, response.status_code
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not os.environ["DATABASE_URL"].startswith("postgres"):
        raise SystemExit("This benchmark runs on PostgreSQL (set DATABASE_URL).")
    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.contrib import admin
    from django.contrib.auth import get_user_model
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.test import RequestFactory

    from access.models import AccessEvent

    print(f"access_admin: {os.environ['DATABASE_URL'].rsplit('/', 1)[-1]}, {os.cpu_count()} CPUs")
    _estate, gates = load(args.rows)
    user = get_user_model().objects.filter(
        username="bench-admin"
    ).first() or get_user_model().objects.create_superuser("bench-admin", None, "bench-admin-password")

    plain_site = admin.AdminSite(name="plain")

    class PlainAccessEventAdmin(admin.ModelAdmin):
        list_display = [
            "occurred_at",
            "gate",
            "direction",
            "method",
            "result",
            "reason",
            "resident",
            "replayed",
        ]
        list_filter = ["gate", "result", "method", "direction"]

    plain_site.register(AccessEvent, PlainAccessEventAdmin)
    ours = admin.site._registry[AccessEvent]
    plain = plain_site._registry[AccessEvent]
    factory = RequestFactory()

    def request(params: dict):
        r = factory.get("/admin/access/accessevent/", params)
        r.user = user
        r.session = {}
        r._messages = FallbackStorage(r)
        return r

    gate = gates[3]
    cases = [
        ("first page", {}, {}),
        (
            "gate + result filter",
            {"gate": gate.pk, "result": "denied"},
            {"gate__id__exact": gate.pk, "result__exact": "denied"},
        ),
    ]
    print(f"{'':24}{'platform admin':>16}{'plain ModelAdmin':>18}{'speed-up':>10}")
    for label, ours_params, plain_params in cases:
        fast = time_view(ours.changelist_view, request(ours_params), args.repeat)
        slow = time_view(plain.changelist_view, request(plain_params), args.repeat)
        print(f"{label:24}{fast:13.0f} ms{slow:15.0f} ms{slow / fast:9.1f}x")
    print("target: < 300 ms each and >= 10x faster than the plain admin")
    return 0


if __name__ == "__main__":
    sys.exit(main())
