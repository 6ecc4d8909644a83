"""Shared helpers for benchmarks: run `make prod` on PostgreSQL, load it, print figures.

A benchmark script does, for example::

    from _common import ProdServer, load, report

    with ProdServer(seed_demo=True) as server:
        base = load(server.url + "/healthz", duration=10)
        page = load(server.url + "/portal/", duration=10, headers={"Cookie": server.login("13800000001")})
    report("portal home vs /healthz", page, baseline=base)

Figures are throughput (requests/s), latency percentiles (ms) and errors. `load` uses wrk when
it is installed (Debian package ``wrk``; `ensure_wrk()` installs it as root) and a small
Python load generator otherwise; both send traffic only to 127.0.0.1, bounded in time.
Benchmarks print their figures and the same run's baseline; they are not timed tests.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench_prod"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ProdServer:
    """`make prod` on a free port against PostgreSQL + Redis, stopped on exit.

    ``env`` overrides the environment (e.g. ``{"WEB_CONCURRENCY": "4"}``). The database is
    ``BENCH_DATABASE_URL`` or ``bench_prod`` on the local server, kept between runs so only the
    first run migrates; ``fresh_database=True`` drops and creates it first (a database left by
    another branch holds that branch's migrations, and rounds compared with each other should
    start from the same data).
    """

    def __init__(
        self,
        *,
        env: dict[str, str] | None = None,
        seed_demo: bool = False,
        timeout: float = 180,
        fresh_database: bool = False,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.timeout = timeout
        self.prod_dir = Path(tempfile.mkdtemp(prefix="bench-prod-"))
        self.log_path = self.prod_dir / "prod.log"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
        self.env.update(
            {
                "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
                "REDIS_URL": os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL),
                "PORT": str(self.port),
                "HOST": "127.0.0.1",
                "PROD_DIR": str(self.prod_dir),
                "PROD_SEED_DEMO": "true" if seed_demo else "false",
                "CELERY_LOG_LEVEL": "WARNING",
                **(env or {}),
            }
        )
        self.proc: subprocess.Popen | None = None
        self.fresh_database = fresh_database

    def _recreate_database(self) -> None:
        import psycopg

        parts = urlsplit(self.env["DATABASE_URL"])
        name = parts.path.lstrip("/")
        admin = parts._replace(scheme="postgresql", path="/postgres").geturl()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')

    def __enter__(self) -> ProdServer:
        if self.fresh_database:
            self._recreate_database()
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            ["make", "--no-print-directory", "prod"],
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"make prod exited:\n{self.log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(
            f"make prod not ready in {self.timeout:.0f}s:\n{self.log_path.read_text()[-3000:]}"
        )

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            self.proc.poll()
            try:
                os.killpg(self.proc.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.2)
        else:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self._log.close()
        self.proc = None

    def manage(self, *args: str) -> str:
        """Run a management command against the server's database; returns its stdout."""
        done = subprocess.run(
            [str(PYTHON), "manage.py", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env={**self.env, "DEBUG": "false", "SECURE_HTTPS": "false"},
            check=True,
        )
        return done.stdout

    def login(self, username: str) -> str:
        """A ``Cookie`` header value for a logged-in session of ``username`` (phone or username)."""
        code = (
            "from django.contrib.auth import get_user_model; from django.db.models import Q; "
            "from django.test import Client; "
            f"u = get_user_model().objects.get(Q(username={username!r}) | Q(phone='+86' + {username!r})); "
            "c = Client(); c.force_login(u, backend='django.contrib.auth.backends.ModelBackend'); "
            "print('sessionid=' + c.cookies['sessionid'].value)"
        )
        return self.manage("shell", "-v", "0", "-c", code).strip().splitlines()[-1]


def ensure_wrk() -> str | None:
    """The wrk binary; installs Debian's ``wrk`` with apt-get when missing and running as root."""
    found = shutil.which("wrk")
    if found or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env, capture_output=True).returncode:
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env, capture_output=True)
    return shutil.which("wrk")


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(
    url: str,
    *,
    duration: float = 10,
    connections: int = 16,
    threads: int = 2,
    headers: dict[str, str] | None = None,
    script: str | None = None,
) -> dict:
    """Load ``url`` with wrk; returns requests_per_s, p50_ms, p99_ms, requests, errors."""
    assert urlsplit(url).hostname in ("127.0.0.1", "localhost", "::1"), "benchmarks load loopback only"
    cmd = [ensure_wrk() or "wrk", f"-t{threads}", f"-c{connections}", f"-d{int(duration)}s", "--latency"]
    for key, value in (headers or {}).items():
        cmd += ["-H", f"{key}: {value}"]
    if script:
        cmd += ["-s", script]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    figures = {
        "tool": "wrk",
        "requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
    }
    for pct in ("50", "99"):
        m = re.search(rf"^\s+{pct}(?:\.000)?%\s+([\d.]+)(us|ms|s|m)\b", out, re.M)
        figures[f"p{pct}_ms"] = _ms(*m.groups()) if m else None
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    figures["errors"] = (int(non2xx.group(1)) if non2xx else 0) + (
        sum(map(int, sock.groups())) if sock else 0
    )
    return figures


