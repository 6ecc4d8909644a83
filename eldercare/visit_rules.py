"""What the coordinator should look at after a visit: late, no location, far, too short,
synced late. Pure reads of an order's stored check-in and check-out, shared by the services
and the selectors (and so below both: neither imports the other for it)."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy

from .models import CareSettings, CheckMethod, Order, ServiceCategory

EXCEPTION_LABELS = {
    "late": gettext_lazy("Late check-in"),
    "no_location": gettext_lazy("No location"),
    "far": gettext_lazy("Far from the elder's home"),
    "too_short": gettext_lazy("Shorter than the service's minimum"),
    "synced_late": gettext_lazy("Synced late (offline)"),
}


def effective_times(order: Order) -> tuple[dt.datetime | None, dt.datetime | None]:
    """When the visit happened: the server's times, or the phone's claims for offline checks."""
    start = order.check_in_claimed_at if order.check_in_synced_late else order.checked_in_at
    end = order.check_out_claimed_at if order.check_out_synced_late else order.checked_out_at
    return start, end


def visit_exceptions(order: Order, settings: CareSettings) -> list[str]:
    """What the coordinator should look at for this visit (keys of EXCEPTION_LABELS)."""
    flags = []
    start, end = effective_times(order)
    if (
        start
        and order.promised_at is None
        and start - order.scheduled_at > dt.timedelta(minutes=settings.late_after_minutes)
    ):
        flags.append("late")
    if order.late_minutes and order.late_minutes > settings.late_after_minutes:
        flags.append("late")
    if order.check_in_method == CheckMethod.NONE or (
        order.checked_out_at and order.check_out_method == CheckMethod.NONE
    ):
        flags.append("no_location")
    radius = settings.check_in_radius_m
    if any(d is not None and d > radius for d in (order.check_in_distance_m, order.check_out_distance_m)):
        flags.append("far")
    if (
        start
        and end
        and order.item.category != ServiceCategory.MEALS
        and end - start < dt.timedelta(minutes=order.item.min_minutes)
    ):
        flags.append("too_short")
    if order.check_in_synced_late or order.check_out_synced_late:
        flags.append("synced_late")
    return list(dict.fromkeys(flags))
