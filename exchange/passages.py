"""Gate passages and car passages into the outbox.

Car passages: parking decides a plate read inside one transaction and sends
``parking.signals.plate_read_stored`` in it, so the outbox record is written by the receiver
here in the read's own transaction, like every other cause.

Gate passages cannot work that way. The access ingest fast path on PostgreSQL is one
autocommitted ``INSERT … ON CONFLICT DO NOTHING RETURNING`` (no BEGIN: it is the hottest path
of the platform); a receiver writing after it would be a second commit, and a crash between the
two would lose the passage. Tailing the access log by id with a safety lag was the other
choice, but ids are taken before commit, so a transaction slower than the lag (a large batch in
a caller's transaction, a stalled connection) would be skipped for good: a lag trades loss for
delay and never rules it out. Instead the ingest statement itself writes the new event ids into
``PassageQueued`` (``access.services.event_sinks``: a data-modifying CTE of the same statement
on PostgreSQL, the same transaction on SQLite), so "event stored" and "queued" are one commit.
``gate_passages_relay`` then turns queued ids into outbox records and deletes them in one
transaction: a relay that dies rolls back and the ids are still queued; two relays at once
take disjoint rows (SKIP LOCKED); and the outbox's unique cause key stops a record being
written twice should anything else repeat. Exactly once, with nothing lost.

Only estates with a destination granted the category get records: the platform copies no
passage (with its person or plate) into an outbox nobody reads (PIPL Art. 6); a destination
granted passages later receives them from then on.
"""

from __future__ import annotations

import time

from django.apps import apps
from django.db import transaction

from community.residents.models import Estate

from . import services
from .models import Category, DataGrant, OutboxRecord, PassageQueued

RELAY_BATCH = 500
GATE_SOURCE = "access.event"
CAR_SOURCE = "parking.plate_event"


def _granted_estates(category: str, estate_ids) -> set[int]:
    return set(
        DataGrant.objects.filter(category=category, system__estate_id__in=estate_ids).values_list(
            "system__estate_id", flat=True
        )
    )


def gate_passage_payload(event) -> dict:
    resident = event.resident
    return {
        "occurred_at": event.occurred_at.isoformat(),
        "estate_code": event.estate.code,
        "gate": event.gate.name if event.gate_id else "",
        "device": event.device.name,
        "direction": event.direction,
        "method": event.method,
        "result": event.result,
        "person_name": resident.name if resident else "",
        "person_phone": str(resident.phone or "") if resident else "",
        "person_id_number": (resident.id_number or "") if resident else "",
    }


def gate_passages_relay(*, by, limit: int = RELAY_BATCH) -> tuple[int, int]:
    """Relay one batch of queued gate passages to the outbox: (queued ids taken, records written).

    A constant number of queries per batch, whatever its size. ``by`` is the job.
    """
    if not apps.is_installed("access"):
        return 0, 0
    AccessEvent = apps.get_model("access", "AccessEvent")
    with transaction.atomic():
        ids = list(
            PassageQueued.objects.select_for_update(skip_locked=True)
            .order_by("event_id")
            .values_list("event_id", flat=True)[:limit]
        )
        if not ids:
            return 0, 0
        events = list(
            AccessEvent.objects.filter(pk__in=ids).select_related("estate", "gate", "device", "resident")
        )
        granted = _granted_estates(Category.GATE_PASSAGE, {e.estate_id for e in events})
        records = [
            OutboxRecord(
                estate=event.estate,
                category=Category.GATE_PASSAGE,
                source=GATE_SOURCE,
                source_ref=str(event.pk),
                payload=gate_passage_payload(event),
                occurred_at=event.occurred_at,
            )
            for event in events
            if event.estate_id in granted
        ]
        stored = services.outbox_append_many(records=records)
        # Events of ungranted estates, and ids whose event is gone (its month partition
        # dropped by retention before the relay ran), leave the queue too.
        PassageQueued.objects.filter(event_id__in=ids).delete()
    return len(ids), len(stored)


def gate_passages_relay_all(*, by, max_batches: int = 100) -> int:
    """Batches until the queue is empty (or only rows another relay holds are left)."""
    total = 0
    for _batch in range(max_batches):
        taken, written = gate_passages_relay(by=by)
        total += written
        if taken == 0:
            break
    return total


# Whether an estate grants car passages, per process: the plate read is the barrier's hot path
# (four statements, asserted by parking's read-cost test) and grants change rarely. A grant
# saved or deleted in this process clears it at once (receivers in ExchangeConfig.ready());
# other processes see a change within GRANT_CACHE_SECONDS. Delivery itself re-reads the grants,
# so a revoked destination never receives what a stale "granted" queued.
GRANT_CACHE_SECONDS = 30.0
_car_grants: dict[int, tuple[float, bool]] = {}


def grant_cache_clear(**_kwargs) -> None:
    """Forget the cached grants (also a post_save/post_delete receiver of grants and systems)."""
    _car_grants.clear()


def _car_passages_granted(estate_id: int) -> bool:
    now = time.monotonic()
    cached = _car_grants.get(estate_id)
    if cached is not None and cached[0] > now:
        return cached[1]
    granted = bool(_granted_estates(Category.CAR_PASSAGE, [estate_id]))
    _car_grants[estate_id] = (now + GRANT_CACHE_SECONDS, granted)
    return granted


def on_plate_read_stored(sender=None, *, event, lane=None, device=None, **kwargs) -> None:
    """A car passage, in the plate read's transaction: only reads at a lane of a lot with a plate."""
    if event.lot_id is None or not event.plate or not _car_passages_granted(event.estate_id):
        return
    estate = Estate.objects.only("code").get(pk=event.estate_id)
    at = event.device_time or event.received_at
    services.outbox_append(
        estate=estate,
        category=Category.CAR_PASSAGE,
        source=CAR_SOURCE,
        source_ref=str(event.pk),
        occurred_at=at,
        payload={
            "occurred_at": at.isoformat(),
            "estate_code": estate.code,
            "lot": lane.lot.name if lane is not None else "",
            "device": device.name if device is not None else "",
            "direction": event.direction,
            "plate": event.plate,
            "plate_color": event.colour,
            "decision": event.reason,
        },
    )
