from __future__ import annotations

import pytest
from django.core.cache import cache

from community.accounts.sms import LogSMSBackend


@pytest.fixture(autouse=True)
def _fresh_state():
    """Rate-limit counters live in the cache and SMS in a class-level outbox: start empty."""
    cache.clear()
    LogSMSBackend.outbox.clear()
    yield
    cache.clear()
    LogSMSBackend.outbox.clear()


@pytest.fixture
def sms_outbox():
    return LogSMSBackend.outbox
