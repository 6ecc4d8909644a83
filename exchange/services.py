"""Writes of the exchange: append to the outbox, deliver, resend, rotate the open-API token.

``outbox_append`` runs inside the transaction of the change that causes it (the receivers in
``exchange.receivers`` are connected to signals the apps send inside their transactions), so
the outbox holds a record exactly when its cause committed. Delivery never holds a database
transaction across the network: due rows are *leased* (their due time pushed ahead) in one
short transaction, sent, and their outcome written in another. A worker that dies mid-send
leaves rows that fall due again when the lease runs out; the destination deduplicates on the
remote key, so a record sent twice is applied once on the other side.

Just over ~400 lines on purpose: append, lease, deliver and resend share the lease and outcome
rules, and a reader checking "exactly once" needs them side by side.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets as std_secrets
from collections import defaultdict
from dataclasses import dataclass

from celery import current_app
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from community.errors import ServiceError

from . import categories, credentials, gat1400_ids
from .adapters import ADAPTERS, Outcome, OutcomeKind, SendItem
from .adapters.base import TransportError
from .files import workbook_bytes
from .masking import MASKS, minimise
from .models import (
    ActionKind,
    DataGrant,
    Delivery,
    DeliveryStatus,
    ExchangeAction,
    ExternalSystem,
    OutboxRecord,
    SystemKind,
)

logger = logging.getLogger(__name__)

DELIVER_TASK = "exchange.deliver"
LEASE = dt.timedelta(minutes=5)
BACKOFF_BASE = dt.timedelta(seconds=30)
BACKOFF_CAP = dt.timedelta(hours=1)
REGISTRY_CATEGORIES = {"door_device", "car_info"}
GAT1400_KIND = {"car_passage": "motor_vehicle", "resident_change": "person", "gate_passage": "door_record"}


def backoff(attempts: int) -> dt.timedelta:
    """30 s, 1 min, 2 min … capped at an hour: a destination down for a day is retried hourly."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_CAP)


def _actor(by) -> dict:
    if isinstance(by, str):
        return {"actor": None, "actor_label": by}
    return {"actor": by, "actor_label": ""}


def remote_key(system: ExternalSystem, record: OutboxRecord) -> str:
    """The key the destination deduplicates on; the same for every resend of the record.

    Registry versions (door devices, vehicles; ``source_ref`` "<pk>:<version>") keep one object
    id per device or vehicle, so GA/T 1400 overwrites it; the key adds the version, so each
    version is one delivery.
    """
    gat1400 = system.kind == SystemKind.GAT1400 and system.device_id
    if gat1400 and record.category in REGISTRY_CATEGORIES:
        entity, version = (int(part) for part in record.source_ref.split(":"))
        if record.category == "door_device":
            object_id = gat1400_ids.door_device_id(system_device=system.device_id, sequence=entity)
        else:
            object_id = gat1400_ids.object_id(
                device=system.device_id,
                at=timezone.localtime(dt.datetime.fromisoformat(record.payload["registered_at"])),
                sequence=entity,
                kind="car_info",
            )
        return f"{object_id}:{version}"
    if gat1400 and record.category in GAT1400_KIND:
        return gat1400_ids.object_id(
            device=system.device_id,
            at=timezone.localtime(record.occurred_at),
            sequence=record.pk,
            kind=GAT1400_KIND[record.category],
        )
    return f"{record.estate.code}-{record.pk}"


# --- Grants ---------------------------------------------------------------------------------


def grant_validate(*, category: str, fields: list | None, masked: dict | None) -> None:
    """A grant may only narrow a category and only name masks that exist."""
    if category not in categories.FIELDS:
        raise ServiceError({"category": [_("Unknown data category.")]})
    unknown = sorted(set(fields or []) - set(categories.FIELDS[category]))
    if unknown:
        raise ServiceError({"fields": [_("Not fields of this category: %(f)s") % {"f": ", ".join(unknown)}]})
    for field, kind in (masked or {}).items():
        if field not in categories.FIELDS[category] or kind not in MASKS:
            raise ServiceError(
                {
                    "masked": [
                        _("“%(f)s: %(k)s” is not a field of this category with a known mask.")
                        % {"f": field, "k": kind}
                    ]
                }
            )


