"""`make prod NODES=2`, proved from outside: two nodes (each gunicorn + daphne + a Celery
worker, NODE_WORKERS=true) behind one nginx upstream, one beat, over PostgreSQL and a Redis of
our own.

One topology serves the whole module; the node-loss drill runs last because it kills node 1
whole: its gunicorn, its daphne and its Celery worker.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import threading
import time
import uuid
from urllib.parse import urlencode

import pytest

from .conftest import fresh_machine_database, require_tools
from .topology import (
    DEVICE_SETUP,
    Drill,
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

METRICS_TOKEN = "metrics-" + uuid.uuid4().hex
# A task taken by a worker that vanished comes back after this many seconds (production: 900).
VISIBILITY_TIMEOUT = 40
DRILL_SECONDS = 20  # below the visibility timeout: a live worker's task is never handed out twice


@pytest.fixture(scope="module")
def prod(tmp_path_factory, private_redis):
    require_tools()
    server = Prod(
        tmp_path_factory.mktemp("prod2"),
        database_url=fresh_machine_database("ops_scaleout"),
        redis_url=private_redis.url,
        nodes=2,
        OPS_HEARTBEAT_SECONDS="2",
        NGINX_CLIENT_TIMEOUT="3s",
        METRICS_TOKEN=METRICS_TOKEN,
        PROD_KEEP_GOING="true",
        NODE_WORKERS="true",
        CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
        CELERY_LOG_LEVEL="INFO",
    ).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def device(prod):
    token, estate_id, device_id = prod.manage(DEVICE_SETUP).split()
    return {"token": token, "estate_id": int(estate_id), "device_id": int(device_id)}


def _node_url(prod, index: int) -> str:
    return f"http://127.0.0.1:{prod.nodes[index - 1]['gunicorn_port']}"


def test_two_nodes_each_with_gunicorn_and_daphne_behind_one_nginx(prod):
    assert [n["name"] for n in prod.nodes] == ["web1", "web2"]
    # Each node answers on its own ports, and nginx spreads requests over both.
    for index in (1, 2):
        status, body, _ = get(f"{_node_url(prod, index)}/healthz")
        assert status == 200 and json.loads(body)["node"] == f"web{index}"
    # Both within a few requests; nginx benches a node that was slow to answer during start-up
    # (passive health check, fail_timeout 10 s), so ask for up to 20 s under a loaded machine.
    seen: set[str] = set()
    deadline = time.monotonic() + 20
    while seen != {"web1", "web2"} and time.monotonic() < deadline:
        seen.add(json.loads(get(f"{prod.url}/healthz")[1])["node"])
        time.sleep(0.1)
    assert seen == {"web1", "web2"}
    for name in ("web1", "ws1", "worker1", "web2", "ws2", "worker2", "beat", "nginx"):
        assert group_alive(prod.pid_of(name)), name
    assert "started worker " not in prod.log()  # one worker per node, none besides


def test_gate_event_posted_to_node_1_reaches_a_websocket_client_on_node_2(prod, device):
    cookie = prod.session_cookie("ops-watcher", superuser=True)
    ws = WebSocket(prod.nodes[1]["daphne_port"], "/ws/", cookie=cookie)
    try:
        assert ws.status == 101, ws.head
        group = f"estate.{device['estate_id']}.access"
        ws.send_text(json.dumps({"action": "subscribe", "group": group}))
        assert ws.recv_json() == {"subscribed": group}
        event_id = f"x-node-{uuid.uuid4().hex[:12]}"
        status, answer = post_events(_node_url(prod, 1), device["token"], [device_event(event_id)])
        assert (status, answer["accepted"]) == (200, 1), answer
        # The device's first event also brings it online (a "device.status" message first).
        message = ws.recv_json()
        while message["event"]["type"] != "access.events":
            message = ws.recv_json()
        assert message["group"] == group
        stored_id = prod.manage(
            "from access.models import AccessEvent; "
            f"print(AccessEvent.objects.get(idempotency_key={event_id!r}).pk)"
        )
        assert [e["id"] for e in message["event"]["events"]] == [int(stored_id)]
    finally:
        ws.close()


def _csrf_login_form(prod, index: int) -> tuple[str, str]:
    status, body, headers = get(f"{_node_url(prod, index)}/accounts/login/")
    assert status == 200
    cookie = re.search(r"csrftoken=([^;]+)", headers["Set-Cookie"]).group(1)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
    return cookie, token


def test_session_and_csrf_token_from_one_node_work_on_the_other(prod):
    prod.manage(
        "from django.contrib.auth import get_user_model; "
        "u, _ = get_user_model().objects.get_or_create(username='ops-resident'); "
        "u.set_password('Drill-pass-2026!'); u.save(); print('ok')"
    )
    csrf_cookie, csrf_token = _csrf_login_form(prod, 1)
    form = urlencode(
        {"login": "ops-resident", "password": "Drill-pass-2026!", "csrfmiddlewaretoken": csrf_token}
    )
    # The form and cookie from node 1 are posted to node 2: same SECRET_KEY, sessions in PostgreSQL.
    status, _, headers = request(
        "POST",
        f"{_node_url(prod, 2)}/accounts/login/",
        form.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={csrf_cookie}"},
    )
    assert status == 302, headers
    session = re.search(r"sessionid=([^;]+)", headers["Set-Cookie"]).group(1)
    # The session made on node 2 is good on node 1, and through nginx; without it, a login page.
    for url in (_node_url(prod, 1), prod.url):
        assert get(f"{url}/portal/", headers={"Cookie": f"sessionid={session}"})[0] == 200
    status, _, headers = get(f"{_node_url(prod, 1)}/portal/")
    assert status == 302 and "/accounts/login/" in headers["Location"]


def _heartbeat(prod, marker: str = "") -> dict | None:
    key = f"ops:heartbeat:{marker}" if marker else "ops:heartbeat"
    out = prod.manage(
        f"import json; from django.core.cache import cache; print(json.dumps(cache.get({key!r})))"
    )
    return json.loads(out)


def _process_group(pid: int) -> int:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return -1


def test_periodic_jobs_run_in_the_celery_worker_not_in_web_processes(prod):
    first = wait_for(lambda: _heartbeat(prod), timeout=60, what="a beat heartbeat")
    later = wait_for(
        lambda: (seen := _heartbeat(prod)) and seen["at"] != first["at"] and seen,
        timeout=30,
        what="a second heartbeat",
    )
    worker_groups = {prod.pid_of("worker1"), prod.pid_of("worker2")}
    assert _process_group(later["pid"]) in worker_groups
    web_groups = {prod.pid_of(n) for n in ("web1", "web2", "ws1", "ws2", "beat")}
    assert _process_group(later["pid"]) not in web_groups
    assert "ops.heartbeat" in prod.log()


def test_tasks_are_enqueued_only_after_commit_and_carry_the_request_id(prod):
    marker = uuid.uuid4().hex[:10]
    code = f"""
