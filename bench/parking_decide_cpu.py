"""CPU cost of one barrier decision beside the baseline's, in-process: robust to a loaded machine.

``parking_decide.py`` measures throughput and latency over HTTP, which on a shared 2-core
machine mostly measures the other processes. This one calls the WSGI application directly
(the full middleware stack, no HTTP) with the same plate reads and the same baseline view,
alternating 50 of each, and prints per request the CPU time of this process (Python) and of
its PostgreSQL backend (read from /proc), with the ratio baseline / decision. The same data
as the HTTP benchmark (50,000 vehicles, 5,000 open sessions), reset at the start.

Usage: .venv/bin/python bench/parking_decide_cpu.py [--reads 1000]
Environment: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/bench_parking,
migrated here when new), BENCH_REDIS_URL (default redis://127.0.0.1:6379/5). Linux only.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.update(
    {
        "DATABASE_URL": os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_parking"
        ),
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5"),
        # As make prod runs it (scripts/prod.py), with the baseline view mounted.
        "DEBUG": "false",
        "SECURE_HTTPS": "false",
        "WHITENOISE_USE_FINDERS": "false",
        "TRUSTED_PROXY_COUNT": "1",
        "NUM_PROXIES": "1",
        "LOG_FORMAT": "json",
        "PARKING_BENCH_VIEWS": "1",
        "DJANGO_SETTINGS_MODULE": "community.settings",
    }
)

CHUNK = 50


def _environ(path: str, body: bytes) -> dict:
    route, _, query = path.partition("?")
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": route,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_X_FORWARDED_FOR": "127.0.0.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=1000)
    args = parser.parse_args()
    from scripts.prod import ensure_database

    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    import parking_decide as bench

    from community.residents.models import Estate
    from community.wsgi import application

    exec(bench.SETUP, {})
    estate = Estate.objects.get(code="bench-parking").pk

    def call(path: str, body: bytes) -> None:
        status: list[str] = []
        b"".join(application(_environ(path, body), lambda s, h, e=None: status.append(s)))
        if not status[0].startswith("200"):
            raise SystemExit(f"{path}: {status[0]}")

    def backend_cpu() -> float:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    run = int(time.time()) % 1000
    decisions = bench.plan(args.reads, run=run)
    baseline = [
        (f"/bench/parking/lookup?estate={estate}", body) for _path, body in bench.plan(args.reads, run=8)
    ]
    for path, body in bench.plan(CHUNK, run=(run + 500) % 1000) + baseline[:CHUNK]:
        call(path, body)  # warm: caches, prepared statements, the occupancy count
    totals = {"decisions": [0.0, 0.0, 0.0], "baseline": [0.0, 0.0, 0.0]}
    for start in range(0, args.reads, CHUNK):
        for label, requests in (("decisions", decisions), ("baseline", baseline)):
            pid_before = connection.connection.info.backend_pid if connection.connection else None
            pg0, py0, wall0 = backend_cpu(), time.process_time(), time.perf_counter()
            for path, body in requests[start : start + CHUNK]:
                call(path, body)
            if connection.connection is None or connection.connection.info.backend_pid != pid_before:
                continue  # the connection was replaced: its backend's CPU is not comparable
            sums = totals[label]
            sums[0] += time.process_time() - py0
            sums[1] += backend_cpu() - pg0
            sums[2] += time.perf_counter() - wall0
    print(f"parking_decide_cpu: {args.reads} Vzenith reads and {args.reads} baseline requests, in-process")
    for label, (py, pg, wall) in totals.items():
        n = args.reads / 1000
        print(
            f"  {label:<9} python {py / n:6.2f} ms  postgres {pg / n:6.2f} ms  "
            f"cpu {(py + pg) / n:6.2f} ms  wall {wall / n:6.2f} ms  per request"
        )
    (dpy, dpg, _), (bpy, bpg, _) = totals["decisions"], totals["baseline"]
    print(
        f"  ratio     {(bpy + bpg) / (dpy + dpg):.2f} baseline / decision CPU (python only {bpy / dpy:.2f})"
    )
    print(f"  load      {os.getloadavg()[0]:.2f} / {os.getloadavg()[1]:.2f} / {os.getloadavg()[2]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
