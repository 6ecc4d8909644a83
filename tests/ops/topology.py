"""Helpers for the topology and fault tests: throwaway Redis and PostgreSQL servers on free
ports, `make prod` (NODES=n) started and stopped by pid, a minimal websocket client, device
traffic. Every process a test starts is stopped by that test, by its own pid; the machine's
PostgreSQL (5432) and Redis (6379) are never touched.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(Path(sys.executable))
CHINA = timezone(timedelta(hours=8))
PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)), None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(port: int, host: str = "127.0.0.1") -> bool:
    try:
        socket.create_connection((host, port), timeout=1).close()
        return True
    except OSError:
        return False


def wait_for(predicate, *, timeout: float, interval: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def group_alive(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return False
    return True


def stop_group(proc: subprocess.Popen, *, timeout: float = 20) -> None:
    """SIGTERM the process group we started, SIGKILL what is left after ``timeout``."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        proc.poll()
        if not group_alive(proc.pid):
            return
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


# --- throwaway Redis -------------------------------------------------------------------------


class RedisServer:
    """redis-server on a free port, no persistence; stop() and start() again on the same port."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
                "--logfile",
                str(self.workdir / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_for(lambda: answers(self.port), timeout=10, what="redis-server")
        return self

    def stop(self) -> None:
        if self.proc is not None:
            stop_group(self.proc, timeout=10)
            self.proc = None
        wait_for(lambda: not answers(self.port), timeout=10, what="redis-server to stop")


# --- throwaway PostgreSQL cluster --------------------------------------------------------------


class PostgresCluster:
    """initdb into a temporary directory, served on a free port; restart() as an outage drill.

    Runs as the ``postgres`` user when the tests run as root (initdb refuses root).
    """

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.data = workdir / "pgdata"
        self.sockets = workdir / "pgsock"
        self.log = workdir / "postgres.log"
        self.workdir = workdir

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/community"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(PG_BIN / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=check, timeout=120)

    def init(self) -> PostgresCluster:
        if os.geteuid() == 0:
            shutil.chown(self.workdir, "postgres")
        self.sockets.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.sockets, "postgres")
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
            "--locale=C.UTF-8",
        )
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"port = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.sockets}'\nfsync = off\nmax_connections = 40\n"
                "shared_buffers = 32MB\n"
            )
        return self

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop", check=False)

    def restart(self) -> None:
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-m", "fast", "-w", "-t", "60", "restart"
        )

    def createdb(self, name: str) -> None:
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)


# --- make prod -----------------------------------------------------------------------------


def child_env(**overrides: str) -> dict[str, str]:
    """The environment for a server we start: no test-only Django settings leak in."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "PYTEST_", "SECURE_", "STAFF_MFA", "STATIC_MANIFEST", "WHITENOISE"))
    }
    env.update(overrides)
    return env


