"""Helpers shared by the eldercare services: actors, websocket groups, order events."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from community.errors import ServiceError
from community.realtime import publish_on_commit

Actor = object  # a User, a Device, or "system:<job>"


def actor_label(by) -> str:
    """How an actor is recorded in a text field (alarms raised by a device or a job)."""
    if isinstance(by, str):
        if not by.startswith("system:"):
            raise ServiceError("A system actor is written 'system:<job>'.")
        return by
    name = type(by).__name__
    return f"device:{by.pk}" if name == "Device" else f"user:{by.pk}"


def now_or(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


def orders_group(estate_id: int) -> str:
    return f"care.estate.{estate_id}.orders"


def alarms_group(estate_id: int) -> str:
    return f"care.estate.{estate_id}.alarms"


def order_group(order_id: int) -> str:
    return f"care.order.{order_id}"


def publish_order(order, *, kind: str = "care.order.changed") -> None:
    """Tell the order's page (family, worker) and the estate's worker list, after commit."""
    event = {
        "type": kind,
        "order": order.pk,
        "number": order.number,
        # A code: each page shows it in its reader's language (one event reaches many readers).
        "status": order.status,
        "worker": order.worker_id,
    }
    publish_on_commit(order_group(order.pk), event)
    publish_on_commit(orders_group(order.estate_id), event)