def pyload(
    url: str,
    *,
    duration: float = 10,
    concurrency: int = 8,
    method: str = "GET",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> dict:
    """A small keep-alive load generator in threads, for when wrk is not available.

    It shares the 2 cores with the server, so its figures are lower than wrk's: compare a
    benchmark only with a baseline measured the same way in the same run.
    """
    parts = urlsplit(url)
    assert parts.hostname in ("127.0.0.1", "localhost", "::1"), "benchmarks load loopback only"
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + duration

    def worker() -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        mine, failed = [], 0
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers or {})
                response = conn.getresponse()
                response.read()
                if response.status >= 400:
                    failed += 1
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException):
                failed += 1
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
            mine.append(time.perf_counter() - started)
        conn.close()
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    latencies.sort()

    def pct(p: float) -> float | None:
        return (
            round(latencies[min(len(latencies) - 1, int(len(latencies) * p))] * 1000, 2)
            if latencies
            else None
        )

    return {
        "tool": "python",
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "requests": len(latencies),
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "errors": errors[0],
        "mean_ms": round(statistics.fmean(latencies) * 1000, 2) if latencies else None,
    }


def load(url: str, **kwargs) -> dict:
    """wrk when available (or installable), else the Python generator."""
    if ensure_wrk():
        return wrk(
            url,
            **{
                k: v
                for k, v in kwargs.items()
                if k in ("duration", "connections", "threads", "headers", "script")
            },
        )
    if "connections" in kwargs:
        kwargs["concurrency"] = kwargs.pop("connections")
    return pyload(
        url,
        **{k: v for k, v in kwargs.items() if k in ("duration", "concurrency", "method", "body", "headers")},
    )


def report(name: str, figures: dict, *, baseline: dict | None = None, target: str = "") -> None:
    """Print one benchmark's figures, the same run's baseline and the ratio between them."""

    def line(label: str, f: dict) -> str:
        return (
            f"  {label:<9} {f['requests_per_s']:>9.1f} req/s  p50 {f.get('p50_ms') or 0:>7.2f} ms  "
            f"p99 {f.get('p99_ms') or 0:>7.2f} ms  errors {f['errors']}  ({f['tool']}, {f['requests']} requests)"
        )

    print(f"{name}")
    print(line("measured", figures))
    if baseline:
        print(line("baseline", baseline))
        if baseline["requests_per_s"]:
            print(
                f"  ratio     {figures['requests_per_s'] / baseline['requests_per_s']:.2f} of baseline throughput"
            )
    if target:
        print(f"  target    {target}")
    sys.stdout.flush()
