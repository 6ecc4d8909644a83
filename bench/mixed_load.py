"""Mixed load against `make prod`, with NODES=1 and NODES=2 in the same run.

Virtual users of several kinds run at once for DURATION seconds each round: residents browsing
the portal and filing tickets, gates posting access events, technicians polling their work.
Prints per kind: requests/s, p50/p99 latency, errors; and the most PostgreSQL connections the
topology held at once. Client and servers share the machine: on 2 cores the second node shows
the topology's overhead, not a speed-up.

A new kind of traffic is one function: ``@kind("name", users=N)`` over an async function
``(client, ctx) -> Response`` that makes one request (ctx has the tokens and ids from SETUP;
add what it needs there). Parking (plate cameras asking for decisions) and eldercare (workers
accepting orders) register theirs when those apps land.

Usage: .venv/bin/python bench/mixed_load.py [--duration 300] [--nodes 1,2] [--scale 1.0]
Environment: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/bench_prod, kept
between runs; seeded with the demo estate), BENCH_REDIS_URL (default Redis db 13).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import httpx
import psycopg
from _common import ProdServer  # bench/ is on sys.path: this script lives there

CHINA = timezone(timedelta(hours=8))
Traffic = Callable[[httpx.AsyncClient, dict], Awaitable[httpx.Response]]


@dataclass
class Kind:
    name: str
    users: int
    run: Traffic
    latencies: list[float] = field(default_factory=list)
    errors: int = 0


KINDS: dict[str, Kind] = {}


def kind(name: str, *, users: int) -> Callable[[Traffic], Traffic]:
    """Register a kind of traffic: ``users`` virtual users each run it in a loop."""

    def register(fn: Traffic) -> Traffic:
        KINDS[name] = Kind(name, users, fn)
        return fn

    return register


_sequence = itertools.count()


@kind("resident portal", users=6)
async def resident_browses(client: httpx.AsyncClient, ctx: dict) -> httpx.Response:
    page = ("/portal/", "/portal/tickets/", "/portal/inbox/")[next(_sequence) % 3]
    return await client.get(page, cookies={"sessionid": ctx["resident_session"]})


@kind("ticket filing", users=1)
async def resident_files_ticket(client: httpx.AsyncClient, ctx: dict) -> httpx.Response:
    return await client.post(
        "/api/v1/tickets/",
        json={"category": ctx["category"], "unit": ctx["unit"], "description": "压测：厨房水龙头漏水"},
        headers={"Authorization": f"Token {ctx['resident_token']}"},
    )


@kind("gate events", users=4)
async def gate_posts_events(client: httpx.AsyncClient, ctx: dict) -> httpx.Response:
    now = datetime.now(CHINA).isoformat(timespec="seconds")
    events = [
        {
            "event_id": f"bench-{uuid.uuid4().hex}",
            "occurred_at": now,
            "direction": "in",
            "method": "card",
            "result": "granted",
            "credential": {"type": "card", "value": "0012345678"},
        }
        for _ in range(1 + next(_sequence) % 3)
    ]
    return await client.post(
        "/api/v1/devices/events",
        json={"events": events},
        headers={"Authorization": f"Bearer {ctx['gate_token']}"},
    )


@kind("technician polling", users=2)
async def technician_polls(client: httpx.AsyncClient, ctx: dict) -> httpx.Response:
    if next(_sequence) % 2:
        return await client.get("/worker/", cookies={"sessionid": ctx["technician_session"]})
    return await client.get("/api/v1/tickets/", headers={"Authorization": f"Token {ctx['technician_token']}"})


# Runs in `manage.py shell` against the server's database; prints the context as JSON.
SETUP = """
import json
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.authtoken.models import Token
from access.demo import NATIVE_TOKEN
from community.residents.models import Occupancy
from community.tickets.models import Category
User = get_user_model()
def session(user):
    c = Client(); c.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return c.cookies["sessionid"].value
