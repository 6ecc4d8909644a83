"""Access demo data: three gates, a device per protocol, residents' cards, a visitor pass and
a few thousand historical access events (bulk_create), all idempotent.

Demo devices (docs/devices.md shows how to drive them, ``manage.py simulate_devices`` does):
native gate token ``demo-gate-token``, ZKTeco SN ``DEMOZK0001``, Hikvision token ``demo-hik-token``.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from community.demo import DemoContext, register_seeder
from community.residents.models import Occupancy, Resident

from .models import (
    AccessEvent,
    Credential,
    CredentialKind,
    Device,
    DeviceKind,
    Direction,
    Gate,
    GateDirection,
    Method,
    Protocol,
    Result,
    VisitorPass,
    token_hash,
)

NATIVE_TOKEN = "demo-gate-token"
HIK_TOKEN = "demo-hik-token"
ZK_SERIAL = "DEMOZK0001"
HISTORY_EVENTS = 3000
HISTORY_DAYS = 14
CARDS = 80
SEED = 20261120

GATES = [
    ("南门", "南门岗亭", GateDirection.BOTH),
    ("北门", "北门车行道旁", GateDirection.BOTH),
    ("东门人行通道", "东门", GateDirection.IN),
]
DEVICES = [
    # name, gate, protocol, serial, token
    ("南门人脸门禁", "南门", Protocol.NATIVE, None, NATIVE_TOKEN),
    ("北门刷卡门禁 (ZKTeco)", "北门", Protocol.ZKTECO, ZK_SERIAL, None),
    ("东门人脸终端 (海康)", "东门人行通道", Protocol.HIKVISION, None, HIK_TOKEN),
]


def demo_card_number(resident_id: int) -> str:
    return f"{880000000 + resident_id:010d}"


@register_seeder(order=40)
@transaction.atomic
def seed_access(ctx: DemoContext) -> None:
    estate = ctx.estate
    gates = {}
    for name, location, direction in GATES:
        gates[name], _ = Gate.objects.get_or_create(
            estate=estate, name=name, defaults={"location": location, "direction": direction}
        )
    devices = {}
    for name, gate, protocol, serial, token in DEVICES:
        device = Device.objects.filter(estate=estate, name=name).first()
        if device is None:
            device = Device.objects.create(
                estate=estate,
                name=name,
                gate=gates[gate],
                kind=DeviceKind.GATE,
                protocol=protocol,
                serial_number=serial,
                token_hash=token_hash(token) if token else None,
                approved=True,
                enabled=True,
                time_zone="Asia/Shanghai",
            )
        devices[protocol] = device

    residents = list(
        Resident.objects.filter(
            estate=estate, pk__in=Occupancy.objects.active().values("resident_id")
        ).order_by("pk")[:CARDS]
    )
    # The demo owner's household too, so the portal's "my household's access records" shows something.
    owner = ctx.users.get("owner")
    if owner is not None:
        household = (
            Occupancy.objects.active()
            .filter(unit__in=Occupancy.objects.active().filter(resident__user=owner).values("unit_id"))
            .values("resident_id")
        )
        residents += [
            r for r in Resident.objects.filter(pk__in=household).order_by("pk") if r not in residents
        ]
    have = set(
        Credential.objects.filter(estate=estate, kind=CredentialKind.CARD).values_list("value", flat=True)
    )
    Credential.objects.bulk_create(
        [
            Credential(estate=estate, resident=r, kind=CredentialKind.CARD, value=demo_card_number(r.pk))
            for r in residents
            if demo_card_number(r.pk) not in have
        ]
    )
    card_of = dict(
        Credential.objects.filter(
            estate=estate, kind=CredentialKind.CARD, revoked_at__isnull=True
        ).values_list("resident_id", "pk")
    )

    unit = None
    if owner is not None:
        occupancy = Occupancy.objects.active().filter(resident__user=owner).select_related("unit").first()
        unit = occupancy.unit if occupancy else None
    if unit is not None and not VisitorPass.objects.filter(unit=unit, visitor_name="张阿姨").exists():
        import secrets

        now = timezone.now()
        VisitorPass.objects.create(
            estate=estate,
            unit=unit,
            created_by=owner,
            visitor_name="张阿姨",
            visitor_phone="13911112222",
            valid_from=now - dt.timedelta(hours=1),
            valid_until=now + dt.timedelta(days=7),
            max_entries=10,
            nonce=secrets.token_urlsafe(9),
        )

    native = devices[Protocol.NATIVE]
    if AccessEvent.objects.filter(device=native, idempotency_key__startswith="demo-").exists():
        ctx.stdout.write("access: demo history already present")
        return
    rng = random.Random(SEED)
    # Local time: rush hours are 7-9 on the estate's clock, not in UTC.
    now = timezone.localtime().replace(microsecond=0)
    device_list = list(devices.values())
    events = []
    for n in ctx.progress(range(HISTORY_EVENTS), "access events", total=HISTORY_EVENTS):
        day = rng.randrange(HISTORY_DAYS)
        # Rush hours: most passes at 7-9 and 17-19.
        hour = rng.choice([7, 7, 8, 8, 8, 12, 17, 18, 18, 19, 21, rng.randrange(24)])
        at = (
            now
            - dt.timedelta(days=day + 1)
            + dt.timedelta(hours=hour - now.hour, minutes=rng.randrange(60), seconds=rng.randrange(60))
        )
        device = rng.choice(device_list)
        resident = rng.choice(residents) if residents else None
        denied = rng.random() < 0.06
        card = resident is not None and resident.pk in card_of and not denied
        events.append(
            AccessEvent(
                estate=estate,
                device=device,
                gate_id=device.gate_id,
                occurred_at=at,
                received_at=at,
                direction=rng.choice([Direction.IN, Direction.OUT]),
                method=Method.CARD if card or denied else Method.FACE,
                result=Result.DENIED if denied else Result.GRANTED,
                reason="credential_unknown" if denied else "",
                resident=None if denied else resident,
                credential_id=card_of.get(resident.pk) if card else None,
                credential_value=demo_card_number(resident.pk) if card else ("0000000000" if denied else ""),
                idempotency_key=f"demo-{n}",
            )
        )
    AccessEvent.objects.bulk_create(events, batch_size=1000)
    ctx.stdout.write(
        f"access: {len(devices)} devices, {len(residents)} cards, {len(events)} historical events"
    )
