"""PostgreSQL stopped and started again under device traffic, on a throwaway cluster of this
test's own (initdb into a temporary directory, a free port; never the machine's server).

During the outage devices get a non-200 (so those that retry do) and /healthz says "failing"
(503); afterwards every acknowledged event is stored exactly once.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest

from .conftest import require_postgres_suite, require_tools
from .topology import DEVICE_SETUP, PostgresCluster, Prod, device_event, get, post_events, wait_for

pytestmark = pytest.mark.topology


@pytest.fixture(scope="module")
def cluster():
    require_postgres_suite()
    require_tools(postgres=True)
    # Not under pytest's tmp dir: the postgres user must be able to reach the data directory.
    workdir = Path(tempfile.mkdtemp(prefix="ops-pg-"))
    pg = PostgresCluster(workdir).init()
    pg.start()
    try:
        yield pg
    finally:
        pg.stop(mode="immediate")
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="module")
def prod(tmp_path_factory, cluster, private_redis):
    require_tools()
    server = Prod(
        tmp_path_factory.mktemp("prod-pg"),
        database_url=cluster.url,
        redis_url=private_redis.url,
        # Celery's processes reconnect on their own; a short age keeps the drill short.
        CONN_MAX_AGE="60",
    ).start(timeout=300)  # a fresh database: migrate runs first
    try:
        yield server
    finally:
        server.stop()


def test_postgres_restart_under_device_traffic_every_acknowledged_event_stored_once(prod, cluster):
    token, _estate_id, device_id = prod.manage(DEVICE_SETUP).split()
    log: list[tuple[float, float, int]] = []  # (sent, answered, status)
    acknowledged: list[str] = []
    stop = threading.Event()

    def gate(n: int) -> None:
        # A device that retries: the same event until it is acknowledged, then the next one.
        i = 0
        while not stop.is_set():
            event_id = f"pg-{n}-{i}-{uuid.uuid4().hex[:6]}"
            event = device_event(event_id)
            while True:
                sent = time.monotonic()
                status, answer = post_events(prod.url, token, [event], timeout=15)
                log.append((sent, time.monotonic(), status))
                if status == 200:
                    assert answer["accepted"] + answer["duplicates"] == 1, answer
                    acknowledged.append(event_id)
                    break
                time.sleep(0.2)
            i += 1

    threads = [threading.Thread(target=gate, args=(n,), daemon=True) for n in range(3)]
    for t in threads:
        t.start()
    try:
        wait_for(lambda: len(acknowledged) >= 20, timeout=60, what="traffic before the outage")
        cluster.stop(mode="fast")
        down_at = time.monotonic()
        time.sleep(3)
        status, body, _ = get(f"{prod.url}/healthz", timeout=15)
        assert status == 503 and json.loads(body)["status"] == "failing", body
        # Measured before the start: a request sent during the outage may reach a database that
        # already accepts connections while pg_ctl has not yet returned, and be stored rightly.
        restarting_at = time.monotonic()
        cluster.start()
        before_recovery = len(acknowledged)
        wait_for(lambda: len(acknowledged) >= before_recovery + 20, timeout=90, what="traffic after recovery")
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    during = [status for sent, answered, status in log if sent > down_at and answered < restarting_at]
    # Devices were told to try again, never "OK".
    assert during and 200 not in during, [
        (round(s - down_at, 2), round(a - down_at, 2), st) for s, a, st in log
    ]
    assert get(f"{prod.url}/healthz")[0] == 200
    ids = json.dumps(acknowledged)
    counts = prod.manage(
        "import json; from access.models import AccessEvent; "
        f"rows = AccessEvent.objects.filter(device_id={device_id}); ids = json.loads({ids!r}); "
        "print(rows.filter(idempotency_key__in=ids).count(), rows.count(), len(set(ids)))"
    )
    matched, total, distinct = map(int, counts.split())
    assert matched == total == distinct == len(acknowledged)
