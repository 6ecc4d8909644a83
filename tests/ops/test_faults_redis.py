"""Redis stopped under `make prod`: device ingestion still stores and acknowledges, live fan-out
is skipped and logged, /healthz says "degraded" (200), a task enqueued after a commit is held
(not a 500, not lost) and runs once Redis is back, and everything recovers without restarting
a process. The Redis is this module's own (never the machine's)."""

from __future__ import annotations

import json
import re
import uuid
from urllib.parse import urlencode

import pytest

from .conftest import fresh_machine_database, require_tools
from .topology import (
    DEVICE_SETUP,
    Prod,
    WebSocket,
    device_event,
    get,
    group_alive,
    post_events,
    request,
    wait_for,
)

pytestmark = pytest.mark.topology


@pytest.fixture(scope="module")
def prod(tmp_path_factory, private_redis):
    require_tools()
    server = Prod(
        tmp_path_factory.mktemp("prod-redis"),
        database_url=fresh_machine_database("ops_redis"),
        redis_url=private_redis.url,
        OPS_HEARTBEAT_SECONDS="2",
        OPS_HELD_TASKS_SECONDS="2",
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


# An estate with one owner (with a login) and a draft meeting; its manager's session.
# Prints "<meeting id> <owner user id> <session key>".
MEETING_SETUP = """
import datetime as dt
from django.test import Client
from django.utils import timezone
from community.voting import services
from community.voting.models import Meeting
from tests.factories import EstateFactory, StaffFactory
from tests.voting.conftest import EstateBuilder
build = EstateBuilder(EstateFactory())
owner, _unit = build.owner()
manager = StaffFactory(estate=build.estate)
meeting = Meeting.objects.create(estate=build.estate, title="演练业主大会", created_by=manager,
    voting_opens_at=timezone.now() + dt.timedelta(days=20), voting_closes_at=timezone.now() + dt.timedelta(days=27))
services.motion_create(meeting=meeting, title="续聘物业", text="请表决。", matter=4, by=manager)
c = Client(); c.force_login(manager, backend="django.contrib.auth.backends.ModelBackend")
print(meeting.pk, owner.user_id, c.cookies["sessionid"].value)
"""


def _count(prod, model: str, **filters) -> int:
    app, name = model.rsplit(".", 1)
    return int(prod.manage(f"from {app} import {name}; print({name}.objects.filter(**{filters!r}).count())"))


def test_redis_down_a_task_enqueued_after_commit_is_held_then_runs_once_redis_is_back(prod, private_redis):
    meeting_id, owner_id, session = prod.manage(MEETING_SETUP).split()
    changelist = f"{prod.url}/admin/voting/meeting/"
    status, page, headers = get(changelist, headers={"Cookie": f"sessionid={session}"})
    assert status == 200, page[:500]
    csrf_cookie = re.search(r"csrftoken=([^;]+)", headers["Set-Cookie"]).group(1)
    csrf_token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
    notices = {"recipient_id": int(owner_id), "verb": "voting.notice"}

    private_redis.stop()
    try:
        # The manager publishes the notice: the roll is frozen and committed, then the roll
        # notification (voting.notify_roll, delay_on_commit) cannot reach the broker.
        status, body, headers = request(
            "POST",
            changelist,
            urlencode(
                {
                    "action": "publish_notice",
                    "_selected_action": meeting_id,
                    "csrfmiddlewaretoken": csrf_token,
                }
            ).encode(),
            headers={
                "Cookie": f"sessionid={session}; csrftoken={csrf_cookie}",
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": changelist,
            },
            timeout=30,
        )
        assert status == 302, body[:2000]
        assert _count(prod, "community.voting.models.Meeting", pk=int(meeting_id), status="noticed") == 1
        assert _count(prod, "community.ops.models.HeldTask", task="voting.notify_roll") == 1
        wait_for(lambda: "held as HeldTask" in prod.log(), timeout=10, what="the held task in the log")
        assert headers["X-Request-ID"] in next(
            line for line in prod.log().splitlines() if "held as HeldTask" in line
        )
        assert _count(prod, "community.notifications.models.Notification", **notices) == 0
    finally:
        private_redis.start()
    # Beat sends ops.held_tasks_send (every 2 s here); the worker sends the held task, then runs it.
    wait_for(
        lambda: _count(prod, "community.notifications.models.Notification", **notices) == 1,
        timeout=120,
        interval=2,
        what="the owner's notice notification after Redis came back",
    )
    assert _count(prod, "community.ops.models.HeldTask") == 0
    assert _count(prod, "community.notifications.models.Notification", **notices) == 1
