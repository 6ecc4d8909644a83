"""Fixtures for the topology and fault tests (tests/ops/topology.py has the helpers)."""

from __future__ import annotations

import os

import pytest
from django.conf import settings

from .topology import PG_BIN, RedisServer, answers


def require_postgres_suite() -> None:
    """The topology drills run once per CI run: in the PostgreSQL half of the suite."""
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("the production topology runs on PostgreSQL; this suite runs on SQLite")


def fresh_machine_database(suffix: str) -> str:
    """A database of its own on the suite's PostgreSQL server, ``<suite database>_<suffix>``,
    dropped and created empty at every start: one left behind by an older branch holds that
    branch's migrations, and `migrate` of this branch then fails on it (it broke `make prod`).
    One suffix per test module: xdist runs modules side by side, and two modules must never
    drop each other's database."""
    import psycopg

    require_postgres_suite()
    default = settings.DATABASES["default"]
    host, port = default.get("HOST") or "127.0.0.1", int(default.get("PORT") or 5432)
    user = default.get("USER") or "postgres"
    base = os.environ.get("DATABASE_URL", "").rsplit("/", 1)[-1].split("?")[0] or "community"
    name = f"{base}_{suffix}"
    admin = f"postgresql://{user}@{host}:{port}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        # FORCE: a server of an earlier run killed without goodbye may still hold connections.
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgres://{user}@{host}:{port}/{name}"


def require_tools(*, nginx: bool = True, postgres: bool = False) -> None:
    import shutil

    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    if postgres and PG_BIN is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    if nginx:
        from importlib.util import module_from_spec, spec_from_file_location

        from .topology import ROOT

        spec = spec_from_file_location("prod_script", ROOT / "scripts" / "prod.py")
        module = module_from_spec(spec)
        spec.loader.exec_module(module)
        if not module.ensure_nginx():
            pytest.skip("nginx is not installed and could not be installed")


@pytest.fixture(scope="module")
def private_redis(tmp_path_factory):
    """A redis-server of this module's own, on a free port (never the machine's 6379)."""
    require_tools(nginx=False)
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    try:
        yield server
    finally:
        server.stop()
        assert not answers(server.port)
