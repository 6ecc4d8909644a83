"""`make prod` on one machine: nginx routes HTTP to gunicorn and /ws/ to the ASGI server.

Starts the real topology (nginx, gunicorn, daphne, Celery worker and beat) against the local
PostgreSQL and Redis on a free port, checks it through nginx the way a browser would, and
stops it with SIGTERM as Ctrl-C would. Runs only when the suite itself runs on PostgreSQL.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from tests.ops.topology import WebSocket, answers, free_port

ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(Path(sys.executable))


def _prod_module():
    spec = importlib.util.spec_from_file_location("prod_script", ROOT / "scripts" / "prod.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _group_alive(proc: subprocess.Popen) -> bool:
    """Any process left in make's process group (make itself reaped first: a zombie counts)."""
    proc.poll()
    pgid = proc.pid
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


# --- the fixture: make prod running on a free port -----------------------------------------


@pytest.fixture(scope="module")
def prod_server(tmp_path_factory):
    default = settings.DATABASES["default"]
    if default["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip(
            "make prod runs on PostgreSQL; this suite runs on " + default["ENGINE"].rsplit(".", 1)[-1]
        )
    host, pg_port = default.get("HOST") or "127.0.0.1", int(default.get("PORT") or 5432)
    if not answers(6379):
        pytest.skip("no Redis at 127.0.0.1:6379")
    if not _prod_module().ensure_nginx():
        pytest.skip("nginx is not installed and apt-get could not install nginx-light or nginx")
    base = os.environ.get("DATABASE_URL", "").rsplit("/", 1)[-1].split("?")[0] or "community"
    # One prod database per suite database (so per engineer / CI run), kept between runs.
    database_url = f"postgres://{default.get('USER') or 'postgres'}@{host}:{pg_port}/{base}_prod"
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "PYTEST_", "SECURE_", "STAFF_MFA", "STATIC_MANIFEST", "WHITENOISE"))
    }
    env.update(
        {
            "DATABASE_URL": database_url,
            "REDIS_URL": "redis://127.0.0.1:6379/14",
            "PORT": str(port),
            "HOST": "127.0.0.1",
            "WEB_CONCURRENCY": "2",
            "CELERY_CONCURRENCY": "1",
            "NGINX_WORKERS": "1",
        }
    )
    prod_dir = tmp_path_factory.mktemp("prod")
    env["PROD_DIR"] = str(prod_dir)
    log_path = prod_dir / "prod.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(
        ["make", "--no-print-directory", "prod"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    # A first run migrates a fresh database: ~15 s on an idle 2-core machine, far more when
    # the machine is shared, hence the generous bound.
    deadline = time.monotonic() + 120
    ready = False
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as r:
                ready = r.status == 200
        except OSError:
            pass
        if ready:
            break
        time.sleep(0.3)
    server = {"url": url, "port": port, "env": env, "proc": proc, "log": log_path}
    try:
        if not ready:
            pytest.fail(f"make prod did not answer /healthz within 120 s:\n{log_path.read_text()[-4000:]}")
        yield server
    finally:
        if proc.poll() is None or _group_alive(proc):
            os.killpg(proc.pid, signal.SIGTERM)
        stop_deadline = time.monotonic() + 20
        while _group_alive(proc) and time.monotonic() < stop_deadline:
            time.sleep(0.2)
        server["stopped_cleanly"] = not _group_alive(proc) and not answers(port)
        if _group_alive(proc):
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def _manage(server, code: str) -> str:
    done = subprocess.run(
        [PYTHON, "manage.py", "shell", "-v", "0", "-c", code],
        cwd=ROOT,
        env={**server["env"], "DEBUG": "false", "SECURE_HTTPS": "false"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_prod_topology_routes_http_to_wsgi_and_ws_to_asgi(prod_server):
    url, port = prod_server["url"], prod_server["port"]

    # HTTP through nginx to gunicorn, against PostgreSQL and Redis.
    with urllib.request.urlopen(f"{url}/healthz", timeout=5) as r:
        body = json.loads(r.read())
        assert r.headers["Server"].startswith("nginx")
    # Anonymous callers get the status word only (issue #15): "ok" means PostgreSQL, the Redis
    # cache and the Redis broker all answered.
    assert body == {"status": "ok"}

    # Static files come from the collected root, served by nginx itself (whitenoise would add
    # its CORS header; nginx's static location does not).
    with urllib.request.urlopen(f"{url}/static/admin/css/base.css", timeout=5) as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("text/css")
        assert "Access-Control-Allow-Origin" not in r.headers

    # An anonymous websocket is refused by the consumer: proof that /ws/ reached the ASGI app
    # (gunicorn would answer a plain 404 page and never speak websocket).
    anonymous = WebSocket(port, "/ws/")
    anonymous.close()
    assert anonymous.status == 403, anonymous.head

    # A logged-in user gets the upgrade, subscribes to their own group, and receives an event
    # published from another process through the Redis channel layer.
    cookie = _manage(
        prod_server,
        (
            "from django.contrib.auth import get_user_model; from django.test import Client; "
            "User = get_user_model(); "
            "u, _ = User.objects.get_or_create(username='prod-ws-probe', defaults={'phone': '+8613512345678'}); "
            "c = Client(); c.force_login(u, backend='django.contrib.auth.backends.ModelBackend'); "
            "print(f\"{u.pk} sessionid={c.cookies['sessionid'].value}\")"
        ),
    )
    user_id, session_cookie = cookie.split(" ", 1)
    ws = WebSocket(port, "/ws/", cookie=session_cookie)
    try:
        assert ws.status == 101, ws.head
        ws.send_text(json.dumps({"action": "subscribe", "group": f"user.{user_id}"}))
        opcode, payload = ws.recv()
        assert opcode == 1 and json.loads(payload) == {"subscribed": f"user.{user_id}"}
        _manage(
            prod_server,
            (
                "from community.realtime import publish_now; "
                f"publish_now('user.{user_id}', {{'kind': 'probe', 'text': '你好'}}); print('sent')"
            ),
        )
        opcode, payload = ws.recv()
        assert json.loads(payload) == {"group": f"user.{user_id}", "event": {"kind": "probe", "text": "你好"}}
    finally:
        ws.close()


def test_prod_stops_every_process_on_sigterm(prod_server):
    # Runs last in this module: the fixture's teardown does the stopping; check it here by
    # stopping now, as Ctrl-C at the terminal would.
    proc, port = prod_server["proc"], prod_server["port"]
    os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    while _group_alive(proc) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _group_alive(proc), prod_server["log"].read_text()[-3000:]
    assert not answers(port)
    out = prod_server["log"].read_text()
    for name in ("web", "ws", "worker", "beat", "nginx"):
        assert f"sent SIGTERM to {name}" in out or f"{name} exited" in out
