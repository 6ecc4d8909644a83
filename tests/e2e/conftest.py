"""Browser tests: Playwright driving Debian's chromium (no browser download) against
pytest-django's live_server. Only this folder allows Django's sync ORM inside the event loop
Playwright's sync API runs, hence the environment switch here and nowhere else."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-quic",
            "--no-first-run",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {
        **browser_context_args,
        "viewport": PHONE,
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
        "locale": "zh-CN",
    }


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Each browser test logs in from 127.0.0.1: start with allauth's rate-limit counters empty."""
    from django.core.cache import cache

    cache.clear()
