"""Storing device events: once each, atomically, published to the live feed after the commit.

The narrow module the protocol adapters depend on (with ``devices`` and ``raw_messages``).
Device rules (docs/devices.md): persist first, acknowledge second — every function here
commits before the caller answers the device; idempotency keys are unique per device, so a
replayed batch is stored once; retransmitted or offline-replayed events are stored, flagged,
and never acted on live; naive device times use the device's zone and skew is flagged, never
rewritten.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from dataclasses import dataclass, field

from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from community.dbhealth import connection_check
from community.realtime import publish_on_commit

from ..inbound import EventError, EventIn, is_id, too_long
from ..models import AccessEvent, Credential, Device, Gate, VisitorPass
from .devices import access_group, device_seen
from .event_sinks import event_sinks_fill, with_event_sinks
from .passes import visitor_pass_id_from_token

# An event this much older than its arrival came from the device's offline buffer.
LATE_AFTER = dt.timedelta(minutes=10)
# A device time this far ahead of the server clock means the device clock is wrong.
FUTURE_TOLERANCE = dt.timedelta(minutes=2)
# Live feed messages carry at most this many events of one batch.
LIVE_BATCH_LIMIT = 50
# Face snapshots live under SNAPSHOT_DIR/<year>/<month of receipt>/ in the default storage.
SNAPSHOT_DIR = "access/snapshots"
# The first key of PostgreSQL's two-key advisory locks taken here (the second is the device
# id): one number per kind of lock in this project, so they never collide with another's.
DEVICE_LOCK_NAMESPACE = 7100
# Hex digits of randomness in a snapshot file name (after the device id).
SNAPSHOT_NAME_HEX = 12


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    # The stored rows as dicts of AccessEvent columns with their new "id".
    rows: list[dict] = field(default_factory=list)


def lock_device(device: Device) -> None:
    """Serialise ingestion per device so "accepted" and "duplicates" are exact under retries."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [DEVICE_LOCK_NAMESPACE, device.pk])


def gates_of(device: Device, gate_ids) -> set[int]:
    ids = {g for g in gate_ids if g is not None and is_id(g)}
    if not ids:
        return set()
    return set(Gate.objects.filter(estate_id=device.estate_id, pk__in=ids).values_list("pk", flat=True))


def _resolve_credentials(device: Device, events: list[EventIn], at: dt.datetime) -> dict:
    values = {e.credential_value for e in events if e.credential_value and e.credential_kind != "qr"}
    if not values:
        return {}
    rows = (
        Credential.objects.active(at)
        .filter(estate_id=device.estate_id, value__in=values)
        .values_list("kind", "value", "pk", "resident_id", "resident__name")
    )
    return {(kind, value): (pk, resident_id, name) for kind, value, pk, resident_id, name in rows}


def _resolve_visitor_passes(device: Device, events: list[EventIn]) -> dict[str, int]:
    """QR token -> visitor pass id, for passes of the device's own estate whose nonce matches.

    Only links the event to the pass (the host household sees it); it never counts an entry:
    entries are counted by ``access_verify`` at the moment the gate asks, so a replayed or
    offline event cannot consume one."""
    found = {}
    for event in events:
        if event.credential_kind == "qr" and event.visitor_pass_id is None:
            parsed = visitor_pass_id_from_token(event.credential_value)
            if parsed:
                found[event.credential_value] = parsed
    if not found:
        return {}
    known = dict(
        VisitorPass.objects.filter(
            estate_id=device.estate_id, pk__in=[pk for pk, _n in found.values()]
        ).values_list("pk", "nonce")
    )
    return {token: pk for token, (pk, nonce) in found.items() if known.get(pk) == nonce}


def event_payload(row: dict, *, gate_name: str = "", device_name: str = "", resident_name: str = "") -> dict:
    """The live-feed form of a stored event row (a dict of AccessEvent columns)."""
    return {
        "type": "access.event",
        "id": row.get("id"),
        "occurred_at": row["occurred_at"].isoformat(),
        "gate": gate_name,
        "device": device_name,
        "direction": row["direction"],
        "method": row["method"],
        "result": row["result"],
        "reason": row["reason"],
        "resident": resident_name,
        "replayed": row["replayed"],
        "clock_skewed": row["clock_skewed"],
    }


