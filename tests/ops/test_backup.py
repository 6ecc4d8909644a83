"""`make backup` then `make restore` into a new database: every table's row count matches."""

from __future__ import annotations

import subprocess
import uuid

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from tests.factories import AnnouncementFactory, DeviceFactory, OccupancyFactory, TicketFactory

from .topology import ROOT, child_env

pytestmark = pytest.mark.topology


def _url(name: str) -> str:
    db = settings.DATABASES["default"]
    return f"postgresql://{db.get('USER') or 'postgres'}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{name}"


def _counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables "
                "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1"
            )
        ]
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}


def _make(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.django_db(transaction=True)
def test_backup_restores_into_a_new_database_with_every_count_matching(tmp_path, estate_a, household_a):
    if connection.vendor != "postgresql":
        pytest.skip("make backup / restore use pg_dump and pg_restore")
    TicketFactory.create_batch(3, category__estate=estate_a)
    AnnouncementFactory.create_batch(2, estate=estate_a)
    OccupancyFactory.create_batch(2, unit__building__estate=estate_a, resident__estate=estate_a)
    DeviceFactory(estate=estate_a)
    source = _url(settings.DATABASES["default"]["NAME"])
    target_name = f"restore_{uuid.uuid4().hex[:10]}"
    target = _url(target_name)
    dump = tmp_path / "community.dump"
    try:
        done = _make("backup", f"BACKUP={dump}", env=child_env(DATABASE_URL=source))
        assert done.returncode == 0, done.stderr
        assert dump.stat().st_size > 0
        done = _make("restore", f"BACKUP={dump}", env=child_env(DATABASE_URL=target))
        assert done.returncode == 0, done.stderr
        before, after = _counts(source), _counts(target)
        assert after == before
        assert before["public.tickets_ticket"] == 3 and before["public.residents_announcement"] == 2
        assert before["public.access_device"] == 1
        # A second restore into the now-filled database is refused: no accidental overwrite.
        again = _make("restore", f"BACKUP={dump}", env=child_env(DATABASE_URL=target))
        assert again.returncode != 0 and "already holds tables" in again.stderr
    finally:
        with psycopg.connect(_url("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{target_name}" WITH (FORCE)')
