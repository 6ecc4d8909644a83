"""``make prod``: the production topology on one machine.

nginx (Debian's) in front on PORT; gunicorn (WSGI, sync workers) for HTTP; daphne for /ws/
only; a Celery worker and Celery beat; against DATABASE_URL (PostgreSQL) and REDIS_URL.
Before starting: checks both services, creates the database when missing, installs nginx with
apt-get when it is missing (as root), runs ``migrate`` and ``collectstatic``. Then runs the
Procfile (scripts/procfile.py) until Ctrl-C or SIGTERM, which stops every process.

With NODES=2 (or more) each web node — its own gunicorn and its own daphne, named web1/ws1,
web2/ws2 … — stands behind one nginx upstream, as separate machines would; they share only
PostgreSQL and Redis. The node ports are written to PROD_DIR/topology.json (tests and
benchmarks address single nodes through it). One Celery worker serves them all, unless
NODE_WORKERS=true: then each node also runs a worker of its own (worker1, worker2 …), as
machines that each run the whole stack but beat would; beat always runs once.

Environment (all optional):
  NODES          web nodes (1)
  PROD_KEEP_GOING=true  keep the rest running when one process dies (fault drills)
  NODE_WORKERS=true  with NODES>1, a Celery worker per node instead of one for all
  DATABASE_URL   default postgres://postgres@127.0.0.1:5432/community_prod
  REDIS_URL      default redis://127.0.0.1:6379/0
  PORT, HOST     where nginx listens (default 127.0.0.1:8000)
  WEB_CONCURRENCY gunicorn workers (cores + 1)   CELERY_CONCURRENCY worker processes (2)
  NGINX_WORKERS  nginx worker processes (1)   GUNICORN_PORT, DAPHNE_PORT (free ports)
  PROD_SEED_DEMO=true  also run seed_demo before starting
  PROD_DIR       where the generated nginx.conf, pid and temp files go (var/prod)
  TRUSTED_PROXY_COUNT proxies in front of Django (1: this nginx; add one per load balancer)
  SECRET_KEY, ALLOWED_HOSTS, CSRF_TRUSTED_ORIGINS ... as in community/settings.py
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from procfile import Runner, parse

ROOT = Path(__file__).resolve().parent.parent
# Generated nginx config, pid files and nginx temp files; PROD_DIR overrides (tests use their own).
PROD_DIR = Path(os.environ.get("PROD_DIR") or ROOT / "var" / "prod").resolve()
BIN = Path(sys.executable).parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/community_prod"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


STARTED = time.monotonic()


def log(message: str) -> None:
    print(f"make prod [{time.monotonic() - STARTED:5.1f}s]: {message}", flush=True)


def fail(message: str) -> None:
    print(f"make prod: error: {message}", file=sys.stderr, flush=True)
    sys.exit(2)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_nginx() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)


def ensure_nginx(*, install: bool = True) -> str | None:
    """The nginx binary; installs Debian's nginx-light (or nginx) with apt-get when missing."""
    found = find_nginx()
    if found or not install:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return None
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for package in ("nginx-light", "nginx"):
        for attempt in range(2):
            if attempt:
                subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)
            log(f"nginx is missing: apt-get install {package}")
            done = subprocess.run(
                ["apt-get", "install", "-y", "-qq", "--no-install-recommends", package], env=env, check=False
            )
            if done.returncode == 0 and (found := find_nginx()):
                return found
    return None


