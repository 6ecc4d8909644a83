"""``make pitr-drill``: point-in-time recovery, exercised end to end on a throwaway cluster.

The recipe of docs/operations.md "Backups", step by step, on a PostgreSQL cluster of its own
(initdb into a temporary directory, a free port; the machine's server is never touched):

1. a primary with WAL archiving to a local directory (``archive_command``);
2. a base backup (``pg_basebackup``);
3. writes that must come back; the time is noted (the moment to recover to);
4. later writes, then the accident the recovery undoes (every earlier row deleted);
5. the primary is lost; the base backup is laid into an empty data directory with
   ``restore_command`` and ``recovery_target_time``, started, checked while paused at the
   target, then promoted (``pg_wal_replay_resume()``) and written to.

It passes when exactly the rows written before the noted time are there, none written after,
and the promoted server accepts writes. Exit status 0 on success, 1 otherwise; ``--keep``
leaves the directory for a look. Needs the PostgreSQL server binaries (initdb, pg_ctl,
pg_basebackup); as root it runs them as the ``postgres`` user, as initdb requires.

Usage: python scripts/pitr_drill.py [--rows 200] [--keep]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)), None)


def say(message: str) -> None:
    print(f"pitr-drill: {message}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    command = [str(PG_BIN / args[0]), *args[1:]]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    if check and done.returncode != 0:
        raise RuntimeError(f"{args[0]} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


def own(path: Path) -> Path:
    """The postgres user must own what its server writes (when we run as root)."""
    if os.geteuid() == 0:
        shutil.chown(path, "postgres", "postgres")
    return path


class Cluster:
    def __init__(self, data: Path, port: int, log: Path) -> None:
        self.data, self.port, self.log = data, port, log

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def configure(self, **settings: str) -> None:
        with (self.data / "postgresql.auto.conf").open("a") as conf:
            for key, value in settings.items():
                conf.write(f"{key} = {value}\n")

    def start(self) -> None:
        run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "120", "start")

    def stop(self, mode: str = "fast") -> None:
        run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop", check=False)


def quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def write_rows(url: str, label: str, count: int) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        # One transaction per row, as an application writes: each commit is a point in the WAL.
        for n in range(count):
            conn.execute("INSERT INTO ledger (label, n) VALUES (%s, %s)", (label, n))


def counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return dict(conn.execute("SELECT label, count(*) FROM ledger GROUP BY label").fetchall())


def drill(workdir: Path, rows: int) -> bool:
    archive, base, sockets = workdir / "wal-archive", workdir / "base", workdir / "sock"
    for path in (archive, sockets):
        path.mkdir()
        own(path)

    say(f"initdb a primary in {workdir}, WAL archived to {archive}")
    primary = Cluster(workdir / "primary", free_port(), workdir / "primary.log")
    run("initdb", "-D", str(primary.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")
    primary.configure(
        port=str(primary.port),
        listen_addresses="'127.0.0.1'",
        unix_socket_directories=quoted(str(sockets)),
        wal_level="replica",
        archive_mode="on",
        archive_command=quoted(f"test ! -f {archive}/%f && cp %p {archive}/%f"),
    )
    primary.start()
    restored: Cluster | None = None
    try:
        with psycopg.connect(primary.url(), autocommit=True) as conn:
            conn.execute("CREATE DATABASE drill")
        with psycopg.connect(primary.url("drill"), autocommit=True) as conn:
            conn.execute(
                "CREATE TABLE ledger (id bigserial PRIMARY KEY, label text NOT NULL, n int NOT NULL, "
                "at timestamptz NOT NULL DEFAULT clock_timestamp())"
            )

        say(f"pg_basebackup into {base}")
        run(
            "pg_basebackup",
            "-h",
            "127.0.0.1",
            "-p",
            str(primary.port),
            "-U",
            "postgres",
            "-D",
            str(base),
            "-X",
            "stream",
            "-c",
            "fast",
        )

        write_rows(primary.url("drill"), "before", rows)
        time.sleep(1.0)  # the target lies strictly between the last "before" and the first "after"
        with psycopg.connect(primary.url("drill")) as conn:
            target = conn.execute("SELECT clock_timestamp()").fetchone()[0]
        time.sleep(1.0)
        say(f"{rows} rows written, then the time noted: {target.isoformat()}")
        write_rows(primary.url("drill"), "after", rows // 2)
        with psycopg.connect(primary.url("drill"), autocommit=True) as conn:
            conn.execute("DELETE FROM ledger WHERE label = 'before'")  # the accident
            # Close the current WAL segment so the archive holds everything up to here.
            last = conn.execute("SELECT pg_walfile_name(pg_switch_wal())").fetchone()[0]
        deadline = time.monotonic() + 60
        while not (archive / last).exists():
            if time.monotonic() > deadline:
                raise RuntimeError(f"WAL segment {last} was not archived within 60 s")
            time.sleep(0.2)
        say(f"{rows // 2} rows written after it, then every earlier row deleted; WAL archived up to {last}")
        assert counts(primary.url("drill")) == {"after": rows // 2}
        primary.stop(mode="immediate")  # the primary is lost
        say("primary stopped (lost); restoring the base backup to the noted time")

        restored = Cluster(workdir / "restored", free_port(), workdir / "restored.log")
        shutil.copytree(base, restored.data)
        if os.geteuid() == 0:
            subprocess.run(["chown", "-R", "postgres:postgres", str(restored.data)], check=True)
        restored.data.chmod(0o700)
        restored.configure(
            port=str(restored.port),
            archive_mode="off",  # a restored copy must not write into the primary's archive
            restore_command=quoted(f"cp {archive}/%f %p"),
            recovery_target_time=quoted(target.isoformat()),
            recovery_target_action="'pause'",
        )
        (restored.data / "recovery.signal").touch()
        own(restored.data / "recovery.signal")
        restored.start()

        # Paused at the target, read-only: check before promoting (docs/operations.md).
        deadline = time.monotonic() + 120
        while True:
            with psycopg.connect(restored.url("drill"), autocommit=True) as conn:
                state = conn.execute("SELECT pg_get_wal_replay_pause_state()").fetchone()[0]
            if state == "paused":
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"recovery did not pause at the target (state {state!r})")
            time.sleep(0.3)
        at_target = counts(restored.url("drill"))
        say(f"recovered to the target, paused: {at_target}")
        with psycopg.connect(restored.url("drill"), autocommit=True) as conn:
            conn.execute("SELECT pg_wal_replay_resume()")  # promote: a new timeline begins
            deadline = time.monotonic() + 60
            while conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]:
                if time.monotonic() > deadline:
                    raise RuntimeError("the restored server was not promoted within 60 s")
                time.sleep(0.3)
        write_rows(restored.url("drill"), "after-restore", 1)
        final = counts(restored.url("drill"))
        ok = at_target == {"before": rows} and final == {"before": rows, "after-restore": 1}
        say(f"promoted and writable: {final}")
        say(
            f"{'PASSED' if ok else 'FAILED'}: {rows} rows written before the noted time came back, "
            f"none written after it (expected {{'before': {rows}}}, got {at_target})"
        )
        return ok
    finally:
        if restored is not None:
            restored.stop(mode="immediate")
        primary.stop(mode="immediate")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200, help="rows written before the noted time (200)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)
    if PG_BIN is None or not (PG_BIN / "pg_basebackup").exists():
        say("the PostgreSQL server binaries are missing (apt-get install postgresql)")
        return 2
    # Not under /tmp of a private namespace the postgres user cannot see: a fresh directory
    # that user can enter.
    workdir = Path(tempfile.mkdtemp(prefix="pitr-drill-"))
    own(workdir)
    try:
        return 0 if drill(workdir, args.rows) else 1
    except (RuntimeError, psycopg.Error) as exc:
        say(f"FAILED: {exc}")
        for log in sorted(workdir.glob("*.log")):
            say(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}")
        return 1
    finally:
        if args.keep:
            say(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
