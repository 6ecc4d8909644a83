"""The core seeder: writes the plan's rows that are not in the database yet (idempotent)."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from community.demo import DEMO_PASSWORD, DemoContext, register_seeder

from ..models import Announcement, Building, Estate, Occupancy, Resident, Unit
from ..services import staff_membership_create
from .plan import (
    BUILDINGS,
    DEMO_USERS,
    ESTATE,
    EXTRA_STAFF,
    FLOORS,
    GARAGE,
    SEED,
    Person,
    Planner,
    households,
    unit_plan,
)

DEMO_ACTOR = "system:seed_demo"


def demo_context_build(*, stdout, progress) -> DemoContext:
    """The demo estate and the named demo users (created when missing), as seeders get them."""
    estate, _created = Estate.objects.get_or_create(code=ESTATE["code"], defaults=ESTATE)
    users = _ensure_users()
    return DemoContext(estate=estate, users=users, stdout=stdout, progress=progress)


def _ensure_users() -> dict:
    """The named demo users, found by username or phone (one may have signed up already)."""
    user_model = get_user_model()
    wanted = {"admin": {"username": "admin", "name": "系统管理员", "is_staff": True, "is_superuser": True}}
    for key, phone, name, _role in DEMO_USERS + EXTRA_STAFF:
        wanted[key] = {"username": f"u{phone.lstrip('+')}", "phone": phone, "name": name}

    def existing() -> dict:
        found = user_model.objects.filter(
            Q(username__in=[w["username"] for w in wanted.values()])
            | Q(phone__in=[w["phone"] for w in wanted.values() if "phone" in w])
        )
        by_phone = {str(u.phone): u for u in found if u.phone}
        by_username = {u.username: u for u in found}
        return {
            key: by_phone.get(w.get("phone", "")) or by_username.get(w["username"])
            for key, w in wanted.items()
        }

    users = existing()
    missing = [w for key, w in wanted.items() if users[key] is None]
    if missing:
        password = make_password(DEMO_PASSWORD)  # one hash for all: hashing is slow on purpose
        user_model.objects.bulk_create([user_model(password=password, **w) for w in missing])
        users = existing()
    return users


@register_seeder(order=0, name="core")
@transaction.atomic
def seed(ctx: DemoContext) -> None:
    """Buildings, units, residents, occupancies, staff memberships and announcements."""
    estate = ctx.estate
    planner = Planner(SEED)
    steps = ctx.progress(
        ["staff", "buildings", "units", "residents", "occupancies", "announcements"], "core", total=6
    )
    for step in steps:
        if step == "staff":
            for key, _phone, _name, role in DEMO_USERS + EXTRA_STAFF:
                if role:
                    staff_membership_create(user=ctx.users[key], estate=estate, role=role, by=DEMO_ACTOR)
        elif step == "buildings":
            buildings = _ensure_buildings(estate)
        elif step == "units":
            units_plan = unit_plan(planner.rng)
            units = _ensure_units(buildings, units_plan)
        elif step == "residents":
            plan = list(households(planner, units_plan, DEMO_USERS[0][1], DEMO_USERS[1][1]))
            residents = _ensure_residents(estate, plan, ctx.users)
        elif step == "occupancies":
            _ensure_occupancies(plan, units, residents)
        elif step == "announcements":
            _ensure_announcements(estate, ctx.users["manager"])


def _ensure_buildings(estate: Estate) -> dict[str, Building]:
    names = [f"{b}栋" for b in range(1, BUILDINGS + 1)]
    have = set(Building.objects.filter(estate=estate).values_list("name", flat=True))
    Building.objects.bulk_create(
        [Building(estate=estate, name=n, floors=FLOORS) for n in names if n not in have]
        + ([Building(estate=estate, name=GARAGE, floors=None)] if GARAGE not in have else [])
    )
    return {b.name: b for b in Building.objects.filter(estate=estate, name__in=[*names, GARAGE])}


def _ensure_units(buildings: dict[str, Building], plan: list[tuple]) -> dict[tuple, int]:
    def existing() -> dict[tuple, int]:
        rows = Unit.objects.filter(building__in=buildings.values()).values_list(
            "building__name", "entrance", "number", "pk"
        )
        return {(b, e, n): pk for b, e, n, pk in rows}

    have = existing()
    new = [
        Unit(
            building=buildings[b],
            entrance=e,
            floor=floor,
            number=number,
            exclusive_area=area,
            area_source=source,
            usage=usage,
            developer_owned=unsold,
        )
        for b, e, floor, number, area, source, usage, unsold in plan
        if (b, e, number) not in have
    ]
    if new:
        Unit.objects.bulk_create(new, batch_size=500)
        have = existing()
    return have


def _ensure_residents(estate: Estate, plan, users: dict) -> dict[str, int]:
    linked = {DEMO_USERS[0][1]: users["owner"], DEMO_USERS[1][1]: users["tenant"]}
    people: dict[str, Person] = {}
    for person, *_rest in plan:
        people.setdefault(person.key, person)

    def existing() -> dict[str, int]:
        return {str(p): pk for p, pk in Resident.objects.filter(estate=estate).values_list("phone", "pk")}

    have = existing()
    new = [
        Resident(estate=estate, name=p.name, phone=p.key, id_number=p.id_number, user=linked.get(p.key))
        for p in people.values()
        if p.key not in have
    ]
    if new:
        Resident.objects.bulk_create(new, batch_size=500)
        have = existing()
    return have


def _ensure_occupancies(plan, units: dict[tuple, int], residents: dict[str, int]) -> None:
    have = set(
        Occupancy.objects.filter(unit_id__in=units.values()).values_list(
            "resident_id", "unit_id", "start_date"
        )
    )
    new = []
    for person, unit_key, role, start, end, primary in plan:
        resident_id, unit_id = residents[person.key], units[unit_key]
        if (resident_id, unit_id, start) not in have:
            new.append(
                Occupancy(
                    resident_id=resident_id,
                    unit_id=unit_id,
                    role=role,
                    start_date=start,
                    end_date=end,
                    is_primary_contact=primary,
                )
            )
            have.add((resident_id, unit_id, start))
    Occupancy.objects.bulk_create(new, batch_size=500)


def _ensure_announcements(estate: Estate, author) -> None:
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    wanted = [
        (
            "关于二次供水水箱清洗临时停水的通知",
            "因二次供水水箱清洗消毒，本周六 9:00–15:00 1–3 栋停水，请提前储水。给您带来不便，敬请谅解。",
            True,
            now - dt.timedelta(days=1),
            now + dt.timedelta(days=30),
        ),
        (
            "电梯年度检验安排",
            "市特种设备检验所将于下周对全部电梯进行年度检验，检验期间各单元电梯轮流停运约 2 小时。",
            False,
            now - dt.timedelta(days=3),
            None,
        ),
        (
            "居家养老服务站开放预约",
            "小区居家养老服务站提供助餐、助洁、助医陪诊等服务，60 岁以上老人可在“智慧社区”预约。",
            False,
            now - dt.timedelta(days=10),
            None,
        ),
        (
            "春节期间物业服务安排",
            "春节期间物业服务中心值班电话 0719-8888123，报修照常受理。",
            False,
            now - dt.timedelta(days=300),
            now - dt.timedelta(days=270),
        ),
    ]
    have = set(Announcement.objects.filter(estate=estate).values_list("title", flat=True))
    Announcement.objects.bulk_create(
        [
            Announcement(
                estate=estate,
                title=t,
                body=body,
                pinned=pinned,
                publish_at=start,
                expires_at=end,
                created_by=author,
            )
            for t, body, pinned, start, end in wanted
            if t not in have
        ]
    )
