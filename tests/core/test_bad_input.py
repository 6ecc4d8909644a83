"""Issue #15 item 11: inputs that used to answer 500 no longer do, wherever they land.

NUL characters (PostgreSQL text cannot hold them) in any form field and query of the portal,
worker, staff and account pages; integers beyond 64 bits (SQLite cannot bind them) in API
bodies; an admin date filter at year 1 (the time-zone shift leaves the calendar). A view may
answer them itself (a form error, "nothing found"); what reaches the database is a 400
(``community.middleware.BadInputGuardMiddleware``). Every route is tried, not a list of known ones.
"""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

HUGE = [2**63, 2**64 + 1, 10**30, -(2**63) - 1]


def _routes(prefixes: tuple[str, ...]) -> list[str]:
    """Every URL under ``prefixes``, path parameters filled with 1 (or "x" for text)."""
    found = []

    def walk(patterns, prefix):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and route.startswith(prefixes):
                path = re.sub(r"<int:\w+>", "1", route)
                path = re.sub(r"<(?:str|slug):\w+>", "x", path)
                if "<" not in path and "^" not in path and "(" not in path:
                    found.append("/" + path)

    walk(get_resolver().url_patterns, "")
    return sorted(set(found))


FORM_ROUTES = _routes(("portal/", "worker/", "staff/", "accounts/"))


def test_the_routes_were_found():
    assert {"/worker/", "/staff/access/", "/portal/me/", "/accounts/login/"} <= set(FORM_ROUTES)


@pytest.mark.parametrize("path", FORM_ROUTES)
def test_a_nul_in_any_form_field_or_query_is_never_a_500(client, estate_a, household_a, path):
    user, _unit = household_a
    staff = StaffFactory(estate=estate_a, role="manager")
    fields = {
        "body": "水龙头\x00漏水",
        "reason": "x\x00",
        "version": "1",
        "code": "\x00",
        "q": "\x00",
        "page": "\x00",
    }
    for who in (user, staff):
        client.force_login(who)
        for response in (client.post(path, fields), client.get(path, fields)):
            assert response.status_code < 500, (path, response.status_code)


@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.text(min_size=1, max_size=20).map(lambda s: s[: len(s) // 2] + "\x00" + s[len(s) // 2 :]))
def test_nul_anywhere_in_a_query_or_form_is_never_a_500(client, household_a, value):
    user, _unit = household_a
    client.force_login(user)
    assert client.get("/portal/tickets/", {"q": value, "status": value}).status_code < 500
    assert client.post("/portal/tickets/new/", {"description": value}).status_code < 500
    assert client.get("/admin/residents/resident/", {"q": value}).status_code < 500
    assert client.post("/accounts/login/", {"login": value, "password": "x"}).status_code < 500


@pytest.mark.parametrize("number", HUGE)
def test_huge_ids_in_mark_read_are_a_4xx(household_a, number):
    user, _unit = household_a
    api = APIClient()
    api.force_login(user)
    response = api.post("/api/v1/notifications/mark-read/", {"ids": [number]}, format="json")
    # SQLite cannot bind the number: 400. PostgreSQL compares it as numeric: nothing matches.
    assert response.status_code in (200, 400), response.content
    assert response.json() == {"marked": 0} if response.status_code == 200 else "error" in response.json()


@pytest.mark.parametrize("number", HUGE)
def test_a_huge_gate_in_device_verify_is_a_4xx(estate_a, number):
    from tests.factories import DeviceFactory, GateFactory

    device = DeviceFactory(estate=estate_a, gate=GateFactory(estate=estate_a), token="verify-fuzz-token-01")
    api = APIClient()
    response = api.post(
        "/api/v1/devices/verify",
        {"type": "card", "value": "0012345678", "gate": number},
        format="json",
        HTTP_AUTHORIZATION="Bearer verify-fuzz-token-01",
    )
    assert response.status_code < 500, response.content  # refused or "not allowed", never a crash
    assert device.pk


@pytest.mark.parametrize(
    "query",
    [
        "created_at__year=1",
        "created_at__year=1&created_at__month=1&created_at__day=1",
        "created_at__year=9999&created_at__month=12&created_at__day=31",
        "created_at__gte=0001-01-01+00:00:00&created_at__lt=0001-01-02+00:00:00",
    ],
)
def test_admin_date_filters_at_the_ends_of_the_calendar_are_not_500(client, superuser, query):
    client.force_login(superuser)
    for url in ("/admin/tickets/ticket/", "/admin/accounts/invitation/"):
        response = client.get(f"{url}?{query}")
        assert response.status_code < 500, (url, query, response.status_code)


def test_the_guard_answers_a_database_refusal_of_nul_with_400(rf):
    """What psycopg raises for a NUL in a query parameter becomes a 400, not a 500."""
    from django.db import DataError

    from community.middleware import BadInputGuardMiddleware

    guard = BadInputGuardMiddleware(lambda request: None)
    refusal = DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes")
    assert guard.process_exception(rf.post("/worker/tickets/1/note/"), refusal).status_code == 400
    api = guard.process_exception(rf.post("/api/v1/tickets/"), refusal)
    assert api.status_code == 400 and b"nul_character" in api.content
    assert guard.process_exception(rf.get("/"), DataError("value too long")) is None
