"""Eldercare demo data: a care station with the demo workers, the catalog, five elders with
consents and assessments (one is the demo owner's mother, so 13800000001 sees her in
/portal/care/), subsidy policies, a month of orders through the services, a few alarms and a
care alarm device with token ``demo-care-token``. Idempotent: a second run adds nothing."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from access.models import Device, DeviceKind, Protocol, token_hash
from community.accounts.roles import StaffRole
from community.demo import DemoContext, register_seeder
from community.residents.demo import id_number_checksum
from community.residents.models import Occupancy, Resident, StaffMembership, Unit

from . import services
from .models import (
    CareStation,
    ConsentCategory,
    DutyShift,
    ElderCategory,
    ElderProfile,
    Order,
    ServiceCategory,
    ServiceItem,
    ServiceUnit,
    SubsidyKind,
    SubsidyPolicy,
)

CARE_TOKEN = "demo-care-token"
SEED = 20261202
HOME = (Decimal("32.629000"), Decimal("110.798000"))

ITEMS = [
    # name, category, unit, price, duration, minimum, eligible levels, needs assessment
    ("午餐配送", ServiceCategory.MEALS, ServiceUnit.MEAL, "15.00", 15, 0, [], False),
    ("晚餐配送", ServiceCategory.MEALS, ServiceUnit.MEAL, "12.00", 15, 0, [], False),
    ("助洁 2小时", ServiceCategory.CLEANING, ServiceUnit.VISIT, "60.00", 120, 90, [], False),
    ("上门助浴", ServiceCategory.BATHING, ServiceUnit.VISIT, "80.00", 60, 40, [1, 2, 3, 4], True),
    ("助医陪诊", ServiceCategory.MEDICAL_ESCORT, ServiceUnit.HOUR, "50.00", 180, 60, [], False),
    ("探访关爱", ServiceCategory.VISIT, ServiceUnit.VISIT, "30.00", 45, 20, [], False),
    ("助急", ServiceCategory.EMERGENCY, ServiceUnit.VISIT, "0.00", 30, 0, [], False),
]
# name, birth date, category, lives alone, part scores (self-care, mobility, mental, perception), dementia
ELDERS = [
    ("王秀英", dt.date(1944, 5, 1), ElderCategory.OLDEST_OLD, True, (20, 9, 22, 10), False),
    ("李德福", dt.date(1950, 8, 12), ElderCategory.LOW_INCOME, True, (28, 12, 25, 12), False),
    ("张桂兰", dt.date(1938, 2, 3), ElderCategory.OLDEST_OLD, False, (10, 5, 12, 6), True),
    ("刘长顺", dt.date(1955, 11, 20), ElderCategory.REGULAR, False, (32, 15, 28, 15), False),
    ("陈玉珍", dt.date(1947, 7, 7), ElderCategory.SPECIAL_HARDSHIP, True, (18, 8, 20, 9), False),
]
POLICIES = [
    ("高龄老人居家养老服务补贴", ElderCategory.OLDEST_OLD, 0, 4, SubsidyKind.FIXED, "200.00", "0"),
    ("低保老人服务补贴（70%）", ElderCategory.LOW_INCOME, 0, 4, SubsidyKind.PERCENT, "300.00", "70"),
    ("特困老人服务补贴", ElderCategory.SPECIAL_HARDSHIP, 0, 4, SubsidyKind.FIXED, "400.00", "0"),
    ("失能老人护理补贴", ElderCategory.REGULAR, 2, 4, SubsidyKind.FIXED, "150.00", "0"),
]


def _staff(estate, role):
    membership = StaffMembership.objects.filter(estate=estate, role=role).select_related("user").first()
    return membership.user if membership else None


def _id_number(born: dt.date, n: int) -> str:
    first17 = f"420302{born:%Y%m%d}{100 + n:03d}"  # 十堰市茅箭区, birth date, sequence
    return first17 + id_number_checksum(first17)


def _elder_resident(estate, name: str, born: dt.date, n: int, unit: Unit | None) -> Resident:
    resident = Resident.objects.filter(estate=estate, name=name).first()
    if resident is None:
        resident = Resident.objects.create(estate=estate, name=name, id_number=_id_number(born, n))
    if unit is not None and not resident.occupancies.exists():
        Occupancy.objects.create(resident=resident, unit=unit, role="family", start_date=dt.date(2015, 1, 1))
    return resident


def _month_of_orders(elders, items, worker, coordinator, now) -> int:
    rng = random.Random(SEED)
    count = 0
    for days_ago in range(30, 0, -1):
        day = (now - dt.timedelta(days=days_ago)).astimezone(timezone.get_current_timezone()).date()
        if day.weekday() >= 5:
            continue
        for elder in elders[:3]:
            booked_at = timezone.make_aware(dt.datetime.combine(day - dt.timedelta(days=1), dt.time(18)))
            lunch = services.order_book(
                elder=elder, item=items["午餐配送"], by=coordinator, day=day, meal_slot="lunch", now=booked_at
            )
            delivered = lunch.promised_at + dt.timedelta(minutes=rng.choice([-10, -5, 0, 5, 20]))
            services.order_accept(order=lunch, by=worker, now=delivered - dt.timedelta(hours=2))
            services.order_check_in(
                order=lunch, by=worker, latitude=HOME[0], longitude=HOME[1], accuracy=15, now=delivered
            )
            services.order_check_out(
                order=lunch,
                by=worker,
                latitude=HOME[0],
                longitude=HOME[1],
                accuracy=15,
                now=delivered + dt.timedelta(minutes=5),
            )
            count += 1
        if day.weekday() == 4:  # Friday cleaning for the first elder
            start = timezone.make_aware(dt.datetime.combine(day, dt.time(9)))
            cleaning = services.order_book(
                elder=elders[0],
                item=items["助洁 2小时"],
                by=coordinator,
                scheduled_at=start,
                now=start - dt.timedelta(days=2),
            )
            services.order_accept(order=cleaning, by=worker, now=start - dt.timedelta(days=1))
            services.order_check_in(
                order=cleaning, by=worker, latitude=HOME[0], longitude=HOME[1], accuracy=20, now=start
            )
            out = start + dt.timedelta(minutes=rng.choice([70, 110, 125]))
            services.order_check_out(
                order=cleaning, by=worker, latitude=HOME[0], longitude=HOME[1], accuracy=20, now=out
            )
            count += 1
    # Open orders for the worker page: tomorrow's and next week's.
    for n, elder in enumerate(elders):
        when = now + dt.timedelta(days=1 + n % 3, hours=2)
        services.order_book(elder=elder, item=items["探访关爱"], by=coordinator, scheduled_at=when, now=now)
        count += 1
    return count


def _duty_week(estate, coordinator, *, by) -> None:
    """The coordinator's day shifts (08:00–20:00) for this week; nights fall back to every
    coordinator of the estate, as an empty roster does."""
    if (
        _staff(estate, StaffRole.ELDERCARE_COORDINATOR) is None
        or DutyShift.objects.filter(estate=estate).exists()
    ):
        return
    today = timezone.localdate()
    for offset in range(7):
        start = timezone.make_aware(dt.datetime.combine(today + dt.timedelta(days=offset), dt.time(8)))
        services.duty_shift_create(
            estate=estate,
            coordinator=coordinator,
            starts_at=start,
            ends_at=start + dt.timedelta(hours=12),
            note="白班",
            by=by,
        )


# Before access (40): its seeder gives residents their cards, elders included.
@register_seeder(order=35)
@transaction.atomic
def seed_eldercare(ctx: DemoContext) -> None:
    estate = ctx.estate
    worker = ctx.users["eldercare_worker"]
    coordinator = _staff(estate, StaffRole.ELDERCARE_COORDINATOR) or ctx.users["manager"]
    station, _ = CareStation.objects.get_or_create(
        name=f"{estate.name}居家养老服务站",
        defaults={"phone": "0719-8888000", "latitude": HOME[0], "longitude": HOME[1]},
    )
    station.estates.add(estate)
    items = {}
    for name, category, unit, price, duration, minimum, levels, needs in ITEMS:
        items[name], _ = ServiceItem.objects.get_or_create(
            station=station,
            name=name,
            defaults={
                "category": category,
                "unit": unit,
                "price": Decimal(price),
                "duration_minutes": duration,
                "min_minutes": minimum,
                "eligible_levels": levels,
                "needs_assessment": needs,
            },
        )
    for name, category, lo, hi, kind, amount, percent in POLICIES:
        SubsidyPolicy.objects.get_or_create(
            estate=estate,
            name=name,
            defaults={
                "elder_category": category,
                "min_level": lo,
                "max_level": hi,
                "kind": kind,
                "monthly_amount": Decimal(amount),
                "percent": Decimal(percent),
                "valid_from": dt.date(2024, 1, 1),
            },
        )
    # The demo owner's flat houses the first elder (the owner's mother); the others get flats of their own.
    owner_unit = (
        Occupancy.objects.active()
        .filter(resident__user=ctx.users["owner"])
        .values_list("unit", flat=True)
        .first()
    )
    free_units = list(
        Unit.objects.filter(building__estate=estate).exclude(pk=owner_unit).order_by("pk")[:40:8]
    )
    elders = []
    for n, (name, born, category, alone, parts, dementia) in enumerate(ELDERS):
        unit = (
            Unit.objects.filter(pk=owner_unit).first()
            if n == 0
            else (free_units[n - 1] if len(free_units) >= n else None)
        )
        resident = _elder_resident(estate, name, born, n, unit)
        elder = ElderProfile.objects.filter(resident=resident).first()
        if elder is None:
            elder = services.elder_profile_create(
                resident=resident, birth_date=born, lives_alone=alone, category=category, by=coordinator
            )
            services.elder_profile_update(
                elder=elder, data={"home_latitude": HOME[0], "home_longitude": HOME[1]}, by=coordinator
            )
            for consent in ConsentCategory.values:
                services.consent_record(
                    elder=elder, category=consent, granted=True, given_by="elder", by=coordinator
                )
            services.assessment_record(
                elder=elder,
                self_care=parts[0],
                mobility=parts[1],
                mental_state=parts[2],
                perception_social=parts[3],
                dementia=dementia,
                reason="first",
                assessed_on=timezone.localdate() - dt.timedelta(days=60),
                by=coordinator,
            )
        elders.append(elder)
    first = elders[0]
    if not first.contacts.exists():
        owner = Resident.objects.filter(estate=estate, user=ctx.users["owner"]).first()
        if owner is not None:
            services.contact_add(
                elder=first, name=owner.name, resident=owner, relation="子女", by=coordinator
            )
    device = Device.objects.filter(estate=estate, name="王秀英家 一键呼救").first()
    if device is None:
        device = Device.objects.create(
            estate=estate,
            name="王秀英家 一键呼救",
            kind=DeviceKind.CARE_ALARM,
            protocol=Protocol.NATIVE,
            token_hash=token_hash(CARE_TOKEN),
            approved=True,
        )
    first.devices.add(device)
    _duty_week(estate, coordinator, by=ctx.users["manager"])
    if Order.objects.filter(station=station).exists():
        return
    now = timezone.now()
    created = _month_of_orders(elders, items, worker, coordinator, now)
    # A few alarms, answered at different speeds.
    for n, (kind, outcome, minutes) in enumerate(
        [("sos", "handled", 1), ("fall", "false_alarm", 3), ("smoke", "handled", 2)]
    ):
        raised = now - dt.timedelta(days=3 + 5 * n, hours=n)
        alarm, _ = services.alarm_raise(
            elder=elders[n],
            kind=kind,
            by=device,
            device=device if n == 0 else None,
            device_event_id=f"demo-{n}" if n == 0 else "",
            now=raised,
        )
        services.alarm_acknowledge(alarm=alarm, by=coordinator, now=raised + dt.timedelta(minutes=minutes))
        services.alarm_arrive(alarm=alarm, by=worker, now=raised + dt.timedelta(minutes=minutes + 8))
        services.alarm_resolve(
            alarm=alarm, outcome=outcome, by=coordinator, now=raised + dt.timedelta(minutes=minutes + 20)
        )
    ctx.stdout.write(f"eldercare: {len(elders)} elders, {created} orders, care alarm token {CARE_TOKEN}\n")
