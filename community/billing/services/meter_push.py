"""Smart meters pushing readings: device-token authentication, the raw message stored first,
idempotent by message id, answered only after the commit.

A gateway (a smart meter, or a concentrator for many) posts
``{"message_id": "…", "readings": [{"meter": "<serial>", "value": "123.45",
"read_at": "2026-11-30T23:50:00+08:00"}, …]}``. The message is kept raw with what became of each
reading; readings go through the same checks as any other (``meter_reading_record``: never
below the previous one, archived meters refused, one reading a day). A reading that is refused
is kept in the message for staff, and the answer says so: the device is told "stored" only for
what was stored. The same message id again is answered from the first delivery.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import zoneinfo
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from community.errors import ServiceError

from ..models import Meter, MeterGateway, MeterPush, ReadingSource
from ._common import actor_label
from .meters import meter_reading_record

MAX_READINGS = 500


def token_hash(token: str) -> str:
    """Tokens are long random strings: one unsalted sha256 is enough, and indexable."""
    return hashlib.sha256(token.encode()).hexdigest()


def meter_gateway_create(*, estate, name: str, by) -> tuple[MeterGateway, str]:
    """A gateway and its token; the token is returned once and only its hash is kept."""
    actor = actor_label(by)
    name = (name or "").strip()
    if not name:
        raise ServiceError({"name": [_("Give the gateway a name.")]})
    token = secrets.token_urlsafe(32)
    gateway = MeterGateway.objects.create(
        estate=estate, name=name, token_hash=token_hash(token), created_by=actor
    )
    return gateway, token


def meter_gateway_for_token(token: str) -> MeterGateway | None:
    if not token or len(token) > 200:
        return None
    return (
        MeterGateway.objects.filter(token_hash=token_hash(token), active=True)
        .select_related("estate")
        .first()
    )


@dataclass
class PushAnswer:
    status: int
    body: dict = field(default_factory=dict)


def _read_on(value, estate) -> dt.date:
    """The local date of a reading: ``read_at`` is an ISO datetime with its offset (a naive one
    is the estate's local time) or a bare date."""
    text = str(value or "").strip()
    if len(text) == 10:
        return dt.date.fromisoformat(text)
    moment = dt.datetime.fromisoformat(text)
    zone = zoneinfo.ZoneInfo(estate.time_zone)
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(zone).date()


def meter_push_receive(*, gateway: MeterGateway, body: bytes, by=None) -> PushAnswer:
    """Store the pushed message and its readings in one transaction; the view answers after it."""
    actor = actor_label(by or f"system:meter-gateway-{gateway.pk}")
    text = body.decode("utf-8", errors="replace")
    try:
        message = json.loads(text)
        if not isinstance(message, dict) or not isinstance(message.get("readings"), list):
            raise ValueError
    except ValueError:
        MeterPush.objects.create(gateway=gateway, body=text, flagged=True, refused=[{"error": "not JSON"}])
        return PushAnswer(400, {"error": 'The body is JSON: {"message_id": …, "readings": [...]}.'})
    message_id = str(message.get("message_id") or "").strip()[:80] or None
    readings = message["readings"]
    if len(readings) > MAX_READINGS:
        MeterPush.objects.create(gateway=gateway, body=text, flagged=True, refused=[{"error": "too many"}])
        return PushAnswer(400, {"error": f"At most {MAX_READINGS} readings in one message."})
    estate = gateway.estate
    today = timezone.now().astimezone(zoneinfo.ZoneInfo(estate.time_zone)).date()
    with transaction.atomic():
        if message_id is not None:
            try:
                with transaction.atomic():
                    push = MeterPush.objects.create(gateway=gateway, message_id=message_id, body=text)
            except IntegrityError:
                first = MeterPush.objects.get(gateway=gateway, message_id=message_id)
                MeterPush.objects.filter(pk=first.pk).update(deliveries=F("deliveries") + 1)
                return PushAnswer(200, {"stored": first.stored, "refused": first.refused, "duplicate": True})
        else:
            push = MeterPush.objects.create(gateway=gateway, body=text)
        meters = {
            m.serial: m
            for m in Meter.objects.filter(
                estate=estate, serial__in=[str(r.get("meter", "")) for r in readings if isinstance(r, dict)]
            )
        }
        stored, refused = 0, []
        for index, reading in enumerate(readings):
            serial = str(reading.get("meter", "")) if isinstance(reading, dict) else ""
            meter = meters.get(serial)
            if meter is None:
                refused.append({"index": index, "meter": serial[:40], "error": "unknown meter"})
                continue
            try:
                read_on = _read_on(reading.get("read_at"), estate)
                with transaction.atomic():
                    meter_reading_record(
                        meter=meter,
                        value=reading.get("value"),
                        read_on=read_on,
                        today=today,
                        source=ReadingSource.DEVICE,
                        by=actor,
                    )
            except (ValueError, TypeError):
                refused.append(
                    {"index": index, "meter": serial[:40], "error": "read_at is not an ISO date/time"}
                )
                continue
            except ServiceError as exc:
                refused.append({"index": index, "meter": serial[:40], "error": " ".join(exc.messages)[:200]})
                continue
            stored += 1
        push.stored, push.refused, push.flagged = stored, refused, bool(refused)
        push.save(update_fields=["stored", "refused", "flagged"])
        MeterGateway.objects.filter(pk=gateway.pk).update(last_seen_at=timezone.now())
    return PushAnswer(200, {"stored": stored, "refused": refused, "duplicate": False})
