"""Reads of the exchange: daily statistics (reading other apps' tables, never writing them),
the open API's feed, and the staff lists."""

from __future__ import annotations

import datetime as dt

from django.apps import apps
from django.db.models import Count, Q
from django.utils import timezone

from community.residents.models import Occupancy, current_q

from .models import DataGrant, ExternalSystem, OutboxRecord

OPEN_API_PAGE = 100


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return start, start + dt.timedelta(days=1)


def daily_statistics(*, estate, day: dt.date) -> dict:
    """One estate's figures for one local day: a fixed number of queries (one per app read,
    each an aggregate), whatever the day's volume.

    - ``passages``: access events that occurred that day;
    - ``tickets_opened`` / ``tickets_closed``: tickets created / closed that day;
    - ``eldercare_orders``: care orders booked that day (any state now, cancelled included:
      the figure is demand); ``eldercare_alarms``: alarms raised that day (false alarms
      included: each one was a call someone had to answer).
    """
    start, end = _day_bounds(day)
    population = dict(
        Occupancy.objects.filter(current_q(day), unit__building__estate=estate)
        .values_list("role")
        .annotate(n=Count("resident", distinct=True))
    )
    figures = {
        "population": population,
        "passages": 0,
        "tickets_opened": 0,
        "tickets_closed": 0,
        "eldercare_orders": 0,
        "eldercare_alarms": 0,
    }
    # Other apps are read by model name so the exchange works with any subset installed.
    if apps.is_installed("access"):
        AccessEvent = apps.get_model("access", "AccessEvent")
        figures["passages"] = AccessEvent.objects.filter(
            estate=estate, occurred_at__gte=start, occurred_at__lt=end
        ).count()
    if apps.is_installed("community.tickets"):
        Ticket = apps.get_model("tickets", "Ticket")
        figures.update(
            Ticket.objects.filter(estate=estate)
            .filter(Q(created_at__gte=start, created_at__lt=end) | Q(closed_at__gte=start, closed_at__lt=end))
            .aggregate(
                tickets_opened=Count("pk", filter=Q(created_at__gte=start, created_at__lt=end)),
                tickets_closed=Count("pk", filter=Q(closed_at__gte=start, closed_at__lt=end)),
            )
        )
    if apps.is_installed("eldercare"):
        Order = apps.get_model("eldercare", "Order")
        Alarm = apps.get_model("eldercare", "Alarm")
        figures["eldercare_orders"] = Order.objects.filter(
            estate=estate, created_at__gte=start, created_at__lt=end
        ).count()
        figures["eldercare_alarms"] = Alarm.objects.filter(
            estate=estate, raised_at__gte=start, raised_at__lt=end
        ).count()
    return figures


def open_feed(*, system: ExternalSystem, category: str, after: int, limit: int = OPEN_API_PAGE):
    """Records of one granted category after ``after``, oldest first (a cursor feed)."""
    grant = DataGrant.objects.filter(system=system, category=category).first()
    if grant is None:
        return None, []
    records = list(
        OutboxRecord.objects.filter(estate_id=system.estate_id, category=category, id__gt=after).order_by(
            "id"
        )[: max(1, min(limit, OPEN_API_PAGE))]
    )
    return grant, records


def granted_categories(system: ExternalSystem) -> list[str]:
    return list(system.grants.values_list("category", flat=True))


def pending_counts(system: ExternalSystem) -> dict[str, int]:
    return dict(system.deliveries.values_list("status").annotate(n=Count("id")))


__all__ = ["daily_statistics", "granted_categories", "open_feed", "pending_counts"]
