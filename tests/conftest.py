"""Shared fixtures: two estates with their own staff and households, to test both sides of
every scoping line."""

from __future__ import annotations

import pytest

from community.accounts.roles import StaffRole
from tests.factories import (
    BuildingFactory,
    EstateFactory,
    OccupancyFactory,
    ResidentFactory,
    StaffFactory,
    UnitFactory,
    UserFactory,
)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    # Before pytest's own -m deselection runs, so `-m e2e` / `-m "not e2e"` select by folder.
    for item in items:
        if "/e2e/" in str(item.path):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture
def estate_a(db):
    return EstateFactory(name="阳光花园", code="sunshine")


@pytest.fixture
def estate_b(db):
    return EstateFactory(name="翠湖苑", code="green-lake")


@pytest.fixture
def manager_a(estate_a):
    return StaffFactory(estate=estate_a, role=StaffRole.MANAGER, username="manager_a")


@pytest.fixture
def manager_b(estate_b):
    return StaffFactory(estate=estate_b, role=StaffRole.MANAGER, username="manager_b")


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


def _household(estate, *, phone: str, username: str):
    building = BuildingFactory(estate=estate)
    unit = UnitFactory(building=building)
    user = UserFactory(username=username, phone=phone)
    owner = ResidentFactory(estate=estate, user=user, phone=phone, name=f"{username}-业主")
    OccupancyFactory(unit=unit, resident=owner, is_primary_contact=True)
    family = ResidentFactory(estate=estate, name=f"{username}-家属")
    OccupancyFactory(unit=unit, resident=family, role="family")
    return user, unit


@pytest.fixture
def household_a(estate_a):
    """(user, unit): an owner with a login and a family member, in estate A."""
    return _household(estate_a, phone="+8613800000101", username="owner_a")


@pytest.fixture
def household_b(estate_b):
    return _household(estate_b, phone="+8613800000202", username="owner_b")


@pytest.fixture
def in_english(client):
    """For tests asserting messages in the source language (the site default is zh-hans):
    ``pytestmark = pytest.mark.usefixtures("in_english")``."""
    from django.utils import translation

    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def client_for(client):
    """Log a user in on the Django test client: ``client_for(user)``."""

    def login(user):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return login


@pytest.fixture(autouse=True)
def _clear_cache():
    """allauth's rate-limit counters live in the cache, devices in access.device_auth's in-process
    cache: no test may inherit another's."""
    from django.core.cache import cache

    from access.device_auth import device_cache_clear
    from exchange.passages import grant_cache_clear

    cache.clear()
    device_cache_clear()
    grant_cache_clear()
    yield
    cache.clear()
    device_cache_clear()
    grant_cache_clear()


@pytest.fixture
def calendar_2026(db):
    """The 2026 holiday table exactly as its data migration seeds it. A transactional test run
    earlier in the same worker flushes every table, migration data included, so tests that
    read the table seed it again (idempotently) instead of trusting the order they run in."""
    from importlib import import_module

    from django.apps import apps

    import_module("community.calendar.migrations.0002_seed_2026").seed(apps, None)


@pytest.fixture
def db_health_checks(monkeypatch):
    """Django's own health checks (each a SELECT 1 sent from is_usable(), outside the query
    log) made from now on, counted. ``new_request()`` asks for a fresh check as a real request
    does (the test client keeps Django's request_started handler away from the connection);
    ``backend_terminate()`` ends this connection's backend from the server side, as a restart
    or an idle timeout would, and waits for the notice to reach the socket."""
    import time
    from types import SimpleNamespace

    import psycopg
    from django.db import connection

    calls: list[int] = []
    is_usable = connection.is_usable
    monkeypatch.setattr(connection, "is_usable", lambda: calls.append(1) or is_usable())

    def new_request() -> None:
        connection.health_check_done = False

    def backend_terminate() -> None:
        pid = connection.connection.info.backend_pid
        with psycopg.connect(**connection.get_connection_params(), autocommit=True) as other:
            other.execute("SELECT pg_terminate_backend(%s)", [pid])
        time.sleep(0.2)

    return SimpleNamespace(calls=calls, new_request=new_request, backend_terminate=backend_terminate)
