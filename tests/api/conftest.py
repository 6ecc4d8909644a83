"""API test helpers: a DRF client logged in as a given user, and a clean cache (throttles)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def _clean_cache():
    # Failed-login throttles live in the cache, which outlives a test's database transaction.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api():
    """An anonymous API client."""
    return APIClient()


@pytest.fixture
def api_as():
    """``api_as(user)``: an API client with a session for ``user`` (as the portal's JS has)."""

    def make(user):
        client = APIClient()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return make
