"""Writes for access control: ingesting device events, device health and tokens, credentials
and their sync to devices, visitor passes, and audited movement lookups.

Device rules (docs/devices.md): persist first, acknowledge second — every function here
commits before the caller answers the device; idempotency keys are unique per device, so a
replayed batch is stored once; retransmitted or offline-replayed events are stored, flagged,
and never acted on live; naive device times use the device's zone and skew is flagged, never
rewritten.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import secrets
import uuid
from dataclasses import dataclass, field

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from community.accounts.roles import StaffRole
from community.realtime import group_for_estate, publish_on_commit
from community.residents.models import Occupancy, Resident, StaffMembership, Unit
from community.scoping import staff_can_access_estate

from .models import (
    AccessEvent,
    CommandStatus,
    Credential,
    CredentialKind,
    Device,
    DeviceCommand,
    Direction,
    Gate,
    Method,
    MovementLookup,
    RawDeviceMessage,
    RawStatus,
    Result,
    VisitorPass,
    token_hash,
)
from .protocols.base import EventIn, Inbound, scrub, scrub_json

logger = logging.getLogger(__name__)

# An event this much older than its arrival came from the device's offline buffer.
LATE_AFTER = dt.timedelta(minutes=10)
# A device time this far ahead of the server clock means the device clock is wrong.
FUTURE_TOLERANCE = dt.timedelta(minutes=2)
# last_seen_at is written at most this often per device, to keep heartbeats off the hot path.
SEEN_WRITE_EVERY = dt.timedelta(seconds=30)
OFFLINE_AFTER = dt.timedelta(minutes=5)
# A command handed to a device and not answered within this time is handed out again.
COMMAND_RESEND_AFTER = dt.timedelta(minutes=10)
# Live feed messages carry at most this many events of one batch.
LIVE_BATCH_LIMIT = 50

VISITOR_PASS_SALT = "access.visitor-pass"
# Face snapshots live under SNAPSHOT_DIR/<year>/<month of receipt>/ in the default storage.
SNAPSHOT_DIR = "access/snapshots"


def access_group(estate_id: int) -> str:
    return group_for_estate(estate_id, "access")


# --- Devices ----------------------------------------------------------------------------------


def device_token_rotate(*, device: Device) -> str:
    """Give the device a new secret token; returns it once (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    device_token_set(device=device, token=token)
    return token


@transaction.atomic
def device_token_set(*, device: Device, token: str) -> Device:
    if len(token) < 12:
        raise ValidationError({"token": _("A device token needs at least 12 characters.")})
    device.token_hash = token_hash(token)
    device.save(update_fields=["token_hash"])
    return device


def _device_status_payload(device: Device) -> dict:
    return {
        "type": "device.status",
        "device": device.pk,
        "name": device.name,
        "online": device.online,
        "last_seen_at": device.last_seen_at.isoformat() if device.last_seen_at else None,
    }


def device_seen(*, device: Device, at: dt.datetime | None = None, state: dict | None = None) -> Device:
    """Mark the device alive. Writes only when it was offline, or last written a while ago."""
    at = at or timezone.now()
    came_online = not device.online
    stale = device.last_seen_at is None or at - device.last_seen_at >= SEEN_WRITE_EVERY
    if not (came_online or stale or state):
        return device
    fields = {"last_seen_at": at, "online": True}
    if state:
        fields["state"] = {**(device.state or {}), **scrub_json(state)}
    Device.objects.filter(pk=device.pk).update(**fields)
    for name, value in fields.items():
        setattr(device, name, value)
    if came_online:
        publish_on_commit(access_group(device.estate_id), _device_status_payload(device))
    return device


@transaction.atomic
def device_heartbeat(*, device: Device, reported: dict | None = None) -> Device:
    state = {}
    if reported:
        state = {"heartbeat": {k: v for k, v in reported.items() if isinstance(v, str | int | float | bool)}}
    return device_seen(device=device, state=state)


def devices_mark_offline(
    *, now: dt.datetime | None = None, silent_for: dt.timedelta = OFFLINE_AFTER
) -> list[Device]:
    """Mark devices silent for ``silent_for`` offline and tell their estate's security staff."""
    now = now or timezone.now()
    marked: list[Device] = []
    with transaction.atomic():
        devices = list(
            Device.objects.select_for_update(skip_locked=True).filter(
                online=True, enabled=True, last_seen_at__lt=now - silent_for
            )
        )
        if not devices:
            return []
        Device.objects.filter(pk__in=[d.pk for d in devices]).update(online=False)
        for device in devices:
            device.online = False
            publish_on_commit(access_group(device.estate_id), _device_status_payload(device))
            marked.append(device)
        by_estate: dict[int, list[Device]] = {}
        for device in devices:
            by_estate.setdefault(device.estate_id, []).append(device)
        for estate_id, estate_devices in by_estate.items():
            _notify_security(estate_id, estate_devices)
    return marked


def _notify_security(estate_id: int, devices: list[Device]) -> None:
    try:
        from community.notifications.services import notification_send
    except ImportError:  # the notifications app is being built; the status change still publishes
        logger.warning(
            "notifications unavailable: %d device(s) offline in estate %s", len(devices), estate_id
        )
        return
    from django.contrib.auth import get_user_model

    recipients = list(
        get_user_model().objects.filter(
            pk__in=StaffMembership.objects.filter(estate_id=estate_id, role=StaffRole.SECURITY).values(
                "user_id"
            )
        )
    )
    if not recipients:
        return
    names = "、".join(d.name for d in devices[:10])
    notification_send(
        recipients=recipients,
        verb="access.device_offline",
        title=ngettext("%(n)d device offline", "%(n)d devices offline", len(devices)) % {"n": len(devices)},
        body=_("No message for %(minutes)d minutes from: %(names)s")
        % {"minutes": int(OFFLINE_AFTER.total_seconds() // 60), "names": names},
        url="/staff/access/",
        estate=devices[0].estate,
    )


# --- Ingest -----------------------------------------------------------------------------------


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    # The stored rows as dicts of AccessEvent columns with their new "id".
    rows: list[dict] = field(default_factory=list)


def _lock_device(device: Device) -> None:
    """Serialise ingestion per device so "accepted" and "duplicates" are exact under retries."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(7100, %s)", [device.pk])


def gates_of(device: Device, gate_ids) -> set[int]:
    ids = {g for g in gate_ids if g is not None}
    if not ids:
        return set()
    return set(Gate.objects.filter(estate_id=device.estate_id, pk__in=ids).values_list("pk", flat=True))


def visitor_pass_id_from_token(token: str) -> tuple[int, str] | None:
    try:
        value = signing.Signer(salt=VISITOR_PASS_SALT).unsign(token.strip())
    except signing.BadSignature:
        return None
    parts = value.split(".")
    if len(parts) != 3 or parts[0] != "vp" or not parts[1].isdigit():
        return None
    return int(parts[1]), parts[2]


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
            _lock_device(device)
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
                    f"{SNAPSHOT_DIR}/{received_at:%Y/%m}/{device.pk}-{uuid.uuid4().hex[:12]}.jpg",
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
                    "reason": event.reason[:100],
                    "resident_id": resident_id,
                    "credential_id": credential_id,
                    "visitor_pass_id": visitor_pass_id,
                    "credential_value": credential_value[:64],
                    "plate": event.plate[:16],
                    "vendor_code": event.vendor_code[:32],
                    "idempotency_key": event.key[:100],
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
                f"INSERT INTO access_accessevent ({_COLUMN_NAMES}) VALUES {values} "  # noqa: S608 - placeholders only
                "ON CONFLICT (device_id, idempotency_key, occurred_at) DO NOTHING "
                "RETURNING id, idempotency_key, occurred_at",
                [row[name] for row in rows for name in names],
            )
        else:
            cursor.execute(_STAGE_SQL)
            with cursor.cursor.copy(f"COPY access_event_stage ({_COLUMN_NAMES}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([row[name] for name in names])
            cursor.execute(_MERGE_SQL)
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


# --- Raw messages -----------------------------------------------------------------------------


def raw_message_keep(
    *, device: Device | None, protocol: str, inbound: Inbound, error: str, status: str = RawStatus.PENDING
) -> RawDeviceMessage:
    if status == RawStatus.REJECTED:
        # An unknown or unapproved device resends the same buffer every few seconds, for days:
        # keep one copy of each distinct request, not one per retry.
        same = RawDeviceMessage.objects.filter(
            status=RawStatus.REJECTED,
            protocol=protocol,
            device=device,
            path=scrub(inbound.path)[:300],
            query_string=scrub(inbound.query_string),
            body=inbound.body,
        ).first()
        if same is not None:
            return same
    # Text columns are scrubbed of what PostgreSQL refuses (NUL); the body stays byte for byte.
    return RawDeviceMessage.objects.create(
        device=device,
        estate_id=device.estate_id if device else None,
        protocol=protocol,
        method=scrub(inbound.method)[:8],
        path=scrub(inbound.path)[:300],
        query_string=scrub(inbound.query_string),
        content_type=scrub(inbound.content_type)[:200],
        body=inbound.body,
        error=scrub(error)[:10000],
        status=status,
    )


def raw_message_replay(*, message: RawDeviceMessage) -> RawDeviceMessage:
    """Feed a kept message through its protocol adapter again (after a fix or an approval)."""
    from .protocols import dispatch

    device = message.device
    if device is None and message.protocol == "zkteco":
        serial = Inbound("GET", "", message.query_string).query.get("SN", "")
        device = Device.objects.filter(serial_number=serial).first() if serial else None
    message.attempts += 1
    if device is None or not device.accepts_traffic:
        message.error = _("The device is unknown, disabled or not approved.")
        message.save(update_fields=["attempts", "error"])
        return message
    inbound = Inbound(
        message.method, message.path, message.query_string, message.content_type, bytes(message.body)
    )
    outcome = dispatch(message.protocol, device=device, inbound=inbound)
    if outcome.errors or outcome.status >= 400:
        message.error = "\n".join(outcome.errors) or f"HTTP {outcome.status}"
        message.save(update_fields=["attempts", "error"])
    else:
        message.status = RawStatus.PROCESSED
        message.processed_at = timezone.now()
        message.device = device
        message.estate_id = device.estate_id
        message.save(update_fields=["attempts", "status", "processed_at", "device", "estate"])
    return message


# --- Credentials and their sync to devices ---------------------------------------------------


def _device_user_command(credential: Credential, *, delete: bool) -> str:
    """ZKTeco user-list command for the resident behind a credential; the device PIN is the
    resident id (one device user per person, whatever card or face they use)."""
    pin = credential.resident_id
    if delete:
        return f"DATA DELETE USERINFO PIN={pin}"
    name = credential.resident.name.replace("\t", " ")[:24]
    fields = [f"PIN={pin}", f"Name={name}", "Pri=0"]
    if credential.kind == CredentialKind.CARD:
        fields.append(f"Card={credential.value}")
    return "DATA UPDATE USERINFO " + "\t".join(fields)


def _queue_sync(credential: Credential, *, delete: bool) -> list[DeviceCommand]:
    devices = Device.objects.filter(estate_id=credential.estate_id, protocol="zkteco", enabled=True)
    command = _device_user_command(credential, delete=delete)
    return DeviceCommand.objects.bulk_create(
        [DeviceCommand(device=d, credential=credential, command=command) for d in devices]
    )


@transaction.atomic
def credential_issue(
    *,
    resident: Resident,
    kind: str,
    value: str,
    valid_from: dt.datetime | None = None,
    valid_until: dt.datetime | None = None,
) -> Credential:
    if kind not in CredentialKind.values:
        raise ValidationError({"kind": _("Unknown credential kind.")})
    value = (value or "").strip()
    if not value:
        raise ValidationError({"value": _("A credential needs a value.")})
    if valid_from and valid_until and valid_until <= valid_from:
        raise ValidationError({"valid_until": _("The end must be after the start.")})
    if Credential.objects.filter(
        estate_id=resident.estate_id, kind=kind, value=value, revoked_at__isnull=True
    ).exists():
        raise ValidationError(
            {"value": _("This %(kind)s is already issued in this estate.") % {"kind": kind}}
        )
    credential = Credential.objects.create(
        estate_id=resident.estate_id,
        resident=resident,
        kind=kind,
        value=value,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    _queue_sync(credential, delete=False)
    return credential


@transaction.atomic
def credential_revoke(*, credential: Credential, reason: str = "") -> Credential:
    credential = Credential.objects.select_for_update().select_related("resident").get(pk=credential.pk)
    if credential.revoked_at:
        return credential
    credential.revoked_at = timezone.now()
    credential.revoked_reason = reason[:100]
    credential.save(update_fields=["revoked_at", "revoked_reason"])
    # The device keeps one user per resident: delete it only when nothing else of theirs is live.
    others = Credential.objects.active().filter(resident_id=credential.resident_id).exclude(pk=credential.pk)
    _queue_sync(credential, delete=not others.exists())
    return credential


def credentials_revoke_on_move_out(sender=None, *, occupancy: Occupancy, **kwargs) -> int:
    """Signal receiver: a resident who no longer lives anywhere in the estate loses their credentials."""
    # "Still lives elsewhere" is any other tie active today, leases with an end date included:
    # an owner of 101 who rents 102 keeps their card when they leave 101.
    still_living = (
        Occupancy.objects.active().filter(resident_id=occupancy.resident_id).exclude(pk=occupancy.pk).exists()
    )
    if still_living:
        return 0
    count = 0
    for credential in Credential.objects.active().filter(resident_id=occupancy.resident_id):
        credential_revoke(credential=credential, reason="move-out")
        count += 1
    return count


def visitor_passes_revoke_on_move_out(sender=None, *, occupancy: Occupancy, **kwargs) -> int:
    """Signal receiver: the leaver's live visitor passes for that unit are revoked; when nobody
    is left living there, every live pass of the unit is.

    Passes are checked by the server at each scan (QR token, plate), not stored on the devices,
    so the revocation takes effect at every gate as soon as it commits.
    """
    now = timezone.now()
    live = VisitorPass.objects.filter(unit_id=occupancy.unit_id, revoked_at__isnull=True, valid_until__gt=now)
    nobody_left = (
        not Occupancy.objects.active().filter(unit_id=occupancy.unit_id).exclude(pk=occupancy.pk).exists()
    )
    leaver_user_id = (
        Resident.objects.filter(pk=occupancy.resident_id).values_list("user_id", flat=True).first()
    )
    if not nobody_left:
        if leaver_user_id is None:
            return 0
        live = live.filter(created_by_id=leaver_user_id)
    return live.update(revoked_at=now)


@transaction.atomic
def device_commands_fetch(*, device: Device, limit: int = 20) -> list[DeviceCommand]:
    """Hand the device its pending commands (marked sent); resend ones sent long ago unanswered."""
    now = timezone.now()
    # A command whose answer never came (the response to getrequest was lost, the device
    # rebooted) goes out again: ZKTeco user updates and deletes are idempotent.
    commands = list(
        DeviceCommand.objects.select_for_update(skip_locked=True)
        .filter(
            Q(status=CommandStatus.PENDING)
            | Q(status=CommandStatus.SENT, sent_at__lt=now - COMMAND_RESEND_AFTER),
            device=device,
        )
        .order_by("pk")[:limit]
    )
    if commands:
        DeviceCommand.objects.filter(pk__in=[c.pk for c in commands]).update(
            status=CommandStatus.SENT, sent_at=now
        )
    return commands


@transaction.atomic
def device_command_complete(*, device: Device, command_id: int, return_code: int, result: str = "") -> bool:
    command = DeviceCommand.objects.select_for_update().filter(device=device, pk=command_id).first()
    if command is None:
        return False
    command.return_code = return_code
    command.result = result[:2000]
    command.status = CommandStatus.SUCCEEDED if return_code >= 0 else CommandStatus.FAILED
    command.completed_at = timezone.now()
    command.save(update_fields=["return_code", "result", "status", "completed_at"])
    return True


@transaction.atomic
def device_command_queue(*, device: Device, command: str) -> DeviceCommand:
    if "\n" in command or not command.strip():
        raise ValidationError({"command": _("One command, on one line.")})
    return DeviceCommand.objects.create(device=device, command=command.strip())


# --- Visitor passes ---------------------------------------------------------------------------


def visitor_pass_token(visitor_pass: VisitorPass) -> str:
    """The QR payload: the pass id and a random nonce, signed with the site's secret key."""
    return signing.Signer(salt=VISITOR_PASS_SALT).sign(f"vp.{visitor_pass.pk}.{visitor_pass.nonce}")


MAX_PASS_DAYS = 30
MAX_PASS_ENTRIES = 50


@transaction.atomic
def visitor_pass_create(
    *,
    user,
    unit: Unit,
    visitor_name: str,
    visitor_phone: str = "",
    plate: str = "",
    valid_from: dt.datetime,
    valid_until: dt.datetime,
    max_entries: int = 1,
) -> VisitorPass:
    from community.scoping import my_units

    if not my_units(user).filter(pk=unit.pk).exists():
        raise PermissionDenied(_("You can only invite visitors to your own home."))
    errors = {}
    if not visitor_name.strip():
        errors["visitor_name"] = _("Who is visiting?")
    if valid_until <= valid_from:
        errors["valid_until"] = _("The end must be after the start.")
    elif valid_until - valid_from > dt.timedelta(days=MAX_PASS_DAYS):
        errors["valid_until"] = _("A pass lasts at most %(days)d days.") % {"days": MAX_PASS_DAYS}
    elif valid_until <= timezone.now():
        errors["valid_until"] = _("The end is already in the past.")
    if not 1 <= max_entries <= MAX_PASS_ENTRIES:
        errors["max_entries"] = _("Between 1 and %(n)d entries.") % {"n": MAX_PASS_ENTRIES}
    if errors:
        raise ValidationError(errors)
    unit = Unit.objects.select_related("building").get(pk=unit.pk)
    return VisitorPass.objects.create(
        estate_id=unit.building.estate_id,
        unit=unit,
        created_by=user,
        visitor_name=visitor_name.strip()[:100],
        visitor_phone=visitor_phone.strip()[:20],
        plate=plate.strip().upper()[:16],
        valid_from=valid_from,
        valid_until=valid_until,
        max_entries=max_entries,
        nonce=secrets.token_urlsafe(9),
    )


@transaction.atomic
def visitor_pass_revoke(*, visitor_pass: VisitorPass, user) -> VisitorPass:
    from community.scoping import my_units

    visitor_pass = VisitorPass.objects.select_for_update().get(pk=visitor_pass.pk)
    if not my_units(user).filter(pk=visitor_pass.unit_id).exists():
        raise PermissionDenied(_("Only the host household can revoke this pass."))
    if visitor_pass.revoked_at is None:
        visitor_pass.revoked_at = timezone.now()
        visitor_pass.save(update_fields=["revoked_at"])
    return visitor_pass


@dataclass
class VerifyResult:
    allow: bool
    reason: str
    event: AccessEvent | None = None
    visitor_pass: VisitorPass | None = None
    resident: Resident | None = None
    duplicate: bool = False


_PASS_DENIALS = {
    "revoked": "pass_revoked",
    "not_yet_valid": "pass_not_yet_valid",
    "expired": "pass_expired",
    "used_up": "pass_used_up",
}


def access_verify(
    *,
    device: Device,
    kind: str,
    value: str,
    direction: str = Direction.IN,
    gate_id: int | None = None,
    event_id: str = "",
) -> VerifyResult:
    """Decide allow/deny for a scanned QR or card at a gate, count the entry, record the event.

    The pass row is locked (select_for_update) so two gates scanning the last entry at the
    same moment cannot both be allowed. A repeated ``event_id`` answers the first decision
    again without counting a second entry.
    """
    now = timezone.now()
    event_id = event_id or uuid.uuid4().hex
    if gate_id is not None and not gates_of(device, [gate_id]):
        raise ValidationError({"gate": _("No such gate in this estate.")})
    with transaction.atomic():
        # A device retrying a slow request sends the same event_id while the first attempt still
        # runs: without this lock both miss "previous", and the pass lock alone would count two
        # entries for one scan (their occurred_at differ, so the unique key does not catch it).
        _lock_device(device)
        previous = AccessEvent.objects.filter(
            device_id=device.pk, idempotency_key=event_id, occurred_at__gte=now - dt.timedelta(days=1)
        ).first()
        if previous is not None:
            return VerifyResult(previous.result == Result.GRANTED, previous.reason, previous, duplicate=True)
        visitor_pass = resident = credential = None
        method = Method.QR if kind == "qr" else Method.CARD if kind == "card" else Method.OTHER
        if kind == "qr":
            found = visitor_pass_id_from_token(value)
            visitor_pass = (
                VisitorPass.objects.select_for_update()
                .filter(pk=found[0], estate_id=device.estate_id)
                .first()
                if found
                else None
            )
            if visitor_pass is None or visitor_pass.nonce != found[1]:
                allow, reason, visitor_pass = False, "pass_invalid", None
            else:
                status = visitor_pass.status_at(now)
                allow, reason = status == "valid", _PASS_DENIALS.get(status, "")
                if allow and direction != Direction.OUT:
                    VisitorPass.objects.filter(pk=visitor_pass.pk).update(entries_used=F("entries_used") + 1)
                    visitor_pass.entries_used += 1
        elif kind in CredentialKind.values:
            credential = (
                Credential.objects.active(now)
                .select_related("resident")
                .filter(estate_id=device.estate_id, kind=kind, value=value)
                .first()
            )
            allow, reason = credential is not None, "" if credential else "credential_unknown"
            resident = credential.resident if credential else None
        else:
            raise ValidationError({"type": _("Unknown credential type.")})
        event = EventIn(
            key=event_id,
            occurred_at=now,
            result=Result.GRANTED if allow else Result.DENIED,
            direction=direction,
            method=method,
            reason=reason,
            gate_id=gate_id,
            credential_kind=kind if kind != "qr" else "",
            credential_value=value if kind != "qr" else "",
            visitor_pass_id=visitor_pass.pk if visitor_pass else None,
            resident_id=resident.pk if resident else None,
            credential_id=credential.pk if credential else None,
        )
        stored = access_events_ingest(device=device, events=[event], received_at=now)
        row = AccessEvent(**stored.rows[0]) if stored.rows else None
    return VerifyResult(allow, reason, row, visitor_pass, resident)


# --- Privacy ----------------------------------------------------------------------------------


@transaction.atomic
def movement_lookup_record(*, user, resident: Resident, reason: str) -> MovementLookup:
    """Managers only: record that ``user`` looked at ``resident``'s movements, and why."""
    if not staff_can_access_estate(user, resident.estate_id, roles=(StaffRole.MANAGER,)):
        raise PermissionDenied(_("Only the estate's managers may look up one person's movements."))
    if not reason.strip():
        raise ValidationError({"reason": _("Say why you need this person's movement history.")})
    return MovementLookup.objects.create(
        estate_id=resident.estate_id, user=user, resident=resident, reason=reason.strip()[:200]
    )