@transaction.atomic
def grant_save(*, grant: DataGrant, by) -> DataGrant:
    grant_validate(category=grant.category, fields=grant.fields, masked=grant.masked)
    grant.full_clean()
    grant.save()
    return grant


# --- Outbox ---------------------------------------------------------------------------------


def outbox_append(
    *, estate, category: str, source: str, source_ref: str, payload: dict, occurred_at: dt.datetime
) -> OutboxRecord | None:
    """Record a fact that must leave the platform, in the caller's transaction.

    Idempotent on (category, source, source_ref): a signal fired twice for one fact writes one
    record (the second call returns None). Deliveries are created for every destination of the
    estate holding a grant for the category, enabled or not (disabled means paused).
    """
    try:
        with transaction.atomic():  # a savepoint: a duplicate must not spoil the caller's transaction
            record = OutboxRecord.objects.create(
                estate=estate,
                category=category,
                source=source,
                source_ref=str(source_ref),
                payload=payload,
                occurred_at=occurred_at,
            )
    except IntegrityError:
        return None
    systems = ExternalSystem.objects.filter(estate=estate, grants__category=category).distinct()
    now = timezone.now()
    Delivery.objects.bulk_create(
        [
            Delivery(record=record, system=s, next_attempt_at=now, remote_key=remote_key(s, record))
            for s in systems
        ]
    )
    if systems:
        # By name: tasks import services, never the reverse (no import cycle to hide).
        current_app.tasks[DELIVER_TASK].delay_on_commit()
    return record


def outbox_append_many(*, records: list[OutboxRecord]) -> list[OutboxRecord]:
    """``outbox_append`` for a batch (the passage relay), in the caller's transaction.

    ``records`` are unsaved, each with its ``estate`` set. Causes already recorded are skipped
    (one query), the rest stored with one INSERT and their deliveries with another, whatever
    the batch size: a burst of gate passages costs a constant number of queries.
    """
    if not records:
        return []
    existing = set(
        OutboxRecord.objects.filter(
            category__in={r.category for r in records},
            source__in={r.source for r in records},
            source_ref__in=[r.source_ref for r in records],
        ).values_list("category", "source", "source_ref")
    )
    fresh = [r for r in records if (r.category, r.source, r.source_ref) not in existing]
    if not fresh:
        return []
    stored = OutboxRecord.objects.bulk_create(fresh)
    systems: dict[tuple[int, str], list[ExternalSystem]] = defaultdict(list)
    for grant in DataGrant.objects.filter(
        system__estate_id__in={r.estate_id for r in stored}, category__in={r.category for r in stored}
    ).select_related("system"):
        systems[grant.system.estate_id, grant.category].append(grant.system)
    now = timezone.now()
    deliveries = []
    for record in stored:
        for system in systems.get((record.estate_id, record.category), []):
            deliveries.append(
                Delivery(
                    record=record, system=system, next_attempt_at=now, remote_key=remote_key(system, record)
                )
            )
    Delivery.objects.bulk_create(deliveries)
    if deliveries:
        current_app.tasks[DELIVER_TASK].delay_on_commit()
    return stored


# --- Delivery -------------------------------------------------------------------------------


@dataclass
class DeliveryReport:
    delivered: int = 0
    retried: int = 0
    rejected: int = 0
    withheld: int = 0


def _lease(system: ExternalSystem, *, now: dt.datetime, limit: int) -> list[Delivery]:
    with transaction.atomic():
        rows = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(system=system, status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            .select_related("record")
            .order_by("record_id")[:limit]
        )
        if rows:
            Delivery.objects.filter(pk__in=[d.pk for d in rows]).update(next_attempt_at=now + LEASE)
    return rows


def adapter_for(system: ExternalSystem):
    if system.kind == SystemKind.GAT1400:
        user, password = credentials.username_password(system.credentials_ref)
        return ADAPTERS["gat1400"](
            endpoint=system.endpoint,
            device_id=system.device_id,
            username=user,
            password=password,
            extensions=system.extensions,
            timeout=settings.EXCHANGE_HTTP_TIMEOUT,
        )
    if system.kind == SystemKind.CITY_PUSH:
        return ADAPTERS["city_push"](
            endpoint=system.endpoint,
            service_code=system.service_code,
            secret=credentials.secret(system.credentials_ref),
            timeout=settings.EXCHANGE_HTTP_TIMEOUT,
        )
    raise ServiceError(_("Files are exported by staff, not pushed."), code="not_pushed")


