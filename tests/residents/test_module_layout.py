"""The residents app's modules, split into packages, keep their public names and registrations,
and no module of residents or access grows past ~400 lines without saying why."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin

from community.residents.models import (
    Announcement,
    Building,
    Estate,
    Occupancy,
    Resident,
    StaffMembership,
    Unit,
)

PUBLIC_NAMES = {
    "community.residents.admin": [
        "AnnouncementAdmin",
        "BuildingAdmin",
        "EstateAdmin",
        "OccupancyAdmin",
        "OccupancyForm",
        "ResidentAdmin",
        "ScopedImportExportAdmin",
        "StaffMembershipAdmin",
        "UnitAdmin",
        "occupancy_problems",
    ],
    "community.residents.api": [
        "AnnouncementViewSet",
        "BuildingViewSet",
        "EstateRefSerializer",
        "EstateViewSet",
        "MyAnnouncementViewSet",
        "MyUnitViewSet",
        "ResidentViewSet",
        "UnitViewSet",
    ],
    "community.residents.demo": ["DEMO_ACTOR", "demo_context_build", "id_number_checksum", "seed"],
    "community.residents.resources": [
        "BuildingResource",
        "ResidentExportRow",
        "ResidentResource",
        "ScopedResource",
        "UnitResource",
        "parse_phone",
    ],
}


@pytest.mark.parametrize("module", sorted(PUBLIC_NAMES))
def test_public_names_stay_importable_from_the_package(module):
    imported = importlib.import_module(module)
    missing = [name for name in PUBLIC_NAMES[module] if not hasattr(imported, name)]
    assert not missing
    assert set(PUBLIC_NAMES[module]) <= set(imported.__all__)


def test_every_residents_model_keeps_its_admin():
    from community.residents import admin as residents_admin

    expected = {
        Estate: residents_admin.EstateAdmin,
        Building: residents_admin.BuildingAdmin,
        Unit: residents_admin.UnitAdmin,
        Resident: residents_admin.ResidentAdmin,
        Occupancy: residents_admin.OccupancyAdmin,
        StaffMembership: residents_admin.StaffMembershipAdmin,
        Announcement: residents_admin.AnnouncementAdmin,
    }
    for model, admin_class in expected.items():
        assert type(admin.site._registry[model]) is admin_class, model


def test_the_core_seeder_is_still_found_by_the_demo_registry():
    from community.demo import registered_seeders

    assert "core" in [seeder.name for seeder in registered_seeders()]


LIMIT = 400


@pytest.mark.parametrize("app", ["community/residents", "access"])
def test_no_module_over_400_lines_without_saying_why(app):
    """Past ~400 lines a module is split, or its docstring says why it is one (and says so by
    naming the size, e.g. "Longer than 400 lines on purpose: ...")."""
    too_long = []
    for path in sorted((Path(settings.BASE_DIR) / app).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        if text.count("\n") <= LIMIT:
            continue
        docstring = ast.get_docstring(ast.parse(text)) or ""
        if str(LIMIT) not in docstring:
            too_long.append(f"{path.relative_to(settings.BASE_DIR)}: {text.count(chr(10))} lines")
    assert not too_long
