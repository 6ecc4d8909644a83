"""Parking demo data: a lot with an inner garage, two Vzenith cameras (entry token
``demo-lpr-token``, exit ``demo-lpr-exit-token``), a tariff, spaces, residents' cars and permits,
the demo owner's car, and a month of stays (bulk_create). Idempotent.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from access.models import Device, DeviceKind, Protocol, token_hash
from community.demo import DemoContext, register_seeder
from community.residents.models import Occupancy, Resident

from .fees import fee_due
from .models import (
    FeeRule,
    Lane,
    LaneDirection,
    Lot,
    Permit,
    PermitKind,
    PlateEvent,
    Session,
    SessionKind,
    Space,
    SpaceKind,
    Vehicle,
)
from .transitions import Status

LPR_TOKEN = "demo-lpr-token"
LPR_EXIT_TOKEN = "demo-lpr-exit-token"
OWNER_PLATE = "鄂C12345"
SPACES = 60
VEHICLES = 40
HISTORY_DAYS = 30
SEED = 20261202
PROVINCE_PLATES = ["鄂C", "鄂A", "湘A", "豫A", "陕C"]


def _camera(estate, name: str, token: str) -> Device:
    device = Device.objects.filter(token_hash=token_hash(token)).first()
    if device is None:
        device = Device.objects.create(
            estate=estate,
            name=name,
            kind=DeviceKind.PLATE_CAMERA,
            protocol=Protocol.VZENITH,
            token_hash=token_hash(token),
            approved=True,
            enabled=True,
        )
    return device


@register_seeder(order=50)
@transaction.atomic
def seed_parking(ctx: DemoContext) -> None:
    estate = ctx.estate
    lot, _ = Lot.objects.get_or_create(
        estate=estate, name="地面停车场", defaults={"capacity": 120, "temporary_capacity": 30}
    )
    Lot.objects.get_or_create(
        estate=estate,
        name="地下车库",
        defaults={"capacity": 80, "parent": lot, "allow_temporary": False, "charge_separately": False},
    )
    entry = _camera(estate, "南门入口车牌相机 (臻识)", LPR_TOKEN)
    exit_ = _camera(estate, "南门出口车牌相机 (臻识)", LPR_EXIT_TOKEN)
    Lane.objects.get_or_create(
        device=entry, defaults={"lot": lot, "direction": LaneDirection.IN, "name": "南门入口"}
    )
    Lane.objects.get_or_create(
        device=exit_, defaults={"lot": lot, "direction": LaneDirection.OUT, "name": "南门出口"}
    )
    rule = FeeRule.objects.filter(lot=lot).order_by("-version").first()
    if rule is None:
        rule = FeeRule.objects.create(
            lot=lot,
            version=1,
            effective_from=timezone.now() - dt.timedelta(days=365),
            free_minutes=15,
            unit_minutes=60,
            price_per_unit=Decimal("3.00"),
            daily_cap=Decimal("30.00"),
            night_start=dt.time(22),
            night_end=dt.time(7),
            night_price_per_unit=Decimal("1.00"),
            time_zone=estate.time_zone,
            created_by="system:seed_demo",
        )
    have = set(Space.objects.filter(lot=lot).values_list("number", flat=True))
    Space.objects.bulk_create(
        [
            Space(lot=lot, number=f"A-{n:03d}", kind=SpaceKind.OWNED if n <= 40 else SpaceKind.PUBLIC)
            for n in range(1, SPACES + 1)
            if f"A-{n:03d}" not in have
        ]
    )
    spaces = list(Space.objects.filter(lot=lot, kind=SpaceKind.OWNED).order_by("number"))
    residents = list(
        Resident.objects.filter(
            estate=estate, pk__in=Occupancy.objects.active().values("resident_id")
        ).order_by("pk")[:VEHICLES]
    )
    rng = random.Random(SEED)
    owner_user = ctx.users.get("owner")
    owner = Resident.objects.filter(estate=estate, user=owner_user).first() if owner_user else None
    if owner is not None and not Vehicle.objects.filter(estate=estate, plate=OWNER_PLATE).exists():
        Vehicle.objects.create(
            estate=estate, plate=OWNER_PLATE, owner=owner, space=spaces[0] if spaces else None, approved=True
        )
    existing = set(Vehicle.objects.filter(estate=estate).values_list("plate", flat=True))
    new = []
    for i, resident in enumerate(residents):
        plate = f"{PROVINCE_PLATES[i % len(PROVINCE_PLATES)]}{(i * 7919) % 90000 + 10000:05d}"
        if plate in existing:
            continue
        new.append(
            Vehicle(
                estate=estate,
                plate=plate,
                owner=resident,
                approved=True,
                space=spaces[i + 1] if i + 1 < len(spaces) and i % 2 else None,
            )
        )
    Vehicle.objects.bulk_create(new)
    now = timezone.now()
    vehicles = list(Vehicle.objects.filter(estate=estate).order_by("pk"))
    if not Permit.objects.filter(lot=lot).exists():
        Permit.objects.bulk_create(
            [
                Permit(
                    vehicle=v,
                    lot=lot,
                    kind=PermitKind.MONTHLY if n % 3 else PermitKind.YEARLY,
                    valid_from=now - dt.timedelta(days=20),
                    valid_until=now + dt.timedelta(days=10 if n % 3 else 345),
                    price=Decimal("200.00") if n % 3 else Decimal("2000.00"),
                    paid_amount=Decimal("200.00") if n % 3 else Decimal("2000.00"),
                    created_by="system:seed_demo",
                )
                for n, v in enumerate(vehicles)
                if v.space_id is None
            ]
        )
    if Session.objects.filter(lot=lot).exists():
        ctx.stdout.write("parking: demo stays already present")
        return
    sessions = []
    local_now = timezone.localtime(now)
    for day in ctx.progress(range(HISTORY_DAYS, 0, -1), "parking stays", total=HISTORY_DAYS):
        for _ in range(rng.randint(15, 30)):
            start = (local_now - dt.timedelta(days=day)).replace(
                hour=rng.choice([7, 8, 9, 12, 14, 18, 19, 20]), minute=rng.randrange(60)
            )
            stay = dt.timedelta(minutes=rng.choice([10, 40, 90, 180, 300, 600]))
            resident_car = rng.random() < 0.5 and vehicles
            vehicle = rng.choice(vehicles) if resident_car else None
            plate = (
                vehicle.plate if vehicle else f"{rng.choice(PROVINCE_PLATES)}{rng.randrange(10000, 99999)}"
            )
            fee = Decimal("0.00") if vehicle else fee_due(rule, start, start + stay)
            sessions.append(
                Session(
                    estate=estate,
                    lot=lot,
                    plate=plate,
                    kind=SessionKind.PERMIT if vehicle else SessionKind.TEMPORARY,
                    vehicle=vehicle,
                    entered_at=start,
                    exited_at=start + stay,
                    fee_rule=None if vehicle else rule,
                    fee=fee,
                    paid_amount=fee,
                    paid_at=start + stay - dt.timedelta(minutes=5) if fee else None,
                    status=Status.CLOSED,
                    reasons=[
                        {
                            "at": start.isoformat(),
                            "code": "permit" if vehicle else "temporary",
                            "by": "system:seed_demo",
                        }
                    ],
                )
            )
    # Cars inside now: some residents and a few temporary cars.
    inside = {}
    for n in range(12):
        vehicle = vehicles[n] if n < 8 and n < len(vehicles) else None
        plate = vehicle.plate if vehicle else f"湘A{60000 + n}"
        if plate in inside or plate == OWNER_PLATE:
            continue
        inside[plate] = Session(
            estate=estate,
            lot=lot,
            plate=plate,
            kind=SessionKind.PERMIT if vehicle else SessionKind.TEMPORARY,
            vehicle=vehicle,
            entered_at=now - dt.timedelta(minutes=rng.randrange(20, 600)),
            fee_rule=None if vehicle else rule,
            status=Status.OPEN,
            reasons=[
                {
                    "at": now.isoformat(),
                    "code": "permit" if vehicle else "temporary",
                    "by": "system:seed_demo",
                }
            ],
        )
    Session.objects.bulk_create(sessions + list(inside.values()), batch_size=500)
    PlateEvent.objects.get_or_create(
        device=entry,
        device_key="demo-no-plate",
        defaults={
            "estate": estate,
            "lot": lot,
            "direction": LaneDirection.IN,
            "plate": "_无_",
            "plate_as_read": "_无_",
            "received_at": now,
            "reason": "no_plate",
            "needs_staff": True,
        },
    )
    ctx.stdout.write(
        f"parking: 2 lots, {len(vehicles)} cars, {len(sessions)} past stays, {len(inside)} inside now"
    )
