"""Signal receivers: the apps announce facts inside their transactions; the outbox records them.

No app imports ``exchange``: the connections are made here, in ``ExchangeConfig.ready()``.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from community.residents.models import Estate, Occupancy

from . import selectors, services
from .models import Category


def _person(resident) -> dict:
    return {
        "person_name": resident.name,
        "person_phone": str(resident.phone or ""),
        "person_id_number": resident.id_number or "",
    }


def _resident_change(occupancy: Occupancy, change: str, day: dt.date) -> None:
    unit = occupancy.unit
    estate = unit.building.estate
    services.outbox_append(
        estate=estate,
        category=Category.RESIDENT_CHANGE,
        source=f"residents.occupancy.{change}",
        source_ref=str(occupancy.pk),
        occurred_at=timezone.now(),
        payload={
            "occurred_at": timezone.now().isoformat(),
            "estate_code": estate.code,
            "change": change,
            "building": unit.building.name,
            "unit": unit.number,
            "role": occupancy.role,
            "date": day.isoformat(),
            **_person(occupancy.resident),
        },
    )


def on_occupancy_started(sender=None, *, occupancy: Occupancy, **kwargs) -> None:
    _resident_change(occupancy, "move_in", occupancy.start_date)


def on_occupancy_ended(sender=None, *, occupancy: Occupancy, **kwargs) -> None:
    _resident_change(occupancy, "move_out", occupancy.end_date)


def on_grid_event_changed(sender=None, *, event, action: str, **kwargs) -> None:
    """Every change of a grid event is a record (the city follows the event's life)."""
    services.outbox_append(
        estate=event.estate,
        category=Category.GRID_EVENT,
        source="affairs.grid_event",
        source_ref=f"{event.pk}:{event.version}",
        occurred_at=timezone.now(),
        payload={
            "occurred_at": timezone.now().isoformat(),
            "estate_code": event.estate.code,
            "grid": event.grid.name,
            "event_type": event.type,
            "urgency": event.urgency,
            "status": event.status,
            "location": event.location,
            "number": event.number,
        },
    )


def statistics_append(*, estate: Estate, day: dt.date, by) -> bool:
    """One statistics record per estate and day (idempotent: a second run adds nothing)."""
    figures = selectors.daily_statistics(estate=estate, day=day)
    record = services.outbox_append(
        estate=estate,
        category=Category.STATISTICS,
        source="exchange.statistics",
        source_ref=f"{estate.pk}:{day.isoformat()}",
        occurred_at=timezone.now(),
        payload={"date": day.isoformat(), "estate_code": estate.code, **figures},
    )
    return record is not None


def statistics_append_yesterday(*, by) -> int:
    day = timezone.localdate() - dt.timedelta(days=1)
    return sum(statistics_append(estate=e, day=day, by=by) for e in Estate.objects.all())
