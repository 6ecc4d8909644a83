"""``make prod``: the production topology on one machine.

nginx (Debian's) in front on PORT; gunicorn (WSGI, sync workers) for HTTP; daphne for /ws/
only; a Celery worker and Celery beat; against DATABASE_URL (PostgreSQL) and REDIS_URL.
Before starting: checks both services, creates the database when missing, installs nginx with
apt-get when it is missing (as root), runs ``migrate`` and ``collectstatic``. Then runs the
Procfile (scripts/procfile.py) until Ctrl-C or SIGTERM, which stops every process.

Environment (all optional):
  DATABASE_URL   default postgres://postgres@127.0.0.1:5432/community_prod
  REDIS_URL      default redis://127.0.0.1:6379/0
  PORT, HOST     where nginx listens (default 127.0.0.1:8000)
  WEB_CONCURRENCY gunicorn workers (2)   CELERY_CONCURRENCY worker processes (2)
  NGINX_WORKERS  nginx worker processes (1)   GUNICORN_PORT, DAPHNE_PORT (free ports)
  PROD_SEED_DEMO=true  also run seed_demo before starting
  PROD_DIR       where the generated nginx.conf, pid and temp files go (var/prod)
  TRUSTED_PROXY_COUNT proxies in front of Django (1: this nginx; add one per load balancer)
  SECRET_KEY, ALLOWED_HOSTS, CSRF_TRUSTED_ORIGINS ... as in community/settings.py
"""

from __future__ import annotations

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
    env.setdefault("GUNICORN_PORT", str(free_port()))
    env.setdefault("DAPHNE_PORT", str(free_port()))
    env.setdefault("WEB_CONCURRENCY", "2")
    # nginx is the one proxy in front: per-address limits (logins, device credential guessing)
    # must see the client's address from X-Forwarded-For, not nginx's 127.0.0.1 for everyone.
    env.setdefault("NUM_PROXIES", "1")

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
            "access_log": env.get("NGINX_ACCESS_LOG", "off"),
            "gunicorn_port": env["GUNICORN_PORT"],
            "daphne_port": env["DAPHNE_PORT"],
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
    log(
        f"gunicorn on 127.0.0.1:{env['GUNICORN_PORT']} ({env['WEB_CONCURRENCY']} workers), "
        f"daphne on 127.0.0.1:{env['DAPHNE_PORT']} (/ws/), nginx on {host}:{port}"
    )
    stop = threading.Event()
    threading.Thread(target=announce_when_ready, args=(url, stop), daemon=True).start()
    os.chdir(ROOT)
    code = Runner(parse((ROOT / "Procfile").read_text()), env=env).run()
    stop.set()
    return code


if __name__ == "__main__":
    sys.exit(main())