def access_events_ingest(
    *, device: Device, events: list[EventIn], received_at: dt.datetime | None = None
) -> IngestResult:
    """Store device events once each, atomically, and publish them after the commit.

    Returns exact counts: ``accepted`` new rows and ``duplicates`` already stored (same device,
    idempotency key and time) or repeated within the batch.
    """
    received_at = received_at or timezone.now()
    connection_check()  # a gate's request: no SELECT 1 before its events are stored
    for index, event in enumerate(events):
        # Adapters refuse over-long values event by event; one that slips through is a bug
        # there, refused here before anything is stored (the caller keeps the raw message).
        if problems := too_long(event):
            raise EventError({f"event {index}": "; ".join(f"{k}: {v}" for k, v in problems.items())})
    result = IngestResult()
    if not events:
        with transaction.atomic():
            device_seen(device=device, at=received_at)
        return result
    postgresql = connection.vendor == "postgresql"
    snapshots = any(e.snapshot is not None for e in events)
    # A few events on PostgreSQL without snapshot files are stored by one INSERT … VALUES … ON
    # CONFLICT, atomic by itself: skipping the explicit transaction saves the BEGIN round trip
    # and Django's autocommit switching on the single-event path. last_seen_at is a later,
    # separate write: events can be stored without it, never the reverse. Larger batches go
    # through the staging table, which needs the transaction (ON COMMIT DELETE ROWS). Inside a
    # caller's transaction all of it joins that transaction.
    single_write = postgresql and not snapshots and len(events) <= SMALL_BATCH
    saved_files: list[str] = []
    try:
        _ingest(
            device,
            events,
            received_at,
            result,
            postgresql=postgresql,
            snapshots=snapshots,
            single_write=single_write,
            saved_files=saved_files,
        )
    except BaseException:
        # Snapshot files are written before the rows that name them (a row never points at a
        # missing file); when the rows do not land, neither do the files. Files orphaned by a
        # caller's own rollback later are swept with their month by the retention task.
        for name in saved_files:
            with contextlib.suppress(OSError):
                default_storage.delete(name)
        raise
    return result


def _ingest(
    device: Device,
    events: list[EventIn],
    received_at: dt.datetime,
    result: IngestResult,
    *,
    postgresql: bool,
    snapshots: bool,
    single_write: bool,
    saved_files: list[str],
) -> None:
    with contextlib.nullcontext() if single_write else transaction.atomic():
        seen: set[tuple[str, dt.datetime]] = set()
        unique: list[EventIn] = []
        for event in events:
            ident = (event.key, event.occurred_at)
            if ident in seen:
                result.duplicates += 1
                continue
            seen.add(ident)
            unique.append(event)
        # PostgreSQL answers duplicates itself (INSERT … ON CONFLICT DO NOTHING RETURNING); look
        # first only where a duplicate would cost more than a row: a snapshot file to write.
        if not postgresql or snapshots:
            lock_device(device)
            existing = set(
                AccessEvent.objects.filter(
                    device_id=device.pk,
                    idempotency_key__in=[e.key for e in unique],
                    occurred_at__gte=min(e.occurred_at for e in unique),
                    occurred_at__lte=max(e.occurred_at for e in unique),
                ).values_list("idempotency_key", "occurred_at")
            )
            fresh = [e for e in unique if (e.key, e.occurred_at) not in existing]
            result.duplicates += len(unique) - len(fresh)
        else:
            fresh = unique
        credentials = _resolve_credentials(device, fresh, received_at)
        passes = _resolve_visitor_passes(device, fresh)
        names: dict[int, str] = {}
        rows: list[dict] = []
        for event in fresh:
            credential_id, resident_id = event.credential_id, event.resident_id
            if event.credential_value and credential_id is None:
                match = credentials.get((event.credential_kind, event.credential_value))
                if match:
                    credential_id, resident_id, names[match[1]] = match
            credential_value = event.credential_value if event.credential_kind != "qr" else ""
            visitor_pass_id = event.visitor_pass_id
            if event.credential_kind == "qr" and visitor_pass_id is None:
                visitor_pass_id = passes.get(event.credential_value)
            snapshot = ""
            if event.snapshot is not None:
                snapshot = default_storage.save(
                    f"{SNAPSHOT_DIR}/{received_at:%Y/%m}/{device.pk}-{uuid.uuid4().hex[:SNAPSHOT_NAME_HEX]}.jpg",
                    event.snapshot,
                )
                saved_files.append(snapshot)
            # Plain dicts, not model instances: building 500 instances costs more than storing them.
            rows.append(
                {
                    "estate_id": device.estate_id,
                    "device_id": device.pk,
                    "gate_id": event.gate_id or device.gate_id,
                    "occurred_at": event.occurred_at,
                    "received_at": received_at,
                    "direction": event.direction,
                    "method": event.method,
                    "result": event.result,
                    "reason": event.reason,
                    "resident_id": resident_id,
                    "credential_id": credential_id,
                    "visitor_pass_id": visitor_pass_id,
                    "credential_value": credential_value,
                    "plate": event.plate,
                    "vendor_code": event.vendor_code,
                    "idempotency_key": event.key,
                    "replayed": event.replayed or event.occurred_at < received_at - LATE_AFTER,
                    "clock_skewed": event.occurred_at > received_at + FUTURE_TOLERANCE,
                    "snapshot": snapshot,
                }
            )
        if postgresql:
            stored = _insert_postgresql(rows)
            result.duplicates += len(rows) - len(stored)
        else:
            # SQLite has one writer at a time and the look-up above ran inside this write
            # transaction, so nothing can have inserted these keys meanwhile.
            stored = [
                {**r, "id": e.pk}
                for r, e in zip(
                    rows, AccessEvent.objects.bulk_create([AccessEvent(**r) for r in rows]), strict=True
                )
            ]
            event_sinks_fill([r["id"] for r in stored])
        result.accepted = len(stored)
        result.rows = stored
        device_seen(device=device, at=received_at)
        if stored:
            _publish_events(device, stored, names)


