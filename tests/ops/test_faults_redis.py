"""Redis stopped under `make prod`: device ingestion still stores and acknowledges, live fan-out
is skipped and logged, /healthz says "degraded" (200), and everything recovers when Redis is
back, without restarting a process. The Redis is this module's own (never the machine's)."""

from __future__ import annotations

import json
import uuid

import pytest

from .conftest import fresh_machine_database, require_tools
from .topology import DEVICE_SETUP, Prod, WebSocket, device_event, get, group_alive, post_events, wait_for

pytestmark = pytest.mark.topology


@pytest.fixture(scope="module")
def prod(tmp_path_factory, private_redis):
    require_tools()
    server = Prod(
        tmp_path_factory.mktemp("prod-redis"),
        database_url=fresh_machine_database("ops_redis"),
        redis_url=private_redis.url,
        OPS_HEARTBEAT_SECONDS="2",
    ).start()
    try:
        yield server
    finally:
        server.stop()


def _watch(prod, estate_id: int) -> WebSocket:
    ws = WebSocket(prod.port, "/ws/", cookie=prod.session_cookie("ops-redis-watcher", superuser=True))
    assert ws.status == 101, ws.head
    group = f"estate.{estate_id}.access"
    ws.send_text(json.dumps({"action": "subscribe", "group": group}))
    assert ws.recv_json() == {"subscribed": group}
    return ws


def _next_events(ws: WebSocket) -> dict:
    message = ws.recv_json()
    while message["event"]["type"] != "access.events":
        message = ws.recv_json()
    return message["event"]


def _health(prod) -> tuple[int, dict]:
    status, body, _ = get(f"{prod.url}/healthz", timeout=15)
    return status, json.loads(body or b"{}")


def test_redis_down_devices_still_acknowledged_health_degraded_then_recovers(prod, private_redis):
    token, estate_id, device_id = prod.manage(DEVICE_SETUP).split()
    pids = {name: prod.pid_of(name) for name in ("web", "ws", "worker", "beat", "nginx")}
    ws = _watch(prod, int(estate_id))
    try:
        assert (
            post_events(prod.url, token, [device_event("before-" + uuid.uuid4().hex[:8])])[1]["accepted"] == 1
        )
        assert _next_events(ws)["total"] == 1
    finally:
        ws.close()

    private_redis.stop()
    during = [f"during-{i}-{uuid.uuid4().hex[:8]}" for i in range(5)]
    for event_id in during:
        status, answer = post_events(prod.url, token, [device_event(event_id)], timeout=30)
        assert (status, answer.get("accepted")) == (200, 1), answer
    status, body = _health(prod)
    assert status == 200, body
    # What a load balancer sees: the status word only (which parts are down is for signed-in
    # staff, issue #15; tests/core/test_health.py checks the parts).
    assert body["status"] == "degraded" and "down" not in body and "checks" not in body
    stored = prod.manage(
        f"from access.models import AccessEvent; print(AccessEvent.objects.filter(device_id={device_id}, "
        f"idempotency_key__in={during!r}).count())"
    )
    assert int(stored) == len(during)
    wait_for(
        lambda: f"websocket publish to estate.{estate_id}.access failed" in prod.log(),
        timeout=30,
        what="the skipped fan-out in the log",
    )

    private_redis.start()  # same port, empty: nothing restarted on our side
    wait_for(lambda: _health(prod)[1].get("status") == "ok", timeout=60, what="/healthz ok again")
    ws = _watch(prod, int(estate_id))
    try:
        assert (
            post_events(prod.url, token, [device_event("after-" + uuid.uuid4().hex[:8])])[1]["accepted"] == 1
        )
        assert _next_events(ws)["total"] == 1
    finally:
        ws.close()
    # The worker reconnected to the broker by itself: beat's heartbeat runs again.
    wait_for(
        lambda: (
            prod.manage("from django.core.cache import cache; print(bool(cache.get('ops:heartbeat')))")
            == "True"
        ),
        timeout=60,
        what="a heartbeat after Redis came back",
    )
    for name, pid in pids.items():
        assert group_alive(pid) and prod.pid_of(name) == pid, f"{name} was restarted"
