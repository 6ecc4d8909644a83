"""``make backup`` / ``make restore``: a logical dump of the PostgreSQL database and its restore.

  backup   pg_dump --format=custom of DATABASE_URL into --file (default
           var/backups/<database>-<UTC time>.dump); prints the file written.
  restore  pg_restore of --file into DATABASE_URL. The database is created when missing; an
           existing database that already holds tables is refused unless RESTORE_CLEAN=true
           (then objects are dropped first: --clean --if-exists). Ownership and grants are not
           restored (--no-owner --no-acl): the restoring role owns everything.

The dump is PostgreSQL's own format: compressed, and restorable table by table with
pg_restore. Point-in-time recovery (WAL archiving) is described in docs/operations.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent


def fail(message: str) -> None:
    print(f"make backup/restore: error: {message}", file=sys.stderr, flush=True)
    sys.exit(2)


def database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        fail(f"DATABASE_URL must name a PostgreSQL database; it is {url!r}")
    return url.replace("postgres://", "postgresql://", 1)


def tool(name: str) -> str:
    found = shutil.which(name) or next(
        (str(p) for p in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)), None
    )
    if not found:
        fail(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return found


def backup(target: str | None) -> Path:
    url = database_url()
    name = urlsplit(url).path.lstrip("/")
    path = Path(
        target or ROOT / "var" / "backups" / f"{name}-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.dump"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    done = subprocess.run(
        [tool("pg_dump"), "--format=custom", "--no-owner", "--no-acl", f"--file={partial}", url]
    )
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        fail("pg_dump failed (see above); no backup written")
    # Renamed only when complete: a half-written dump never carries the final name.
    partial.replace(path)
    print(f"backup written: {path} ({path.stat().st_size:,} bytes)")
    return path


def _ensure_database(url: str) -> bool:
    """Create the database when missing; True when it already holds tables."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')  # the operator's own DATABASE_URL
            print(f"created database {name}")
            return False
    with psycopg.connect(url, connect_timeout=5) as conn:
        tables = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        ).fetchone()[0]
    return tables > 0


def restore(source: str) -> None:
    url = database_url()
    path = Path(source)
    if not source or not path.is_file():
        fail(f"BACKUP must name a dump file written by make backup; got {source!r}")
    clean = os.environ.get("RESTORE_CLEAN", "").lower() in ("1", "true", "yes")
    if _ensure_database(url) and not clean:
        fail(
            f"{urlsplit(url).path.lstrip('/')} already holds tables: restore into a new database "
            "(and switch DATABASE_URL to it), or set RESTORE_CLEAN=true to drop and replace them"
        )
    command = [tool("pg_restore"), "--no-owner", "--no-acl", "--exit-on-error", "--single-transaction"]
    if clean:
        command += ["--clean", "--if-exists"]
    done = subprocess.run([*command, f"--dbname={url}", str(path)])
    if done.returncode != 0:
        fail("pg_restore failed (see above); the restore was rolled back")
    print(f"restored {path} into {urlsplit(url).path.lstrip('/')}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["backup", "restore"])
    parser.add_argument("--file", default=None)
    args = parser.parse_args(argv)
    if args.action == "backup":
        backup(args.file)
    else:
        restore(args.file or "")
    return 0


if __name__ == "__main__":
    sys.exit(main())