class Prod:
    """`make prod` on a free port; ``nodes`` from PROD_DIR/topology.json once it is up."""

    def __init__(
        self, workdir: Path, *, database_url: str, redis_url: str, nodes: int = 1, **env: str
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workdir = workdir
        self.log_path = workdir / "prod.log"
        self.env = child_env(
            DATABASE_URL=database_url,
            REDIS_URL=redis_url,
            PORT=str(self.port),
            HOST="127.0.0.1",
            NODES=str(nodes),
            # These tests prove the topology; the staff-MFA gate (which also refuses a staff
            # websocket without an authenticator) is proven in tests/accounts and tests/core.
            STAFF_MFA_REQUIRED="false",
            WEB_CONCURRENCY="2",
            CELERY_CONCURRENCY="1",
            NGINX_WORKERS="1",
            PROD_DIR=str(workdir),
            **env,
        )
        self.proc: subprocess.Popen | None = None
        self.nodes: list[dict] = []

    def start(self, *, timeout: float = 600) -> Prod:
        # 600 s: the database is new (tests/ops/conftest.py), so `migrate` runs in full first.
        self._log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            ["make", "--no-print-directory", "prod"],
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

        def ready() -> bool:
            if self.proc.poll() is not None:
                raise AssertionError(f"make prod exited:\n{self.log()[-4000:]}")
            return get(f"{self.url}/healthz")[0] == 200

        try:
            wait_for(ready, timeout=timeout, interval=0.5, what=f"make prod /healthz\n{self.log()[-3000:]}")
        except BaseException:
            self.stop()
            raise
        self.nodes = json.loads((self.workdir / "topology.json").read_text())["nodes"]
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def pid_of(self, name: str) -> int:
        """The pid of a Procfile process (web1, ws2, worker ...), as the runner announced it."""
        found = re.findall(rf"started {re.escape(name)} \(pid (\d+)\)", self.log())
        assert found, f"no process {name} in the log"
        return int(found[-1])

    def manage(self, code: str, *, timeout: float = 90) -> str:
        """Python run in `manage.py shell` against the server's database; its last output line."""
        done = subprocess.run(
            [PYTHON, "manage.py", "shell", "-v", "0", "-c", code],
            cwd=ROOT,
            env={**self.env, "DEBUG": "false", "SECURE_HTTPS": "false", "LOG_FORMAT": "plain"},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""

    def session_cookie(self, username: str, *, superuser: bool = False) -> str:
        """A ``sessionid=...`` cookie of a user made (or updated) for the test."""
        return self.manage(
            "from django.contrib.auth import get_user_model; from django.test import Client; "
            f"u, _ = get_user_model().objects.get_or_create(username={username!r}); "
            f"u.is_staff = u.is_superuser = {superuser}; u.save(); "
            "c = Client(); c.force_login(u, backend='django.contrib.auth.backends.ModelBackend'); "
            "print('sessionid=' + c.cookies['sessionid'].value)"
        )

    def stop(self) -> None:
        if self.proc is not None:
            stop_group(self.proc, timeout=30)
            self.proc = None
            self._log.close()


# --- HTTP and websockets -----------------------------------------------------------------------


def request(
    method: str, url: str, body: bytes | None = None, *, headers: dict | None = None, timeout: float = 5
) -> tuple[int, bytes, dict]:
    """One HTTP request (redirects are answers, not followed); status 0 when nothing answered."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request(
            method, parts.path + (f"?{parts.query}" if parts.query else ""), body=body, headers=headers or {}
        )
        response = conn.getresponse()
        headers: dict[str, str] = {}
        for name, value in response.getheaders():  # several Set-Cookie lines stay one per line
            headers[name] = f"{headers[name]}\n{value}" if name in headers else value
        return response.status, response.read(), headers
    except (OSError, http.client.HTTPException):
        return 0, b"", {}
    finally:
        conn.close()


def get(url: str, *, headers: dict | None = None, timeout: float = 5) -> tuple[int, bytes, dict]:
    return request("GET", url, headers=headers, timeout=timeout)


def post(url: str, body: bytes, *, headers: dict | None = None, timeout: float = 10) -> tuple[int, bytes]:
    return request("POST", url, body, headers=headers, timeout=timeout)[:2]


class WebSocket:
    """A minimal websocket client (RFC 6455), enough to prove the routing."""

    def __init__(self, port: int, path: str, *, cookie: str = "") -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        headers = [
            f"GET {path} HTTP/1.1",
            f"Host: 127.0.0.1:{port}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
            f"Origin: http://127.0.0.1:{port}",
        ] + ([f"Cookie: {cookie}"] if cookie else [])
        self.sock.sendall(("\r\n".join(headers) + "\r\n\r\n").encode())
        response = b""
        while b"\r\n\r\n" not in response:
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            response += chunk
        self.head, _, self.pending = response.partition(b"\r\n\r\n")

    @property
    def status(self) -> int:
        return int(self.head.split(b"\r\n")[0].split()[1])

    def _recv_exact(self, n: int) -> bytes:
        while len(self.pending) < n:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("websocket closed")
            self.pending += chunk
        data, self.pending = self.pending[:n], self.pending[n:]
        return data

    def send_text(self, text: str) -> None:
        self._send(0x1, text.encode())

    def _send(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        header = bytes([0x80 | opcode])
        if len(payload) < 126:
            header += bytes([0x80 | len(payload)])
        else:
            header += bytes([0x80 | 126]) + struct.pack("!H", len(payload))
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def recv(self) -> tuple[int, bytes]:
        first, second = self._recv_exact(2)
        length = second & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", self._recv_exact(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", self._recv_exact(8))
        return first & 0x0F, self._recv_exact(length)

    def recv_json(self) -> dict:
        opcode, payload = self.recv()
        while opcode in (0x9, 0xA):  # daphne pings an idle client: answer, and read on
            if opcode == 0x9:
                self._send(0xA, payload)
            opcode, payload = self.recv()
        assert opcode == 1, (opcode, payload)
        return json.loads(payload)

    def close(self) -> None:
        self.sock.close()


# --- the ops.drill task (community/ops/tasks.py), read straight from Redis ---------------------


class Drill:
    def __init__(self, url: str, drill_id: str) -> None:
        import redis

        self.r = redis.Redis.from_url(url)
        self.prefix = f":1:ops:drill:{drill_id}:"  # Django's cache key prefix and version

    def _get(self, name: str):
        raw = self.r.get(self.prefix + name)
        if raw is None:
            return None
        if raw.isdigit():  # Django's Redis cache stores integers as plain numbers (INCR works)
            return int(raw)
        import pickle

        return pickle.loads(raw)  # our own cache, written by our own task

    def attempts(self) -> int:
        return self._get("attempts") or 0

    def effects(self) -> int:
        return self._get("effects") or 0

    def running_pid(self) -> int | None:
        running = self._get("running")
        return running["pid"] if running else None


# --- devices ---------------------------------------------------------------------------------

# A gate with one native-protocol device in a fresh estate; prints "<token> <estate id> <device id>".
DEVICE_SETUP = """
import secrets
from access.models import Device, Gate, Protocol, token_hash
from community.residents.models import Estate
estate, _ = Estate.objects.get_or_create(code="ops-drill", defaults={"name": "演练小区"})
gate, _ = Gate.objects.get_or_create(estate=estate, name="东门")
token = secrets.token_urlsafe(24)
device = Device.objects.create(estate=estate, gate=gate, name=f"drill-{secrets.token_hex(3)}",
    protocol=Protocol.NATIVE, approved=True, enabled=True, token_hash=token_hash(token))
print(token, estate.pk, device.pk)
"""


def device_event(event_id: str) -> dict:
    return {
        "event_id": event_id,
        "occurred_at": datetime.now(CHINA).isoformat(timespec="seconds"),
        "direction": "in",
        "method": "card",
        "result": "granted",
        "credential": {"type": "card", "value": "0012345678"},
    }


def post_events(base_url: str, token: str, events: list[dict], *, timeout: float = 10) -> tuple[int, dict]:
    status, body = post(
        f"{base_url}/api/v1/devices/events",
        json.dumps({"events": events}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        timeout=timeout,
    )
    try:
        return status, json.loads(body or b"{}")
    except ValueError:
        return status, {}
