"""Keeping the yearly table filled in.

Deadlines (tickets' response and repair times, the community office's time limits) count
working days from this table. A year with no rows is read as "Monday to Friday": Spring
Festival and National Day would count as working days and every deadline across them would
fall days early, silently. The State Council publishes next year's arrangement in the last
weeks of the year, and nobody is told to enter it: ``calendar_gaps_remind`` tells the managers.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.contrib.auth import get_user_model
from django.utils import timezone

from community.notifications.models import Notification
from community.notifications.services import notification_send

from .messages import YEAR_MISSING
from .models import CalendarDay

logger = logging.getLogger(__name__)

# From this day (month, day) the next year is checked too: the arrangement is usually
# published in October or November, and deadlines of late December already reach into January.
NEXT_YEAR_FROM = (11, 1)
CALENDAR_URL = "/admin/calendar/calendarday/"
EDIT_PERMISSION = "calendar.add_calendarday"


def calendar_years_missing(*, today: dt.date | None = None) -> list[int]:
    """The years deadlines may reach now that have no row in the table: this year, and from
    November also the next."""
    today = today or timezone.localdate()
    years = [today.year]
    if (today.month, today.day) >= NEXT_YEAR_FROM:
        years.append(today.year + 1)
    entered = set(
        CalendarDay.objects.filter(date__year__in=years).values_list("date__year", flat=True).distinct()
    )
    return [year for year in years if year not in entered]


def calendar_gaps_remind(*, by: str, today: dt.date | None = None) -> int:
    """Notify whoever may enter the table (the permission decides: managers' role holds it,
    and platform administrators) of each missing year, once per person and year; returns how
    many notifications were sent."""
    missing = calendar_years_missing(today=today)
    if not missing:
        return 0
    # Roles hold their permissions through groups, which the model backend reads.
    managers = list(
        get_user_model().objects.with_perm(
            EDIT_PERMISSION, is_active=True, backend="django.contrib.auth.backends.ModelBackend"
        )
    )
    sent = 0
    for year in missing:
        told = set(
            Notification.objects.filter(verb=YEAR_MISSING, params__year=year).values_list(
                "recipient_id", flat=True
            )
        )
        created = notification_send(
            recipients=[user for user in managers if user.pk not in told],
            verb=YEAR_MISSING,
            message=YEAR_MISSING,
            params={"year": year},
            url=CALENDAR_URL,
        )
        if created:
            logger.info("calendar %s missing: told %d manager(s) (%s)", year, len(created), by)
        sent += len(created)
    return sent