import redis
from django.conf import settings
from django.db import transaction
from community.ops import request_id
from community.ops.tasks import heartbeat
r = redis.Redis.from_url(settings.CELERY_BROKER_URL)
request_id.current.set("req-{marker}")
before = r.llen("celery")
with transaction.atomic():
    heartbeat.delay_on_commit(marker="kept-{marker}")
    inside = r.llen("celery")
try:
    with transaction.atomic():
        heartbeat.delay_on_commit(marker="dropped-{marker}")
        raise RuntimeError("roll back")
except RuntimeError:
    pass
print(before, inside)
"""
    out = prod.manage(code)
    before, inside = map(int, out.split())
    assert inside == before  # nothing reached the broker inside the transaction
    kept = wait_for(lambda: _heartbeat(prod, f"kept-{marker}"), timeout=30, what="the committed task")
    assert _process_group(kept["pid"]) in {prod.pid_of("worker1"), prod.pid_of("worker2")}
    time.sleep(2)
    assert _heartbeat(prod, f"dropped-{marker}") is None  # rolled back: never sent
    # The worker's JSON log lines for that task carry the id of the "request" that enqueued it.
    lines = [line for line in prod.log().splitlines() if f"req-{marker}" in line]
    assert any("worker" in line and '"request_id": "req-' in line for line in lines), lines[:5]


def test_request_id_from_nginx_is_returned_and_logged_as_json(prod):
    status, _, headers = get(f"{prod.url}/api/v1/nothing-here")
    assert status == 404
    request_id = headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)  # nginx's $request_id
    wait_for(lambda: request_id in prod.log(), timeout=10, what="the request's log line")
    line = next(line for line in prod.log().splitlines() if request_id in line)
    entry = json.loads(line.split("| ", 1)[1])
    assert entry["request_id"] == request_id and entry["level"] == "WARNING"


def test_metrics_answer_only_the_monitoring_token(prod):
    assert get(f"{prod.url}/metrics")[0] == 404
    assert get(f"{prod.url}/metrics", headers={"Authorization": "Bearer wrong"})[0] == 404
    status, body, _ = get(f"{prod.url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert status == 200
    text = body.decode()
    assert "django_http_requests_total_by_method_total" in text
    assert "community_beat_heartbeat_age_seconds" in text


def _raw(port: int, data: bytes, *, timeout: float = 10) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
        return answer


def test_slow_loris_and_mid_upload_disconnects_hold_no_worker(prod, device):
    # 4 gunicorn workers in all (2 nodes x 2); 30 slow clients would starve them if they got through.
    slow = []
    for _ in range(30):
        s = socket.create_connection(("127.0.0.1", prod.port), timeout=10)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")  # headers never finish
        slow.append(s)
    uploads = []
    for _ in range(10):
        s = socket.create_connection(("127.0.0.1", prod.port), timeout=10)
        s.sendall(
            b"POST /api/v1/devices/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + f"Authorization: Bearer {device['token']}\r\nContent-Type: application/json\r\n".encode()
            + b"Content-Length: 5000000\r\n\r\n"
            + b'{"events": [' * 1000
        )
        uploads.append(s)
    try:
        started = time.monotonic()
        for _ in range(10):
            assert get(f"{prod.url}/healthz", timeout=5)[0] == 200
        assert time.monotonic() - started < 10
        # Half the uploads vanish mid-body (a phone losing signal); nothing is stored for them.
        for s in uploads[:5]:
            s.close()
        event_id = f"after-loris-{uuid.uuid4().hex[:8]}"
        assert post_events(prod.url, device["token"], [device_event(event_id)])[0] == 200
        # nginx drops the rest once NGINX_CLIENT_TIMEOUT (3 s here) passes without a byte.
        for s in slow + uploads[5:]:
            s.settimeout(15)
            try:
                rest = s.recv(4096)
            except (ConnectionResetError, TimeoutError) as exc:
                rest = repr(exc).encode()
            assert rest == b"" or b"408" in rest or b"Reset" in rest, rest[:200]
    finally:
        for s in slow + uploads:
            s.close()
    # A body over the limit is refused by nginx before it reaches a worker.
    too_big = _raw(
        prod.port,
        b"POST /api/v1/devices/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 30000000\r\n"
        b"Connection: close\r\n\r\n",
    )
    assert too_big.split()[1] == b"413"


# A second estate whose live feed the websocket clients watch: the gate traffic of the drill goes
# to the first, so the feed carries only what the test posts to this one.
WATCHED_DEVICE_SETUP = DEVICE_SETUP.replace('code="ops-drill"', 'code="ops-watched"')


def _subscribe(port: int, cookie: str, estate_id: int) -> WebSocket:
    ws = WebSocket(port, "/ws/", cookie=cookie)
    assert ws.status == 101, ws.head
    group = f"estate.{estate_id}.access"
    ws.send_text(json.dumps({"action": "subscribe", "group": group}))
    assert ws.recv_json() == {"subscribed": group}
    return ws


def _receives(ws: WebSocket, stored_id: int) -> bool:
    """Reads the feed until the event with ``stored_id`` arrives (socket timeout: 10 s)."""
    while True:
        message = ws.recv_json()
        if message["event"]["type"] == "access.events" and stored_id in [
            e["id"] for e in message["event"]["events"]
        ]:
            return True


def test_a_whole_node_killed_under_load_the_other_carries_http_websockets_and_tasks(
    prod, device, private_redis
):
    watched = dict(zip(("token", "estate_id", "device_id"), prod.manage(WATCHED_DEVICE_SETUP).split()))
    cookie = prod.session_cookie("ops-node-watcher", superuser=True)
    on_node_2 = _subscribe(prod.nodes[1]["daphne_port"], cookie, int(watched["estate_id"]))
    on_node_1 = _subscribe(prod.nodes[0]["daphne_port"], cookie, int(watched["estate_id"]))
    worker1, worker2 = prod.pid_of("worker1"), prod.pid_of("worker2")

    acknowledged: list[str] = []
    failures: list[int] = []
    stop = threading.Event()

    def gate(n: int) -> None:
        i = 0
        while not stop.is_set():
            event_id = f"kill-{n}-{i}-{uuid.uuid4().hex[:6]}"
            status, answer = post_events(prod.url, device["token"], [device_event(event_id)])
            if status == 200 and answer.get("accepted", 0) + answer.get("duplicates", 0) == 1:
                acknowledged.append(event_id)
            else:
                failures.append(status)
            i += 1

    threads = [threading.Thread(target=gate, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    try:
        wait_for(lambda: len(acknowledged) >= 20, timeout=60, what="traffic on both nodes")
        # Two slow tasks at once: each worker (concurrency 1, one message reserved) runs one, so
        # one runs on node 1 when it dies. acks_late leaves its message unacknowledged in Redis.
        drills = [uuid.uuid4().hex[:12] for _ in range(2)]
        prod.manage(
            "from community.ops.tasks import drill; "
            + "; ".join(f"drill.delay({d!r}, {DRILL_SECONDS})" for d in drills)
            + "; print('ok')"
        )
        # Read straight from Redis (a manage.py call takes seconds here): both started, neither done.
        states = [Drill(private_redis.url, d) for d in drills]
        wait_for(
            lambda: all(st.attempts() == 1 and st.running_pid() for st in states),
            timeout=60,
            what="both drills running",
        )
        groups = {st: _process_group(st.running_pid()) for st in states}
        assert set(groups.values()) == {worker1, worker2}, groups
        on_dead_node = next(st for st, g in groups.items() if g == worker1)
        node_1 = [prod.pid_of(name) for name in ("web1", "ws1", "worker1")]
        for pid in node_1:  # the machine lost at once: no process says goodbye
            os.killpg(pid, signal.SIGKILL)
        assert on_dead_node.effects() == 0  # killed in the middle of it
        killed_at = len(acknowledged)
        for pid in node_1:
            wait_for(lambda pid=pid: not group_alive(pid), timeout=10, what="node 1 to die")
        wait_for(lambda: len(acknowledged) >= killed_at + 40, timeout=60, what="traffic after the kill")
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)

    # HTTP: only node 2 answers now. A request a dying worker had already received may fail
    # (the gate retries it); none that was acknowledged is lost, and none is stored twice.
    assert {json.loads(get(f"{prod.url}/healthz")[1])["node"] for _ in range(6)} == {"web2"}
    assert len(failures) <= 4, failures
    ids = json.dumps(acknowledged)
    stored = prod.manage(
        "import json; from access.models import AccessEvent; "
        f"ids = json.loads({ids!r}); "
        f"print(AccessEvent.objects.filter(device_id={device['device_id']}, idempotency_key__in=ids).count())"
    )
    assert int(stored) == len(acknowledged)

    # Websockets: the client on node 1 lost its connection; it reconnects through nginx and
    # lands on node 2, where the client that was there all along still gets the feed.
    with pytest.raises(ConnectionError):
        while True:
            on_node_1.recv()
    on_node_1.close()
    reconnected = _subscribe(prod.port, cookie, int(watched["estate_id"]))
    try:
        event_id = f"after-node-kill-{uuid.uuid4().hex[:8]}"
        status, answer = post_events(prod.url, watched["token"], [device_event(event_id)])
        assert (status, answer["accepted"]) == (200, 1), answer
        stored_id = int(
            prod.manage(
                "from access.models import AccessEvent; "
                f"print(AccessEvent.objects.get(idempotency_key={event_id!r}).pk)"
            )
        )
        assert _receives(on_node_2, stored_id) and _receives(reconnected, stored_id)
    finally:
        on_node_2.close()
        reconnected.close()

    # Tasks: the one node 1's worker was running comes back after the visibility timeout and
    # node 2's worker runs it; each drill's effect happened exactly once.
    wait_for(
        lambda: all(st.effects() == 1 for st in states),
        timeout=VISIBILITY_TIMEOUT + 90,
        interval=1,
        what="the dead node's task to run on node 2",
    )
    assert on_dead_node.attempts() == 2
    assert _process_group(on_dead_node.running_pid()) == worker2
    assert all(st.effects() == 1 and st.attempts() in (1, 2) for st in states)
