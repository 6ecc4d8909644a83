"""Bill run and payment notifications benchmark (issue 12).

Part 1 (Django, throwaway PostgreSQL database ``bench_billing``): an estate of 20,000 units
× 3 charge items; time the month's bill run (target < 10 s), then the same run again (creates
nothing, target < 2 s). Baseline: the same bills posted one at a time through ``charge_post``
(measured on a sample, extrapolated).

Part 2 (``--http``, against ``make prod``): 10,000 WeChat Pay notifications in the real wire
format, signed with the demo platform key, from 20 clients; 10 % duplicates (the same bytes
sent again) and 5 % out of order (a payment's notification delivered after later ones).
Prints notifications/s, p50/p99, payments applied twice (must be 0) and bills whose paid
amount does not reconcile with their allocations (must be 0). Baseline: /healthz, same clients.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/billing_run.py [--http | --http-only]

``BENCH_NOTIFICATIONS`` (default 10000) sets the number of distinct notifications.

``--prepaid`` (after part 1, or alone with ``--prepaid-only``): the same estate again where
prepaid balances pay part of the run: 2,000 units with a balance of their own and 2,000
household accounts of two units each, each account charged a monthly item and holding a
balance; times the run that issues 62,000 bills and pays those payers' bills from the balances.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import secrets
import statistics
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

UNITS = 20_000
NOTIFICATIONS = int(os.environ.get("BENCH_NOTIFICATIONS", "10000"))
CLIENTS = 20
BENCH_DB = os.environ.get("BENCH_DB", "bench_billing")
MONTH = dt.date(2026, 11, 1)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def _server_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench/billing_run.py needs DATABASE_URL pointing at PostgreSQL.")
    return url


def _with_db(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def _admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(_with_db(url, "postgres"), autocommit=True) as conn:
        conn.execute(sql)


def _setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "community.settings")
    os.environ.setdefault("SECURE_HTTPS", "false")
    import django

    django.setup()


def _estate(code: str, units: int):
    from community.billing import services
    from community.billing.models import Assignment
    from community.residents.models import Building, Estate, Unit

    estate = Estate.objects.create(name=f"压测小区 {code}", code=code)
    buildings = Building.objects.bulk_create([Building(estate=estate, name=f"{b}栋") for b in range(1, 41)])
    rng = random.Random(12)
    per = units // len(buildings)
    Unit.objects.bulk_create(
        [
            Unit(
                building=b,
                entrance="1",
                floor=i // 4 + 1,
                number=f"{i // 4 + 1}{i % 4 + 1:02d}",
                exclusive_area=Decimal(rng.randint(5000, 14000)) / 100,
            )
            for b in buildings
            for i in range(per)
        ],
        batch_size=5000,
    )
    items = [
        services.charge_item_create(
            estate=estate,
            name="物业费",
            item_type="property_fee",
            basis="exclusive_area",
            prepaid=True,
            by="system:bench",
        ),
        services.charge_item_create(
            estate=estate,
            name="公摊水电",
            item_type="shared_utilities",
            basis="shared",
            prepaid=True,
            by="system:bench",
        ),
        services.charge_item_create(
            estate=estate,
            name="垃圾处理费",
            item_type="garbage",
            basis="fixed",
            prepaid=True,
            by="system:bench",
        ),
    ]
    for item, price in zip(items, ["2.50", "0.35", "15.00"], strict=True):
        services.tariff_create(
            item=item, unit_price=Decimal(price), effective_from=dt.date(2020, 1, 1), by="system:bench"
        )
    unit_ids = list(Unit.objects.filter(building__estate=estate).values_list("pk", flat=True))
    Assignment.objects.bulk_create(
        [
            Assignment(item=item, unit_id=u, start_date=dt.date(2025, 1, 1))
            for item in items
            for u in unit_ids
        ],
        batch_size=10000,
    )
    return estate, unit_ids


def bill_run_part() -> None:
    from community.billing import services
    from community.billing.models import Bill, BillLine

    estate, _unit_ids = _estate("bench-run", UNITS)
    start = time.perf_counter()
    first = services.bill_run(estate=estate, on=MONTH, by="system:bench")
    first_s = time.perf_counter() - start
    start = time.perf_counter()
    second = services.bill_run(estate=estate, on=MONTH, by="system:bench")
    second_s = time.perf_counter() - start
    lines = BillLine.objects.filter(bill__estate=estate).count()

    # Baseline: one bill at a time through the ORM (charge_post), on a sample, extrapolated.
    sample = 300
    other, _ids = _estate("bench-base", 0)
    start = time.perf_counter()
    for n in range(sample):
        services.charge_post(
            estate=other,
            item_type="property_fee",
            amount=Decimal("223.75"),
            description="物业费",
            source="bench",
            source_ref=str(n),
            by="system:bench",
        )
    per_bill = (time.perf_counter() - start) / sample
    print(f"bill run, {UNITS:,} units × 3 items ({first.created:,} bills, {lines:,} lines):")
    print(f"  first run    {first_s:6.2f} s   (target < 10 s)")
    print(
        f"  second run   {second_s:6.2f} s   created {second.created}, skipped {second.skipped:,}  (target < 2 s, 0 created)"
    )
    print(
        f"  baseline     {per_bill * first.created:6.2f} s   one bill at a time via charge_post "
        f"({per_bill * 1000:.1f} ms/bill × {first.created:,}, from {sample} bills)"
    )
    assert Bill.objects.filter(estate=estate).count() == first.created


def prepaid_part() -> None:
    """The bill run where balances pay: 2,000 unit balances and 2,000 account balances."""
    from community.billing import services
    from community.billing.models import Assignment, HouseholdAccount, HouseholdAccountUnit, PrepaidEntry

    estate, unit_ids = _estate("bench-prepaid", UNITS)
    accounts = HouseholdAccount.objects.bulk_create(
        [HouseholdAccount(estate=estate, name=f"户{n}", created_by="system:bench") for n in range(2000)]
    )
    # Accounts take units 0-3999 in pairs; units 10000-11999 hold balances of their own.
    HouseholdAccountUnit.objects.bulk_create(
        [
            HouseholdAccountUnit(account=a, unit_id=unit_ids[2 * n + k])
            for n, a in enumerate(accounts)
            for k in (0, 1)
        ]
    )
    item = services.charge_item_create(
        estate=estate,
        name="车位管理费",
        item_type="parking_management",
        basis="fixed",
        prepaid=True,
        by="system:bench",
    )
    services.tariff_create(
        item=item, unit_price=Decimal("80.00"), effective_from=dt.date(2020, 1, 1), by="system:bench"
    )
    Assignment.objects.bulk_create(
        [Assignment(item=item, account=a, start_date=dt.date(2025, 1, 1)) for a in accounts]
    )
    PrepaidEntry.objects.bulk_create(
        [
            *(
                PrepaidEntry(
                    estate=estate, unit_id=u, kind="top_up", amount=Decimal("500.00"), created_by="bench"
                )
                for u in unit_ids[10000:12000]
            ),
            *(
                PrepaidEntry(
                    estate=estate, account=a, kind="top_up", amount=Decimal("500.00"), created_by="bench"
                )
                for a in accounts
            ),
        ]
    )
    start = time.perf_counter()
    result = services.bill_run(estate=estate, on=MONTH, by="system:bench")
    took = time.perf_counter() - start
    print(
        f"bill run with prepaid balances ({result.created:,} bills; 2,000 unit and 2,000 account balances):"
    )
    from community.billing.models import Allocation

    paid = Allocation.objects.filter(bill__estate=estate, prepaid_entry__isnull=False).count()
    print(f"  first run    {took:6.2f} s   {paid:,} bills paid from balances, {result.prepaid_applied} yuan")


def http_part() -> None:
    import http.client

    from _common import ProdServer, load
    from django.db.models import Count

    from community.billing import services
    from community.billing.models import Allocation, Bill, Payment
    from community.billing.providers import wechatpay
    from community.billing.services import gateways

    estate, _unit_ids = _estate(f"bench-pay-{int(time.time())}", 0)
    bills = []
    for n in range(NOTIFICATIONS):
        bills.append(
            services.charge_post(
                estate=estate,
                payer_unit=None,
                item_type="property_fee",
                amount=Decimal(100 + n % 50),
                description="物业费",
                source="bench-http",
                source_ref=f"{estate.code}:{n}",
                by="system:bench",
            )
        )
    payments = [services.payment_create(bills=[b], provider="demo", by="system:bench") for b in bills]
    merchant, keys = gateways.demo_merchant(), gateways.demo_keys()
    rng = random.Random(7)

    def envelope(payment):
        tx = wechatpay.transaction_success(
            mch_id=merchant.mch_id,
            app_id=merchant.app_id,
            out_trade_no=payment.out_trade_no,
            transaction_id=f"4200{payment.pk:024d}",
            amount_fen=payment.amount_fen,
        )
        _headers, body = wechatpay.build_notification(
            transaction=tx, api_v3_key=merchant.api_v3_key, private_key=keys.private_key, serial=keys.serial
        )
        return body

    bodies = [envelope(p) for p in payments]
    # 10 % duplicates (the same event delivered again), 5 % out of order (moved later in the stream).
    sends = list(bodies) + [bodies[i] for i in rng.sample(range(len(bodies)), len(bodies) // 10)]
    for _ in range(len(bodies) // 20):
        i, j = rng.randrange(len(sends)), rng.randrange(len(sends))
        sends[i], sends[j] = sends[j], sends[i]

    def sign(body: bytes) -> dict[str, str]:
        # WeChat signs every delivery (retries too) when it sends it: fresh timestamp and nonce.
        timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
        return {
            "Wechatpay-Timestamp": timestamp,
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Serial": keys.serial,
            "Wechatpay-Signature": wechatpay.sign(
                keys.private_key, wechatpay.signed_message(timestamp, nonce, body)
            ),
            "Wechatpay-Signature-Type": wechatpay.SIGNATURE_TYPE,
            "Content-Type": "application/json",
        }

    path = f"/pay/notify/wechatpay/{merchant.code}"

    redis = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/4")
    with ProdServer(env={"DATABASE_URL": os.environ["DATABASE_URL"], "REDIS_URL": redis}) as server:
        baseline = load(server.url + "/healthz", duration=10, connections=CLIENTS)
        host, port = "127.0.0.1", server.port
        latencies, statuses, lock = [], {}, threading.Lock()
        queue = iter(sends)

        def client():
            conn = http.client.HTTPConnection(host, port, timeout=30)
            while True:
                with lock:
                    item = next(queue, None)
                if item is None:
                    break
                body = item
                headers = sign(body)
                start = time.perf_counter()
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                elapsed = (time.perf_counter() - start) * 1000
                with lock:
                    latencies.append(elapsed)
                    statuses[response.status] = statuses.get(response.status, 0) + 1
            conn.close()

        start = time.perf_counter()
        threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - start
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    applied_twice = (
        Allocation.objects.filter(bill__in=bills)
        .values("bill")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    unreconciled = sum(
        1
        for b in Bill.objects.filter(pk__in=[b.pk for b in bills]).prefetch_related("allocations")
        if sum((a.amount for a in b.allocations.all()), Decimal(0)) != b.amount_paid
    )
    paid = Payment.objects.filter(pk__in=[p.pk for p in payments], status="paid").count()
    print(
        f"WeChat Pay notifications over HTTP (make prod), {len(sends):,} sent from {CLIENTS} clients "
        f"({len(sends) - len(bodies):,} duplicates, ~5 % out of order):"
    )
    print(f"  throughput   {len(sends) / wall:8.1f} notifications/s   statuses {statuses}")
    print(f"  latency      p50 {statistics.median(latencies):.1f} ms   p99 {p99:.1f} ms")
    print(
        f"  paid         {paid:,} of {len(payments):,} payments; applied twice: {applied_twice} (must be 0); "
        f"not reconciling: {unreconciled} (must be 0)"
    )
    print(
        f"  baseline     /healthz {baseline['requests_per_s']:.0f} req/s, p99 {baseline.get('p99_ms')} ms ({baseline['tool']})"
    )


def main() -> None:
    server = _server_url()
    _admin(server, f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
    _admin(server, f'CREATE DATABASE "{BENCH_DB}"')
    url = _with_db(server, BENCH_DB)
    _setup_django(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    try:
        if "--http-only" not in sys.argv and "--prepaid-only" not in sys.argv:
            bill_run_part()
        if "--prepaid" in sys.argv or "--prepaid-only" in sys.argv:
            prepaid_part()
        if "--http" in sys.argv or "--http-only" in sys.argv:
            http_part()
    finally:
        from django.db import connections

        connections.close_all()
        _admin(server, f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')


if __name__ == "__main__":
    main()
