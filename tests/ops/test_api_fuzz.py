"""Hostile clients: schemathesis generates requests for every operation in /api/schema/ and
sends them anonymously, as a resident and as a manager. Every answer must be a non-5xx whose
body and content type match the schema.

Bounded for CI: SCHEMATHESIS_MAX_EXAMPLES examples per operation and role (default 10), in
process through the WSGI app (no server to start), against the suite's database.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from community.accounts.services import api_token_issue
from tests.factories import CategoryFactory, TicketFactory, UserFactory

from .conftest import require_postgres_suite

# A cache key built from what a client typed once reached memcached-hostile keys (the login
# throttle): such a key is an error here, so the fuzzer finds it again if it comes back.
pytestmark = [
    pytest.mark.fuzz,
    pytest.mark.filterwarnings("error::django.core.cache.backends.base.CacheKeyWarning"),
]

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "10"))
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
# Valid and invalid data (GenerationMode "all"), schema examples and random fuzzing; the
# exhaustive "coverage" phase (hundreds of boundary cases per operation) is for a nightly run:
# SCHEMATHESIS_COVERAGE=true.
CONFIG = SchemathesisConfig.from_dict(
    {"phases": {"coverage": {"enabled": os.environ.get("SCHEMATHESIS_COVERAGE", "") == "true"}}}
)


@pytest.fixture
def api_schema(db):
    # Once per CI run, in the PostgreSQL half of the suite (the SQLite half would double its time).
    require_postgres_suite()
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    from community.wsgi import application

    # As Django's test client does: the WSGI handler would close the connection that holds
    # this test's transaction at the end of every request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        # The schema needs a login in production (issue #15): read it as a signed-in user.
        reader = UserFactory(username="schema-reader")
        key = api_token_issue(user=reader, by=reader)[1]
        yield schemathesis.openapi.from_wsgi(
            "/api/schema/", application, config=CONFIG, headers={"Authorization": f"Token {key}"}
        )
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture
def headers_for(estate_a, household_a, manager_a):
    """Authorization headers per role, with a little data in scope so ids sometimes exist."""
    resident, unit = household_a
    TicketFactory(category=CategoryFactory(estate=estate_a), unit=unit)
    tokens = {
        "resident": api_token_issue(user=resident, by=resident)[1],
        "manager": api_token_issue(user=manager_a, by=manager_a)[1],
    }
    return lambda role: {"Authorization": f"Token {tokens[role]}"} if role in tokens else {}


FUZZ = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


@schema.parametrize()
@FUZZ
def test_api_as_anonymous(case, headers_for):
    case.call_and_validate(headers=headers_for("anonymous"), checks=CHECKS)


@schema.parametrize()
@FUZZ
def test_api_as_resident(case, headers_for):
    case.call_and_validate(headers=headers_for("resident"), checks=CHECKS)


@schema.parametrize()
@FUZZ
def test_api_as_manager(case, headers_for):
    case.call_and_validate(headers=headers_for("manager"), checks=CHECKS)
