"""Demo data: a fake GA/T 1400 destination (disabled: start it with
``manage.py exchange_fake_viid`` and enable it in the admin), a file-export destination and
the daily statistics in the outbox."""

from __future__ import annotations

from django.utils import timezone

from community.demo import DemoContext, register_seeder

from . import receivers, registries
from .models import DataGrant, ExternalSystem


@register_seeder(order=90)
def seed(ctx: DemoContext) -> None:
    estate = ctx.estate
    viid, _created = ExternalSystem.objects.get_or_create(
        estate=estate,
        name="公安视图库（演示，本机模拟）",
        defaults={
            "kind": "gat1400",
            "endpoint": "http://127.0.0.1:18400",
            "credentials_ref": "DEMO_VIID",
            "device_id": "42010200001190000001",
            "extensions": ["PersonInfos", "DoorInfos", "DoorDevices", "CarInfos"],
            "enabled": False,
        },
    )
    for category in ("resident_change", "gate_passage", "car_passage", "door_device", "car_info"):
        DataGrant.objects.get_or_create(
            system=viid,
            category=category,
            defaults={
                "legal_basis": "legal_obligation",
                "basis_reference": "《治安管理处罚法》及地方实有人口管理规定",
            },
        )
    files, _created = ExternalSystem.objects.get_or_create(
        estate=estate, name="省级报表导出（演示）", defaults={"kind": "file_export", "enabled": True}
    )
    for category in ("resident_change", "statistics"):
        DataGrant.objects.get_or_create(
            system=files, category=category, defaults={"legal_basis": "legal_obligation"}
        )
    receivers.statistics_append(estate=estate, day=timezone.localdate(), by="system:seed_demo")
    registries.registries_sync(estate=estate, by="system:seed_demo")