def payload_for(grant: DataGrant, record: OutboxRecord) -> dict:
    return minimise(
        record.payload,
        fields=categories.grant_fields(record.category, grant.fields),
        masked=categories.grant_masks(record.category, grant.masked),
    )


def _record_outcomes(outcomes: dict[int, Outcome], leased: dict[int, Delivery], now, report) -> None:
    with transaction.atomic():
        for delivery_id, outcome in outcomes.items():
            delivery = leased[delivery_id]
            if outcome.kind is OutcomeKind.DELIVERED:
                delivery.status, delivery.delivered_at, delivery.last_error = (
                    DeliveryStatus.DELIVERED,
                    now,
                    "",
                )
                report.delivered += 1
            elif outcome.kind is OutcomeKind.REJECTED:
                delivery.status, delivery.last_error = DeliveryStatus.REJECTED, outcome.detail[:500]
                report.rejected += 1
            else:
                delivery.attempts += 1
                delivery.next_attempt_at = now + backoff(delivery.attempts)
                delivery.last_error = outcome.detail[:500]
                report.retried += 1
            if outcome.kind is not OutcomeKind.RETRY:
                delivery.attempts += 1
            delivery.save(
                update_fields=[
                    "status",
                    "attempts",
                    "next_attempt_at",
                    "last_error",
                    "delivered_at",
                    "updated_at",
                ]
            )


def system_deliver(
    *, system: ExternalSystem, by, now: dt.datetime | None = None, adapter=None, max_batches: int = 20
) -> DeliveryReport:
    """Send what is due for one destination; returns what happened. ``by`` is the job or operator."""
    now = now or timezone.now()
    report = DeliveryReport()
    if not system.enabled or system.kind == SystemKind.FILE_EXPORT:
        return report
    adapter = adapter or adapter_for(system)
    grants = {g.category: g for g in system.grants.all()}
    for _batch in range(max_batches):
        leased = _lease(system, now=now, limit=system.batch_size)
        if not leased:
            break
        by_category: dict[str, list[SendItem]] = defaultdict(list)
        withheld = []
        for delivery in leased:
            grant = grants.get(delivery.record.category)
            if grant is None:
                # The grant was withdrawn after the record was queued: the record never leaves.
                withheld.append(delivery.pk)
                continue
            by_category[delivery.record.category].append(
                SendItem(
                    delivery.pk,
                    delivery.remote_key,
                    delivery.record.category,
                    payload_for(grant, delivery.record),
                )
            )
        if withheld:
            Delivery.objects.filter(pk__in=withheld).update(status=DeliveryStatus.WITHHELD)
            report.withheld += len(withheld)
        outcomes: dict[int, Outcome] = {}
        for category, items in by_category.items():
            try:
                outcomes.update(adapter.send(category, items))
            except TransportError as exc:
                logger.warning("exchange: %s (%s) %s: %s", system.name, system.pk, category, exc)
                outcomes.update({i.delivery_id: Outcome(OutcomeKind.RETRY, str(exc)) for i in items})
        _record_outcomes(outcomes, {d.pk: d for d in leased}, now, report)
        if (
            system.kind == SystemKind.GAT1400
            and getattr(adapter, "registered", False)
            and system.registered_at is None
        ):
            ExternalSystem.objects.filter(pk=system.pk).update(registered_at=now)
            system.registered_at = now
        if report.retried:
            break  # the destination is struggling: the rest waits for the back-off
    return report


def exchange_deliver(*, by="system:exchange.deliver", now: dt.datetime | None = None) -> DeliveryReport:
    """Every enabled destination once (the periodic job and ``manage.py exchange_deliver``)."""
    total = DeliveryReport()
    for system in ExternalSystem.objects.filter(enabled=True).exclude(kind=SystemKind.FILE_EXPORT):
        try:
            report = system_deliver(system=system, by=by, now=now)
        except ServiceError as exc:  # e.g. a secret not configured: visible on the system, others go on
            logger.error("exchange: %s cannot send: %s", system.name, "; ".join(exc.messages))
            continue
        for name in ("delivered", "retried", "rejected", "withheld"):
            setattr(total, name, getattr(total, name) + getattr(report, name))
    return total