def ensure_database(url: str) -> None:
    """Connect to the PostgreSQL database; create it when the server says it does not exist."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    try:
        psycopg.connect(url, connect_timeout=3).close()
        return
    except psycopg.OperationalError as exc:
        if "does not exist" not in str(exc):
            fail(f"PostgreSQL at {parts.hostname}:{parts.port or 5432} does not answer: {exc}".strip())
    admin_url = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # name comes from the operator's own DATABASE_URL
    log(f"created database {name}")


def ensure_redis(url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        fail(
            f"Redis at {url} does not answer ({exc}). Start it, e.g.: redis-server --daemonize yes "
            "--bind 127.0.0.1 --port 6379 --save '' --appendonly no"
        )


PER_NODE = {"web": "GUNICORN_PORT", "ws": "DAPHNE_PORT"}


def node_entries(
    entries: list[tuple[str, str]], nodes: list[dict], prod_dir: Path, *, node_workers: bool = False
) -> tuple[list[tuple[str, str]], dict[str, dict[str, str]]]:
    """The Procfile with its web and ws lines once per node, each with that node's port and
    NODE_NAME; the other lines (worker, beat, nginx) once — the worker too once per node with
    ``node_workers``. With one node the names stay ``web``, ``ws`` and ``worker``."""
    expanded: list[tuple[str, str]] = []
    env_by_name: dict[str, dict[str, str]] = {}
    for name, command in entries:
        if name == "worker" and node_workers and len(nodes) > 1:
            for node in nodes:
                entry = f"{name}{node['index']}"
                # Its own Celery node name: two workers called celery@host would look like one.
                expanded.append((entry, f"{command} --hostname {node['name']}@%h"))
                env_by_name[entry] = {"NODE_NAME": node["name"]}
            continue
        if name not in PER_NODE:
            expanded.append((name, command))
            continue
        variable = PER_NODE[name]
        for node in nodes:
            entry = name if len(nodes) == 1 else f"{name}{node['index']}"
            port = str(node[variable.lower()])
            expanded.append((entry, command.replace("${" + variable + "}", port)))
            metrics_dir = prod_dir / "metrics" / entry
            shutil.rmtree(metrics_dir, ignore_errors=True)
            metrics_dir.mkdir(parents=True)
            env_by_name[entry] = {
                variable: port,
                "NODE_NAME": node["name"],
                # Each gunicorn worker is a process: prometheus_client adds them up from here.
                "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
            }
    return expanded, env_by_name


def upstream_servers(nodes: list[dict], key: str) -> str:
    # One failed connection takes a node out for 10 s; the request goes to the next node
    # (proxy_next_upstream), so a killed node costs no request that nginx could re-send.
    return "\n        ".join(f"server 127.0.0.1:{node[key]} max_fails=1 fail_timeout=10s;" for node in nodes)


def nginx_access_log(value: str) -> str:
    """The access_log directive's arguments: off, or a file in the template's masked format
    (device tokens and query-string secrets masked; nginx's own formats log them in clear)."""
    value = (value or "off").strip()
    return "off" if value == "off" else f"{value} masked"


def render_nginx(template: Path, values: dict[str, str]) -> str:
    text = template.read_text()
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    if "{{" in text:
        fail(f"unfilled placeholder in {template}: {text[text.index('{{') :][:40]}")
    return text


PREPARE = """
import sys
import django
from django.conf import settings
from django.core.management import call_command
django.setup()
call_command("migrate", interactive=False, verbosity=1)
call_command("collectstatic", interactive=False, verbosity=0)
if "--seed" in sys.argv:
    call_command("seed_demo", no_progress=True)
print(f"STATIC_ROOT={settings.STATIC_ROOT}")
"""


def prepare(env: dict[str, str], *, seed: bool) -> str:
    """migrate, collectstatic (and seed_demo) in one process: Django starts once, not three times."""
    log("migrate, collectstatic" + (", seed_demo" if seed else ""))
    done = subprocess.run(
        [str(BIN / "python"), "-c", PREPARE, *(["--seed"] if seed else [])],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "community.settings"},
        stdout=subprocess.PIPE,
        text=True,
    )
    sys.stdout.write(
        "".join(line + "\n" for line in done.stdout.splitlines() if not line.startswith("STATIC_ROOT="))
    )
    if done.returncode != 0:
        fail("preparing the database and static files failed (see above)")
    return next(line.split("=", 1)[1] for line in done.stdout.splitlines() if line.startswith("STATIC_ROOT="))


def announce_when_ready(url: str, stop: threading.Event) -> None:
    deadline = time.monotonic() + 120
    while not stop.is_set() and time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}healthz", timeout=2) as response:  # noqa: S310 - our own URL
                if response.status == 200:
                    log(f"ready: {url}  (portal {url}portal/, admin {url}admin/, health {url}healthz)")
                    return
        except OSError:
            pass
        time.sleep(0.5)


