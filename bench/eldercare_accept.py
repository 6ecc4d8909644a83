"""Care-order accept race over HTTP against ``make prod`` on PostgreSQL.

200 open orders, 50 concurrent workers (threads, each with its own API token and keep-alive
connection) pressing "accept" on orders picked at random until every order is taken. Prints
accepts/s, p50/p99 latency of all accept requests, and the figures that matter: double
assignments (an order answered 200 to two workers, or held in the database by a worker who
was not answered 200) and errors other than 409 — both must be 0. Baseline: the same clients
against /healthz for the same number of requests, same run.

Usage: .venv/bin/python bench/eldercare_accept.py [--orders 200] [--workers 50]
Environment: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/eldercare_bench,
created and migrated by ``make prod``), BENCH_REDIS_URL (default Redis db 6).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import sys
import threading
import time
from urllib.parse import urlsplit

os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/eldercare_bench")
os.environ.setdefault("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6")

from _common import ProdServer  # bench/ is on sys.path: this script lives there

SETUP = """
import datetime as dt, json, secrets
from django.utils import timezone
from rest_framework.authtoken.models import Token
from community.accounts.models import User
from community.residents.models import Estate, Resident
from community.residents.services import staff_membership_create
from eldercare import services
from eldercare.models import CareStation, ElderProfile, ServiceItem
run = secrets.token_hex(3)
estate = Estate.objects.create(name="bench-" + run, code="bench-" + run)
station = CareStation.objects.create(name="bench-" + run)
station.estates.add(estate)
item = ServiceItem.objects.create(station=station, name="bench", category="cleaning", price=50)
coordinator = User.objects.create(username="coord-" + run, is_staff=True)
staff_membership_create(user=coordinator, estate=estate, role="eldercare_coordinator")
elder = ElderProfile.objects.create(
    estate=estate, resident=Resident.objects.create(estate=estate, name="bench"), birth_date=dt.date(1940, 1, 1)
)
at = timezone.now() + dt.timedelta(days=1)
orders = [services.order_book(elder=elder, item=item, by=coordinator, scheduled_at=at).pk for _ in range({orders})]
workers = []
for n in range({workers}):
    user = User.objects.create(username=f"w{{n}}-" + run, is_staff=True)
    staff_membership_create(user=user, estate=estate, role="eldercare_worker")
    workers.append([user.pk, Token.objects.create(user=user).key])
print(json.dumps({{"orders": orders, "workers": workers}}))
"""

CHECK = """
import json
from eldercare.models import Order
print(json.dumps(list(Order.objects.filter(pk__in={ids}).values_list("pk", "worker_id", "status"))))
"""


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def race(url: str, orders: list[int], workers: list[list], *, timeout: float = 300):
    host = urlsplit(url)
    open_orders = set(orders)
    lock = threading.Lock()
    winners: dict[int, list[int]] = {}
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors: list[str] = []
    start = threading.Event()
    deadline = time.monotonic() + timeout

    def worker(user_id: int, token: str) -> None:
        conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
        rng = random.Random(user_id)
        start.wait()
        while time.monotonic() < deadline:
            with lock:
                if not open_orders:
                    break
                order = rng.choice(tuple(open_orders))
            began = time.perf_counter()
            try:
                conn.request(
                    "POST",
                    f"/api/v1/eldercare/orders/{order}/accept/",
                    body=b"",
                    headers={"Authorization": f"Token {token}", "Content-Length": "0"},
                )
                response = conn.getresponse()
                body = response.read()
            except OSError as exc:
                with lock:
                    errors.append(repr(exc))
                conn.close()
                conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
                continue
            elapsed = time.perf_counter() - began
            with lock:
                latencies.append(elapsed)
                statuses[response.status] = statuses.get(response.status, 0) + 1
                if response.status == 200:
                    winners.setdefault(order, []).append(user_id)
                    open_orders.discard(order)
                elif response.status == 409:
                    open_orders.discard(order)
                else:
                    errors.append(f"{response.status} {body[:200]!r}")
        conn.close()

    threads = [threading.Thread(target=worker, args=(uid, token)) for uid, token in workers]
    for t in threads:
        t.start()
    began = time.perf_counter()
    start.set()
    for t in threads:
        t.join()
    return time.perf_counter() - began, winners, latencies, statuses, errors


def baseline(url: str, requests: int, clients: int) -> tuple[float, float]:
    host = urlsplit(url)
    lock = threading.Lock()
    left = [requests]
    latencies: list[float] = []

    def client() -> None:
        conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
        while True:
            with lock:
                if left[0] <= 0:
                    break
                left[0] -= 1
            began = time.perf_counter()
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            with lock:
                latencies.append(time.perf_counter() - began)
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return requests / (time.perf_counter() - began), _percentile(latencies, 99)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--workers", type=int, default=50)
    args = parser.parse_args()
    with ProdServer() as server:
        setup = json.loads(
            server.manage("shell", "-v", "0", "-c", SETUP.format(orders=args.orders, workers=args.workers))
            .strip()
            .splitlines()[-1]
        )
        orders, workers = setup["orders"], setup["workers"]
        elapsed, winners, latencies, statuses, errors = race(server.url, orders, workers)
        stored = json.loads(
            server.manage("shell", "-v", "0", "-c", CHECK.format(ids=orders)).strip().splitlines()[-1]
        )
        base_rps, base_p99 = baseline(server.url, len(latencies), args.workers)
    double = sum(1 for ids in winners.values() if len(ids) > 1)
    mismatched = sum(1 for pk, worker_id, _status in stored if winners.get(pk, [None])[0] != worker_id)
    untaken = sum(1 for _pk, worker_id, _status in stored if worker_id is None)
    print(
        f"eldercare accept race: {len(orders)} orders, {len(workers)} concurrent workers, make prod on PostgreSQL"
    )
    print(
        f"  accepts/s            {len(winners) / elapsed:8.1f}   ({len(winners)} accepted in {elapsed:.2f} s)"
    )
    print(f"  accept requests      {len(latencies):8d}   answers {dict(sorted(statuses.items()))}")
    print(f"  requests/s           {len(latencies) / elapsed:8.1f}")
    print(
        f"  p50 / p99 (ms)       {_percentile(latencies, 50) * 1000:8.1f} / {_percentile(latencies, 99) * 1000:.1f}"
    )
    print(
        f"  baseline /healthz    {base_rps:8.1f} req/s, p99 {base_p99 * 1000:.1f} ms (same clients, same count)"
    )
    print(f"  double assignments   {double + mismatched:8d}   (must be 0)")
    print(f"  errors other than 409{len(errors):8d}   (must be 0){'  e.g. ' + errors[0] if errors else ''}")
    print(f"  orders left untaken  {untaken:8d}")
    return 0 if double + mismatched == 0 and not errors and untaken == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
