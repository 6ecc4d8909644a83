"""Test helpers for voting (not fixtures)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from tests.factories import meeting_noticed


def meeting_announced(**kwargs):
    """A noticed meeting whose voting opens tomorrow: the roll can still be corrected."""
    return meeting_noticed(now=timezone.now() + dt.timedelta(days=2), **kwargs)
