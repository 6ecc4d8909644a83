"""Mixed load against `make prod`, with NODES=1 and NODES=2 in the same run.

Virtual users of several kinds run at once for DURATION seconds each round (the issue's
5 minutes by default): residents browsing the portal and filing tickets, gates posting access
events, plate cameras asking for barrier decisions (Vzenith entry camera and the native API at
the exit), care workers taking orders (booked by the coordinator, polled, accepted, checked in
at the elder's home), technicians polling their work. Prints per kind: requests/s, p50/p99
latency, errors; the most PostgreSQL connections the topology held at once; and, from the same
run, a baseline: the same number of clients asking /healthz through the same nginx, so the
figures read as a share of what the topology itself answers on this machine at this load
(`uptime` before and after each round). Client and servers share the machine: on 2 cores the
second node shows the topology's overhead, not a speed-up.

The mix (virtual users per kind, each in a closed loop) follows the issue's order of traffic:
residents are the most numerous (6 browsing, 1 filing), devices are steady streams (4 gates,
2 entry cameras, 1 exit camera), workers are few (2 care workers, 2 technicians).

A new kind of traffic is one function: ``@kind("name", users=N)`` over an async function
``(client, ctx) -> Response`` that makes one request. ``ctx`` has the tokens and ids from
SETUP (add what it needs there) and is each virtual user's own copy, so a kind may keep a
user's state in it (``ctx["user"]`` is the user's number within its kind). A kind may list
answers that are not errors for it (``ok=(409,)``).

Usage: .venv/bin/python bench/mixed_load.py [--duration 300] [--baseline 30] [--nodes 1,2]
       [--scale 1.0] [--json FILE]
Environment: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/bench_prod, dropped
and created again for every round, then migrated and seeded with the demo estate, so both
rounds start from the same data), BENCH_REDIS_URL (default Redis db 13).
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
    ok: tuple[int, ...] = ()
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)


KINDS: dict[str, Kind] = {}


def kind(name: str, *, users: int, ok: tuple[int, ...] = ()) -> Callable[[Traffic], Traffic]:
    """Register a kind of traffic: ``users`` virtual users each run it in a loop; answers below
    400 and those in ``ok`` count as answered, everything else as an error."""

    def register(fn: Traffic) -> Traffic:
        KINDS[name] = Kind(name, users, fn, ok)
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


_plate_ids = itertools.count(int(time.time()) % 1_000_000 * 1000)


def _vzenith_read(plate: str) -> dict:
    """A Vzenith AlarmInfoPlate push, as parking/simulator.py sends (docs/devices.md)."""
    return {
        "AlarmInfoPlate": {
            "channel": 0,
            "deviceName": "IVS",
            "serialno": "bench-entry",
            "result": {
                "PlateResult": {
                    "license": plate,
                    "colorType": 1,
                    "type": 1,
                    "confidence": 94,
                    "direction": 4,
                    "timeStamp": {"Timeval": {"sec": int(time.time()), "usec": 0}},
                    "triggerType": 8,
                    "plateid": next(_plate_ids),
                    "isoffline": 0,
                }
            },
        }
    }


@kind("plate camera entry", users=2)
async def entry_camera_reads(client: httpx.AsyncClient, ctx: dict) -> httpx.Response:
    # Residents' cars (permits) and visitors alternate; a car let in may leave by the exit camera.
    n = next(_sequence)
    plate = ctx["plates"][n % len(ctx["plates"])] if n % 2 else f"湘A{10000 + n % 89999}"
    response = await client.post(f"/lpr/vzenith/{ctx['entry_camera']}", json=_vzenith_read(plate))
    if response.status_code == 200 and response.json().get("Response_AlarmInfoPlate", {}).get("info") == "ok":
        ctx["inside"].append(plate)
    return response


@kind("plate camera exit", users=1)
async def exit_camera_reads(client: httpx.AsyncClient, ctx: dict) -> httpx.Response:
    plate = ctx["inside"].pop(0) if ctx["inside"] else ctx["plates"][next(_sequence) % len(ctx["plates"])]
    return await client.post(
        "/api/v1/parking/plate-events",
        json={"plate": plate, "event_id": f"bench-{next(_plate_ids)}", "colour": "blue"},
        headers={"Authorization": f"Bearer {ctx['exit_camera']}"},
    )


@kind("care orders", users=2)
async def care_worker_takes_orders(client: httpx.AsyncClient, ctx: dict) -> httpx.Response:
    """One step per call: the coordinator books an order, the worker polls the open orders,
    accepts that order and checks in at the elder's home. Each virtual user is another worker,
    so no two race for one order (the accept race has its own benchmark, eldercare_accept.py)."""
    api = "/api/v1/eldercare/orders/"
    worker = {"Authorization": f"Token {ctx['care_workers'][ctx['user'] % len(ctx['care_workers'])]}"}
    step = ctx.get("care_step", 0)
    if step == 0:
        at = datetime.now(CHINA) + timedelta(hours=2)
        response = await client.post(
            api,
            json={
                "elder": ctx["elders"][next(_sequence) % len(ctx["elders"])],
                "item": ctx["care_item"],
                "scheduled_at": at.isoformat(timespec="seconds"),
            },
            headers={"Authorization": f"Token {ctx['care_coordinator']}"},
        )
        if response.status_code == 201:
            ctx["care_order"], ctx["care_step"] = response.json()["id"], 1
    elif step == 1:
        response = await client.get(api, params={"available": "1"}, headers=worker)
        ctx["care_step"] = 2
    elif step == 2:
        response = await client.post(f"{api}{ctx['care_order']}/accept/", headers=worker)
        ctx["care_step"] = 3 if response.status_code == 200 else 0
    else:
        response = await client.post(
            f"{api}{ctx['care_order']}/check-in/",
            json={"latitude": ctx["home"][0], "longitude": ctx["home"][1], "accuracy": 15},
            headers=worker,
        )
        ctx["care_step"] = 0
    return response


# Runs in `manage.py shell` against the server's database; prints the context as JSON.
SETUP = """
import json
from django.contrib.auth import get_user_model
from django.test import Client
from community.accounts.services import api_token_issue
from access.demo import NATIVE_TOKEN
from community.residents.models import Occupancy
from community.tickets.models import Category
from eldercare.demo import HOME
from eldercare.models import ElderProfile, ServiceItem
from parking.demo import LPR_EXIT_TOKEN, LPR_TOKEN
from parking.models import Vehicle
User = get_user_model()
def token(user):
    return api_token_issue(user=user, by=user, name="bench/mixed_load.py")[1]