owner = User.objects.get(phone="+8613800000001")
tech = User.objects.get(phone="+8613900000002")
unit = Occupancy.objects.filter(resident__user=owner).values_list("unit_id", flat=True).first()
estate = Occupancy.objects.filter(resident__user=owner).values_list("unit__building__estate_id", flat=True).first()
print(json.dumps({
    "resident_session": session(owner), "technician_session": session(tech),
    "resident_token": Token.objects.get_or_create(user=owner)[0].key,
    "technician_token": Token.objects.get_or_create(user=tech)[0].key,
    "unit": unit, "category": Category.objects.filter(estate_id=estate, is_active=True).first().pk,
    "gate_token": NATIVE_TOKEN,
}))
"""


async def _user(k: Kind, client: httpx.AsyncClient, ctx: dict, stop_at: float) -> None:
    while time.monotonic() < stop_at:
        started = time.perf_counter()
        try:
            response = await k.run(client, ctx)
            ok = response.status_code < 400
        except httpx.HTTPError:
            ok = False
        k.latencies.append(time.perf_counter() - started)
        k.errors += not ok


async def _sample_connections(database_url: str, stop_at: float) -> int:
    peak = 0
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        while time.monotonic() < stop_at:
            row = await (
                await conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).fetchone()
            peak = max(peak, row[0])
            await asyncio.sleep(0.5)
    return peak


async def _round(url: str, database_url: str, ctx: dict, duration: float, scale: float) -> dict:
    for k in KINDS.values():
        k.latencies, k.errors = [], 0
    stop_at = time.monotonic() + duration
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits, follow_redirects=False) as client:
        tasks = [
            asyncio.create_task(_user(k, client, ctx, stop_at))
            for k in KINDS.values()
            for _ in range(max(1, round(k.users * scale)))
        ]
        peak = await _sample_connections(database_url, stop_at)
        await asyncio.gather(*tasks)
    return {"peak_db_connections": peak, "kinds": {k.name: _figures(k, duration) for k in KINDS.values()}}


def _figures(k: Kind, duration: float) -> dict:
    ordered = sorted(k.latencies)

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000, 1) if ordered else 0.0

    return {
        "requests": len(ordered),
        "rps": round(len(ordered) / duration, 1),
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 1) if ordered else 0.0,
        "errors": k.errors,
    }


def _print(nodes: int, result: dict, duration: float) -> None:
    print(f"\nNODES={nodes}: {duration:.0f} s, peak PostgreSQL connections {result['peak_db_connections']}")
    print(f"  {'kind':<20} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'requests':>9}")
    total = 0.0
    for name, f in result["kinds"].items():
        total += f["rps"]
        print(
            f"  {name:<20} {f['rps']:>8.1f} {f['p50_ms']:>8.1f} {f['p99_ms']:>8.1f} {f['errors']:>7} {f['requests']:>9}"
        )
    print(f"  {'all':<20} {total:>8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=300, help="seconds per round (default 300)")
    parser.add_argument("--nodes", default="1,2", help="rounds, by number of web nodes (default 1,2)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every kind's virtual users")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    results = {}
    with os.popen("nproc") as n, open("/proc/loadavg") as load:
        machine = {"cores": int(n.read()), "load_before": load.read().split()[:3]}
    for nodes in [int(n) for n in args.nodes.split(",")]:
        env = {
            "NODES": str(nodes),
            "STAFF_MFA_REQUIRED": "false",
            "LOG_LEVEL": "WARNING",
            "CELERY_LOG_LEVEL": "WARNING",
        }
        with ProdServer(env=env, seed_demo=True, timeout=600) as server:
            ctx = json.loads(server.manage("shell", "-v", "0", "-c", SETUP).strip().splitlines()[-1])
            database_url = server.env["DATABASE_URL"].replace("postgres://", "postgresql://", 1)
            results[nodes] = asyncio.run(_round(server.url, database_url, ctx, args.duration, args.scale))
        _print(nodes, results[nodes], args.duration)
    with open("/proc/loadavg") as load:
        machine["load_after"] = load.read().split()[:3]
    print(f"\nmachine: {machine}")
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"machine": machine, "duration": args.duration, "results": results}, out, indent=2)


if __name__ == "__main__":
    main()
