"""Demo data: the community office (login 13600000001), its catalogue, and applications in
every state, filed through the services so history, clocks and certificates are real."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile

from community.accounts.roles import StaffRole
from community.demo import DEMO_PASSWORD, DemoContext, register_seeder
from community.residents.models import Occupancy
from community.residents.services import staff_membership_create

from . import services
from .models import Application, ServiceItem
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
    staff_membership_create(user=office, estate=estate, role=StaffRole.COMMUNITY_OFFICE)
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