@transaction.atomic
def deliveries_resend_from(*, system: ExternalSystem, from_record: int, by) -> int:
    """Operators' "resend from N": every delivery of ``system`` from record N on is due again.

    Safe because the destination deduplicates on the remote key, which does not change.
    """
    if from_record < 1:
        raise ServiceError({"from_record": [_("Give a record number of 1 or more.")]})
    count = (
        Delivery.objects.filter(system=system, record_id__gte=from_record)
        .exclude(status=DeliveryStatus.WITHHELD)
        .update(status=DeliveryStatus.PENDING, next_attempt_at=timezone.now(), attempts=0, last_error="")
    )
    ExchangeAction.objects.create(
        system=system,
        kind=ActionKind.RESEND,
        params={"from_record": from_record, "deliveries": count},
        **_actor(by),
    )
    return count


@transaction.atomic
def system_token_rotate(*, system: ExternalSystem, by) -> str:
    """A new open-API token for ``system`` (shown once; only its hash is kept)."""
    token = std_secrets.token_urlsafe(32)
    system.api_token_hash = hashlib.sha256(token.encode()).hexdigest()
    system.save(update_fields=["api_token_hash"])
    ExchangeAction.objects.create(system=system, kind=ActionKind.TOKEN_ROTATED, **_actor(by))
    return token


def system_for_token(token: str) -> ExternalSystem | None:
    if not token:
        return None
    digest = hashlib.sha256(token.encode()).hexdigest()
    return ExternalSystem.objects.filter(api_token_hash=digest, enabled=True).select_related("estate").first()


def action_record(*, system: ExternalSystem, kind: str, params: dict, by) -> ExchangeAction:
    return ExchangeAction.objects.create(system=system, kind=kind, params=params, **_actor(by))


# --- Destinations ---------------------------------------------------------------------------


@transaction.atomic
def system_save(*, system: ExternalSystem, by) -> ExternalSystem:
    """Create or change a destination; what each kind needs to send is checked here."""
    errors: dict[str, list] = {}
    if system.kind in (SystemKind.GAT1400, SystemKind.CITY_PUSH):
        if not system.endpoint:
            errors["endpoint"] = [_("A pushing destination needs its endpoint.")]
        if not system.credentials_ref:
            errors["credentials_ref"] = [_("Name the secret this destination uses.")]
    if system.kind == SystemKind.GAT1400 and not gat1400_ids.is_device_id(system.device_id):
        errors["device_id"] = [_("GA/T 1400 needs our 20-digit id, starting with the GB/T 2260 area code.")]
    if system.kind == SystemKind.CITY_PUSH and not system.service_code:
        errors["service_code"] = [_("The city platform needs the service code it assigned.")]
    unknown = sorted(set(system.extensions or []) - {"PersonInfos", "DoorInfos", "DoorDevices", "CarInfos"})
    if unknown:
        errors["extensions"] = [_("Unknown extensions: %(e)s") % {"e": ", ".join(unknown)}]
    if errors:
        raise ServiceError(errors)
    system.full_clean()
    system.save()
    return system


def file_export(*, system: ExternalSystem, since: dt.datetime, until: dt.datetime, by) -> bytes:
    """The provincial tables as one Excel workbook, minimised and masked by the system's grants."""
    if system.kind != SystemKind.FILE_EXPORT:
        raise ServiceError(_("Only file-export destinations are exported."), code="not_file_export")
    if until <= since:
        raise ServiceError({"until": [_("The end must be after the start.")]})
    grants = {g.category: g for g in system.grants.all()}
    records = OutboxRecord.objects.filter(
        estate_id=system.estate_id, category__in=list(grants), occurred_at__gte=since, occurred_at__lt=until
    ).order_by("id")
    rows: dict[str, list[dict]] = defaultdict(list)
    for record in records.iterator():
        rows[record.category].append(payload_for(grants[record.category], record))
    content = workbook_bytes(rows)
    action_record(
        system=system,
        kind=ActionKind.EXPORTED,
        params={"since": since.isoformat(), "until": until.isoformat(), "rows": sum(map(len, rows.values()))},
        by=by,
    )
    return content