def main() -> int:
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    env.setdefault("REDIS_URL", DEFAULT_REDIS_URL)
    if not env["DATABASE_URL"].startswith(("postgres://", "postgresql://", "pgsql://")):
        fail(f"make prod runs on PostgreSQL; DATABASE_URL is {env['DATABASE_URL']!r}")
    host, port = env.setdefault("HOST", "127.0.0.1"), env.setdefault("PORT", "8000")
    env.update(
        {
            "DEBUG": "false",
            # nginx listens on plain HTTP on this machine: no HTTPS redirect, no secure-only cookies.
            "SECURE_HTTPS": env.get("SECURE_HTTPS", "false"),
            # nginx serves /static/ from STATIC_ROOT; Django need not look in the source folders.
            "WHITENOISE_USE_FINDERS": "false",
            # One proxy (this nginx) appends the client address to X-Forwarded-For: rate limits
            # and lockouts key on that address, not on nginx's (docs/security.md "Proxies").
            "TRUSTED_PROXY_COUNT": env.get("TRUSTED_PROXY_COUNT", "1"),
            "PROD_DIR": str(PROD_DIR),
            "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
            "PYTHONUNBUFFERED": "1",
        }
    )
    # One sync worker per core left cores idle while workers waited on PostgreSQL (round trips,
    # the commit's flush): 13 % idle under 20 plate cameras, p99 48-56 ms. One more than the
    # cores filled it: p99 45-47 ms, +4 % decisions/s (bench/parking_decide.py, 2 cores,
    # docs/performance.md "Workers: cores + 1"); four on two cores was no better and less steady.
    env.setdefault("WEB_CONCURRENCY", str((os.cpu_count() or 1) + 1))
    # Behind exactly one proxy: DRF's throttles take the client from nginx's X-Forwarded-For.
    env.setdefault("NUM_PROXIES", "1")
    # One JSON object per log line, with the request id (community/ops); LOG_FORMAT=plain to read.
    env.setdefault("LOG_FORMAT", "json")
    try:
        node_count = int(env.get("NODES") or 1)
    except ValueError:
        node_count = 0
    if not 1 <= node_count <= 8:
        fail(f"NODES must be a number from 1 to 8; it is {env.get('NODES')!r}")
    nodes = [
        {
            "index": i,
            "name": f"web{i}" if node_count > 1 else env.get("NODE_NAME", ""),
            # With one node the fixed ports of the environment still apply.
            "gunicorn_port": int(env.get("GUNICORN_PORT") or 0) if node_count == 1 else 0,
            "daphne_port": int(env.get("DAPHNE_PORT") or 0) if node_count == 1 else 0,
        }
        for i in range(1, node_count + 1)
    ]
    for node in nodes:
        node["gunicorn_port"] = node["gunicorn_port"] or free_port()
        node["daphne_port"] = node["daphne_port"] or free_port()

    ensure_database(env["DATABASE_URL"])
    ensure_redis(env["REDIS_URL"])
    nginx = ensure_nginx()
    if not nginx:
        fail("nginx is not installed and could not be installed (apt-get install nginx-light, as root)")
    env["NGINX"] = nginx

    for sub in ("tmp/client_body", "tmp/proxy", "tmp/fastcgi", "tmp/uwsgi", "tmp/scgi"):
        (PROD_DIR / sub).mkdir(parents=True, exist_ok=True)
    static_root = prepare(env, seed=env.get("PROD_SEED_DEMO", "").lower() in ("1", "true", "yes"))
    # Workers run as the invoking user: as root nginx would drop to "nobody", who may not read
    # files under a root-owned checkout.
    user = pwd.getpwuid(os.geteuid()).pw_name
    conf = render_nginx(
        ROOT / "deploy" / "nginx.conf.template",
        {
            "user_directive": f"user {user};" if os.geteuid() == 0 else "",
            "nginx_workers": env.get("NGINX_WORKERS", "1"),
            "prod_dir": str(PROD_DIR),
            "mime_types": "/etc/nginx/mime.types" if Path("/etc/nginx/mime.types").exists() else "mime.types",
            "access_log": nginx_access_log(env.get("NGINX_ACCESS_LOG", "off")),
            "http_servers": upstream_servers(nodes, "gunicorn_port"),
            "ws_servers": upstream_servers(nodes, "daphne_port"),
            # How long nginx waits for a client's headers or the next piece of its body before
            # giving up (slow-loris, a phone that lost signal mid-upload).
            "client_timeout": env.get("NGINX_CLIENT_TIMEOUT", "15s"),
            "host": host,
            "port": port,
            "static_root": static_root,
        },
    )
    (PROD_DIR / "nginx.conf").write_text(conf)
    check = subprocess.run(
        [nginx, "-t", "-q", "-p", str(PROD_DIR), "-c", str(PROD_DIR / "nginx.conf"), "-e", "stderr"],
        capture_output=True,
        text=True,
    )
    if check.returncode != 0:
        fail(f"nginx rejected {PROD_DIR / 'nginx.conf'}:\n{check.stderr}")

    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{port}/"  # noqa: S104 - display only
    for node in nodes:
        log(
            f"node {node['name'] or 1}: gunicorn on 127.0.0.1:{node['gunicorn_port']} "
            f"({env['WEB_CONCURRENCY']} workers), daphne on 127.0.0.1:{node['daphne_port']} (/ws/)"
        )
    log(f"nginx on {host}:{port}")
    (PROD_DIR / "topology.json").write_text(json.dumps({"url": url, "nodes": nodes}, indent=2))
    stop = threading.Event()
    threading.Thread(target=announce_when_ready, args=(url, stop), daemon=True).start()
    os.chdir(ROOT)
    node_workers = env.get("NODE_WORKERS", "").lower() in ("1", "true", "yes")
    entries, env_by_name = node_entries(
        parse((ROOT / "Procfile").read_text()), nodes, PROD_DIR, node_workers=node_workers
    )
    keep_going = env.get("PROD_KEEP_GOING", "").lower() in ("1", "true", "yes")
    code = Runner(entries, env=env, env_by_name=env_by_name, keep_going=keep_going).run()
    stop.set()
    return code


if __name__ == "__main__":
    sys.exit(main())
