"""The calendar's notifications, rendered in the reader's language."""

from __future__ import annotations

from django.utils.translation import gettext_noop

from community.notifications.messages import register

YEAR_MISSING = register(
    "calendar.year_missing",
    gettext_noop(
        "The %(year)s holiday calendar has not been entered: deadlines in %(year)s count its "
        "statutory holidays as working days. Enter it under Working calendar when the State "
        "Council publishes the arrangement."
    ),
)
