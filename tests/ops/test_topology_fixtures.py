"""The topology fixtures start from an empty database every time (issue #16): a database left
by an older branch, with that branch's migrations recorded, must not survive into the next run."""

from __future__ import annotations

import psycopg

from .conftest import fresh_machine_database


def _tables(url: str) -> list[str]:
    with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as conn:
        return [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]


def test_a_stale_database_of_an_older_branch_is_dropped_and_created_empty():
    url = fresh_machine_database("ops_fixture_check")
    with psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        # What an older branch leaves: its migration history, and a connection still open.
        conn.execute("CREATE TABLE django_migrations (app text, name text)")
        conn.execute("INSERT INTO django_migrations VALUES ('ops', '0001_from_an_older_branch')")
        lingering = psycopg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        assert _tables(url) == ["django_migrations"]
        assert fresh_machine_database("ops_fixture_check") == url
        assert _tables(url) == []
    finally:
        lingering.close()
