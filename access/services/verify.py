"""The gate's question "may this QR code or card pass, now?": decided, counted, recorded."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from community.errors import ServiceError, text_too_long
from community.residents.models import Resident

from ..inbound import EventIn, column_limit
from ..models import (
    AccessEvent,
    Credential,
    CredentialKind,
    Device,
    Direction,
    Method,
    PassStatus,
    Result,
    VisitorPass,
)
from .ingest import access_events_ingest, gates_of, lock_device
from .passes import visitor_pass_id_from_token

# A repeated event_id within this window answers the first decision again (a gate retrying a
# slow request); older ids are new scans. Bounds the look-up to recent partitions.
IDEMPOTENCY_WINDOW = dt.timedelta(days=1)
# What a QR code is when the gate sends ``type: "qr"`` (not a credential kind).
QR = "qr"


@dataclass
class VerifyResult:
    allow: bool
    reason: str
    event: AccessEvent | None = None
    visitor_pass: VisitorPass | None = None
    resident: Resident | None = None
    duplicate: bool = False


_PASS_DENIALS = {
    PassStatus.REVOKED: "pass_revoked",
    PassStatus.NOT_YET_VALID: "pass_not_yet_valid",
    PassStatus.EXPIRED: "pass_expired",
    PassStatus.USED_UP: "pass_used_up",
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
        raise ServiceError({"gate": _("No such gate in this estate.")})
    if kind != QR and (too_long := text_too_long(value, column_limit("credential_value"))):
        raise ServiceError({"value": [too_long]}, code="too_long")
    with transaction.atomic():
        # A device retrying a slow request sends the same event_id while the first attempt still
        # runs: without this lock both miss "previous", and the pass lock alone would count two
        # entries for one scan (their occurred_at differ, so the unique key does not catch it).
        lock_device(device)
        previous = AccessEvent.objects.filter(
            device_id=device.pk, idempotency_key=event_id, occurred_at__gte=now - IDEMPOTENCY_WINDOW
        ).first()
        if previous is not None:
            return VerifyResult(previous.result == Result.GRANTED, previous.reason, previous, duplicate=True)
        visitor_pass = resident = credential = None
        method = Method.QR if kind == QR else Method.CARD if kind == "card" else Method.OTHER
        if kind == QR:
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
                allow, reason = status == PassStatus.VALID, _PASS_DENIALS.get(status, "")
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
            raise ServiceError({"type": _("Unknown credential type.")})
        event = EventIn(
            key=event_id,
            occurred_at=now,
            result=Result.GRANTED if allow else Result.DENIED,
            direction=direction,
            method=method,
            reason=reason,
            gate_id=gate_id,
            credential_kind=kind if kind != QR else "",
            credential_value=value if kind != QR else "",
            visitor_pass_id=visitor_pass.pk if visitor_pass else None,
            resident_id=resident.pk if resident else None,
            credential_id=credential.pk if credential else None,
        )
        stored = access_events_ingest(device=device, events=[event], received_at=now)
        row = AccessEvent(**stored.rows[0]) if stored.rows else None
    return VerifyResult(allow, reason, row, visitor_pass, resident)
