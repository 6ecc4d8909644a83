"""Demo data: the community office (login 13600000001), its catalogue, and applications in
every state, filed through the services so history, clocks and certificates are real."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from community.accounts.roles import StaffRole
from community.demo import DEMO_PASSWORD, DemoContext, register_seeder
from community.residents.models import Building, Occupancy
from community.residents.services import staff_membership_create

from . import grids, services
from .models import Application, AppointmentSlot, Grid, GridEvent, Roster, ServiceItem
from .transitions import Action

OFFICE_PHONE = "+8613600000001"
ID_CARD = {"key": "id_card", "label": "身份证复印件", "required": True}
ITEMS = [
    ("residence-certificate", "居住证明", 3, True, [ID_CARD, {"key": "lease", "label": "房产证或租赁合同", "required": True}]),
    ("elderly-allowance", "高龄津贴申请", 10, False, [ID_CARD, {"key": "bank_card", "label": "银行卡复印件", "required": True}]),
    ("rental-registration", "出租屋登记", 5, False, [ID_CARD, {"key": "lease", "label": "租赁合同", "required": True}]),
    ("renovation-registration", "装修登记", 3, False, [{"key": "plan", "label": "装修方案", "required": True}]),
    ("low-income-support", "低保认定协助", 15, False, [ID_CARD, {"key": "income", "label": "家庭收入证明", "required": True}]),
]  # fmt: skip


def _pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n%demo\n", content_type="application/pdf")


def _office_user():
    user_model = get_user_model()
    user = user_model.objects.filter(phone=OFFICE_PHONE).first()
    if user is None:
        user = user_model.objects.create(
            username="u8613600000001",
            phone=OFFICE_PHONE,
            name="社区居委会 王主任",
            password=make_password(DEMO_PASSWORD),
        )
    return user


@register_seeder(order=60)
def seed(ctx: DemoContext) -> None:
    estate = ctx.estate
    office = _office_user()
    staff_membership_create(
        user=office, estate=estate, role=StaffRole.COMMUNITY_OFFICE, by="system:seed_demo"
    )
    items = {}
    for code, name, days, certificate, materials in ITEMS:
        items[code], _created = ServiceItem.objects.get_or_create(
            estate=estate,
            code=code,
            defaults={
                "name": name,
                "office": f"{estate.name}社区居委会",
                "time_limit_days": days,
                "issues_certificate": certificate,
                "certificate_title": name if certificate else "",
                "materials": materials,
                "eligibility": "本社区常住居民",
            },
        )
    _seed_grids_and_rosters(estate, office, ctx.users["owner"])
    _seed_slots(items["residence-certificate"])
    if Application.objects.filter(estate=estate).exists():
        return  # idempotent: the applications below are filed once
    owner = ctx.users["owner"]
    home = Occupancy.objects.active().filter(resident__user=owner).select_related("unit__building").first()
    if home is None:
        return
    unit, me = home.unit, home.resident

    def apply(code, files):
        return services.application_submit(
            item=items[code], unit=unit, beneficiary=me, files={k: _pdf(f"{k}.pdf") for k in files}, by=owner
        )

    apply("renovation-registration", ["plan"])  # submitted, waiting for the office
    waiting = apply("rental-registration", ["id_card"])
    services.application_move(
        application=waiting,
        action=Action.NOTIFY_MISSING,
        missing=["lease"],
        reason="请上传租赁合同原件照片",
        by=office,
    )
    reviewing = apply("elderly-allowance", ["id_card", "bank_card"])
    services.application_move(application=reviewing, action=Action.ACCEPT, by=office)
    done = apply("residence-certificate", ["id_card", "lease"])
    services.application_move(application=done, action=Action.ACCEPT, by=office)
    services.application_move(application=done, action=Action.APPROVE, by=office)
    services.application_rate(application=done, rating=5, comment="办理很快", by=owner)
    refused = apply("low-income-support", ["id_card", "income"])
    services.application_move(
        application=refused, action=Action.REFUSE, reason="家庭人均收入高于当地低保标准", by=office
    )


def _seed_slots(item: ServiceItem) -> None:
    if not item.needs_appointment:
        item.needs_appointment = True
        item.save(update_fields=["needs_appointment"])
    if AppointmentSlot.objects.filter(item=item).exists():
        return
    day = timezone.localdate() + dt.timedelta(days=1)
    for hour in (9, 10, 14, 15):
        start = timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))
        AppointmentSlot.objects.create(
            item=item,
            starts_at=start,
            ends_at=start + dt.timedelta(minutes=45),
            capacity=3,
            place="社区服务大厅 2号窗口",
        )


def _seed_grids_and_rosters(estate, office, owner) -> None:
    buildings = list(Building.objects.filter(estate=estate).order_by("name"))
    if not buildings:
        return
    half = max(1, len(buildings) // 2)
    for name, part in (("第一网格", buildings[:half]), ("第二网格", buildings[half:] or buildings[:1])):
        grid, created = Grid.objects.get_or_create(estate=estate, name=name, defaults={"worker": office})
        if created:
            grid.buildings.set(part)
    Roster.objects.get_or_create(
        estate=estate,
        name="独居老人名单",
        defaults={
            "kind": "elders_alone",
            "purpose": "寒潮、高温等极端天气和突发事件时逐户联系",
            "legal_basis": "emergency",
            "basis_reference": "《突发事件应对法》",
            "visible_roles": ["community_office"],
        },
    )
    if GridEvent.objects.filter(estate=estate).exists():
        return
    first = buildings[0]
    hazard = grids.grid_event_report(
        estate=estate,
        building_id=first.pk,
        type="safety",
        urgency="urgent",
        location=f"{first.name}一楼楼道",
        description="电动车在楼道内充电，存在火灾隐患",
        by=owner,
    )
    for action, reason in (("accept", ""), ("start", ""), ("submit", "已劝离并张贴禁止楼道充电告示")):
        hazard = grids.grid_event_move(event=hazard, action=action, reason=reason, by=office)
    grids.grid_event_move(event=hazard, action="approve", by=office)
    grids.grid_event_report(
        estate=estate,
        building_id=buildings[-1].pk,
        type="environment",
        location="北门垃圾站",
        description="垃圾站两天未清运，气味很大",
        by=owner,
    )