def session(user):
    c = Client(); c.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return c.cookies["sessionid"].value
owner = User.objects.get(phone="+8613800000001")
tech = User.objects.get(phone="+8613900000002")
unit = Occupancy.objects.filter(resident__user=owner).values_list("unit_id", flat=True).first()
estate = Occupancy.objects.filter(resident__user=owner).values_list("unit__building__estate_id", flat=True).first()
print(json.dumps({
    "resident_session": session(owner), "technician_session": session(tech),
    "resident_token": token(owner),
    "technician_token": token(tech),
    "unit": unit, "category": Category.objects.filter(estate_id=estate, is_active=True).first().pk,
    "gate_token": NATIVE_TOKEN,
    "entry_camera": LPR_TOKEN, "exit_camera": LPR_EXIT_TOKEN,
    "plates": list(Vehicle.objects.filter(estate_id=estate).order_by("pk").values_list("plate", flat=True)[:50]),
    "care_coordinator": token(User.objects.get(phone="+8613700000002")),
    "care_workers": [token(User.objects.get(phone=p)) for p in ("+8613700000001", "+8613700000003")],
    "elders": list(ElderProfile.objects.filter(estate_id=estate).order_by("pk").values_list("pk", flat=True)),
    "care_item": ServiceItem.objects.get(name="探访关爱", station__estates=estate).pk,
    "home": [float(HOME[0]), float(HOME[1])],
}))
"""


async def _user(k: Kind, client: httpx.AsyncClient, ctx: dict, stop_at: float) -> None:
    while time.monotonic() < stop_at:
        started = time.perf_counter()
        try:
            response = await k.run(client, ctx)
            status = response.status_code
        except httpx.HTTPError:
            status = 0
        k.latencies.append(time.perf_counter() - started)
        k.statuses[status] = k.statuses.get(status, 0) + 1
        k.errors += not (0 < status < 400 or status in k.ok)


@kind("baseline /healthz", users=0)
async def _healthz(client: httpx.AsyncClient, ctx: dict) -> httpx.Response:
    return await client.get("/healthz")


BASELINE = KINDS.pop("baseline /healthz")


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


def _users(scale: float) -> list[tuple[Kind, int]]:
    return [(k, i) for k in KINDS.values() for i in range(max(1, round(k.users * scale)))]


async def _round(
    url: str, database_url: str, ctx: dict, duration: float, scale: float, baseline: float
) -> dict:
    for k in (*KINDS.values(), BASELINE):
        k.latencies, k.errors, k.statuses = [], 0, {}
    users = _users(scale)
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits, follow_redirects=False) as client:
        # The baseline first, with as many clients as the mix has virtual users: what this
        # topology answers on this machine now when the application does (almost) nothing.
        stop_at = time.monotonic() + baseline
        await asyncio.gather(*(_user(BASELINE, client, ctx, stop_at) for _ in users))
        stop_at = time.monotonic() + duration
        shared = {**ctx, "inside": []}  # plates let in by the entry camera, for the exit camera
        tasks = [asyncio.create_task(_user(k, client, {**shared, "user": i}, stop_at)) for k, i in users]
        peak = await _sample_connections(database_url, stop_at)
        await asyncio.gather(*tasks)
    return {
        "peak_db_connections": peak,
        "baseline": _figures(BASELINE, baseline),
        "kinds": {k.name: _figures(k, duration) for k in KINDS.values()},
    }


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
        "statuses": {str(code): n for code, n in sorted(k.statuses.items())},
    }


def _uptime() -> str:
    with os.popen("uptime") as out:
        return out.read().strip()


def _print(nodes: int, result: dict, duration: float) -> None:
    print(f"\nNODES={nodes}: {duration:.0f} s, peak PostgreSQL connections {result['peak_db_connections']}")
    print(f"  uptime before: {result['uptime_before']}")
    print(f"  uptime after:  {result['uptime_after']}")
    print(f"  {'kind':<20} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'requests':>9}  answers")
    total = errors = 0.0
    for name, f in result["kinds"].items():
        total += f["rps"]
        errors += f["errors"]
        print(
            f"  {name:<20} {f['rps']:>8.1f} {f['p50_ms']:>8.1f} {f['p99_ms']:>8.1f} {f['errors']:>7} "
            f"{f['requests']:>9}  {f['statuses']}"
        )
    print(f"  {'all':<20} {total:>8.1f} {'':>8} {'':>8} {errors:>7.0f}")
    b = result["baseline"]
    print(
        f"  {BASELINE.name:<20} {b['rps']:>8.1f} {b['p50_ms']:>8.1f} {b['p99_ms']:>8.1f} {b['errors']:>7} "
        f"{b['requests']:>9}  (same clients, same run, before the mix)"
    )
    if b["rps"]:
        print(f"  mix / baseline       {total / b['rps']:>8.2f}  of the /healthz throughput")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=300, help="seconds per round (default 300)")
    parser.add_argument("--nodes", default="1,2", help="rounds, by number of web nodes (default 1,2)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every kind's virtual users")
    parser.add_argument(
        "--baseline", type=float, default=30, help="seconds of the /healthz baseline before each round (30)"
    )
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
        with ProdServer(env=env, seed_demo=True, timeout=900, fresh_database=True) as server:
            ctx = json.loads(server.manage("shell", "-v", "0", "-c", SETUP).strip().splitlines()[-1])
            database_url = server.env["DATABASE_URL"].replace("postgres://", "postgresql://", 1)
            before = _uptime()
            results[nodes] = asyncio.run(
                _round(server.url, database_url, ctx, args.duration, args.scale, args.baseline)
            )
            results[nodes].update(uptime_before=before, uptime_after=_uptime())
        _print(nodes, results[nodes], args.duration)
    with open("/proc/loadavg") as load:
        machine["load_after"] = load.read().split()[:3]
    print(f"\nmachine: {machine}")
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"machine": machine, "duration": args.duration, "results": results}, out, indent=2)


if __name__ == "__main__":
    main()