_INSERT_COLUMNS = [
    ("estate_id", "bigint"),
    ("device_id", "bigint"),
    ("gate_id", "bigint"),
    ("occurred_at", "timestamptz"),
    ("received_at", "timestamptz"),
    ("direction", "text"),
    ("method", "text"),
    ("result", "text"),
    ("reason", "text"),
    ("resident_id", "bigint"),
    ("credential_id", "bigint"),
    ("visitor_pass_id", "bigint"),
    ("credential_value", "text"),
    ("plate", "text"),
    ("vendor_code", "text"),
    ("idempotency_key", "text"),
    ("replayed", "boolean"),
    ("clock_skewed", "boolean"),
    ("snapshot", "text"),
]
_COLUMN_NAMES = ", ".join(c for c, _t in _INSERT_COLUMNS)
SMALL_BATCH = 20
_STAGE_SQL = (
    "CREATE TEMP TABLE IF NOT EXISTS access_event_stage ("
    + ", ".join(f"{c} {t}" for c, t in _INSERT_COLUMNS)
    + ") ON COMMIT DELETE ROWS"
)
# Built from the constant column list above, never from input.
_MERGE_SQL = (
    f"INSERT INTO access_accessevent ({_COLUMN_NAMES}) SELECT {_COLUMN_NAMES} FROM access_event_stage "  # noqa: S608
    "ON CONFLICT (device_id, idempotency_key, occurred_at) DO NOTHING RETURNING id, idempotency_key, occurred_at"
)


def _insert_postgresql(rows: list[dict]) -> list[dict]:
    """COPY the batch into a per-session staging table, then one INSERT … SELECT … ON CONFLICT
    DO NOTHING RETURNING into the access log.

    Django's bulk_create compiles every value of every row in Python and binds them as SQL
    text; COPY rows are formatted by the driver's C code. RETURNING says exactly which rows
    were new, even when a retry of the same batch runs concurrently.
    """
    if not rows:
        return []
    names = [c for c, _t in _INSERT_COLUMNS]
    with connection.cursor() as cursor:
        if len(rows) <= SMALL_BATCH:
            # A few rows: one INSERT … VALUES round trip beats three for the staging table.
            values = ", ".join(["(" + ", ".join(["%s"] * len(names)) + ")"] * len(rows))
            cursor.execute(
                with_event_sinks(
                    f"INSERT INTO access_accessevent ({_COLUMN_NAMES}) VALUES {values} "  # noqa: S608 - placeholders only
                    "ON CONFLICT (device_id, idempotency_key, occurred_at) DO NOTHING "
                    "RETURNING id, idempotency_key, occurred_at"
                ),
                [row[name] for row in rows for name in names],
            )
        else:
            cursor.execute(_STAGE_SQL)
            with cursor.cursor.copy(f"COPY access_event_stage ({_COLUMN_NAMES}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([row[name] for name in names])
            cursor.execute(with_event_sinks(_MERGE_SQL))
        inserted = {(key, at): pk for pk, key, at in cursor.fetchall()}
    stored = []
    for row in rows:
        pk = inserted.get((row["idempotency_key"], row["occurred_at"]))
        if pk is not None:
            stored.append({**row, "id": pk})
    return stored


def _publish_events(device: Device, rows: list[dict], names: dict[int, str]) -> None:
    gate_ids = {r["gate_id"] for r in rows if r["gate_id"]}
    gate_names = {}
    if device.gate_id and "gate" in device._state.fields_cache and device.gate is not None:
        gate_names[device.gate_id] = device.gate.name  # authentication loaded it already
    if gate_ids - gate_names.keys():
        gate_names.update(Gate.objects.filter(pk__in=gate_ids).values_list("pk", "name"))
    latest = sorted(rows, key=lambda r: r["occurred_at"])[-LIVE_BATCH_LIMIT:]
    payload = [
        event_payload(
            r,
            gate_name=gate_names.get(r["gate_id"], ""),
            device_name=device.name,
            resident_name=names.get(r["resident_id"], ""),
        )
        for r in latest
    ]
    publish_on_commit(
        access_group(device.estate_id),
        {"type": "access.events", "events": payload, "total": len(rows)},
        merge=merge_live_events,
    )


def merge_live_events(first: dict, second: dict) -> dict | None:
    """Fold two queued live-feed messages of one estate into one (community.realtime calls
    this when a busy estate's messages queue up): same shape, the latest events, the sum."""
    if first.get("type") != "access.events" or second.get("type") != "access.events":
        return None
    return {
        "type": "access.events",
        "events": (first["events"] + second["events"])[-LIVE_BATCH_LIMIT:],
        "total": first["total"] + second["total"],
    }
