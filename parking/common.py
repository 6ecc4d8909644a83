"""Helpers every parking write shares (services and payments): who acted, the per-plate lock,
the live group, the decision log. Below both, so payments need not import the services."""

from __future__ import annotations

from celery import current_app
from django.db import connection
from django.utils import timezone

from access.models import Device
from community.realtime import group_for_estate

from .models import Session


def actor_label(by) -> str:
    """What a record keeps of who acted: ``user:<id>``, ``device:<id>`` or ``system:<job>``."""
    if isinstance(by, str):
        if not by.startswith("system:"):
            raise ValueError(f"a system actor is named 'system:<job>', not {by!r}")
        return by
    if isinstance(by, Device):
        return f"device:{by.pk}"
    if getattr(by, "pk", None) is not None and getattr(by, "is_authenticated", False):
        return f"user:{by.pk}"
    raise ValueError(f"unknown actor {by!r}")


def lock_plate(lot_id: int, plate: str) -> None:
    """Serialise every decision about one plate in one lot (entry and exit cameras at once).

    PostgreSQL: a transaction-scoped advisory lock, so a plate with no session row yet is locked
    too. SQLite takes the write lock at BEGIN (IMMEDIATE), which already serialises writers.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [int(lot_id) % 2**31, plate])


def parking_group(estate_id: int) -> str:
    return group_for_estate(estate_id, "parking")


def note(session: Session, code: str, by: str, *, at=None, **extra) -> None:
    """Append a decision to the session's record (saved by the caller)."""
    entry = {"at": (at or timezone.now()).isoformat(timespec="seconds"), "code": code, "by": by}
    entry.update({k: str(v) for k, v in extra.items() if v not in (None, "")})
    session.reasons = [*session.reasons, entry]


# Tasks by name: services never import the tasks that call them (import-linter).
BARRIER_OPEN_TASK = "parking.barrier_open"
ALLOWLISTS_SYNC_TASK = "parking.allowlists_sync"


# A barrier lifted late is worse than one not lifted: the car has gone or staff opened it by hand,
# and the next car would drive through. So the call expires, also when it was held while Redis
# was down (community.ops.held drops a held task past its expiry instead of sending it).
BARRIER_OPEN_EXPIRES = 30


def barrier_open_on_commit(lane_id: int, plate_event_id: int | None, actor: str) -> None:
    """Call a reachable camera's barrier once the decision is committed, within 30 s or never."""
    current_app.tasks[BARRIER_OPEN_TASK].apply_async_on_commit(
        args=(lane_id, plate_event_id, actor), expires=BARRIER_OPEN_EXPIRES
    )


def allowlists_sync_soon(estate_id: int) -> None:
    """Who may enter changed: push the estate's camera allow-lists once this commits."""
    current_app.tasks[ALLOWLISTS_SYNC_TASK].delay_on_commit(estate_id)
