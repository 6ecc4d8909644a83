"""Voting fixtures: an estate with known owners, areas and a manager."""

from __future__ import annotations

from decimal import Decimal

import pytest

from community.accounts.roles import StaffRole
from tests.factories import (
    BuildingFactory,
    OccupancyFactory,
    ResidentFactory,
    StaffFactory,
    UnitFactory,
    UserFactory,
)


class EstateBuilder:
    def __init__(self, estate):
        self.estate = estate
        self.building = BuildingFactory(estate=estate, name="1栋")

    def unit(self, area="100.00", **kwargs):
        return UnitFactory(building=self.building, exclusive_area=Decimal(area), **kwargs)

    def person(self, *, login=True, phone=None, name=None):
        user = (UserFactory(phone=phone) if phone else UserFactory()) if login else None
        kwargs = {"phone": phone} if phone else {}
        if user is not None:
            kwargs["phone"] = str(user.phone)
        return ResidentFactory(estate=self.estate, user=user, name=name or "业主", **kwargs)

    def owner(self, area="100.00", *, role="owner", resident=None, **unit_kwargs):
        """A unit and its owner (a new person with a login unless ``resident`` is given)."""
        unit = self.unit(area, **unit_kwargs)
        resident = resident or self.person()
        OccupancyFactory(unit=unit, resident=resident, role=role)
        return resident, unit

    def live_in(self, unit, role, *, login=True):
        resident = self.person(login=login)
        OccupancyFactory(unit=unit, resident=resident, role=role)
        return resident


@pytest.fixture
def build(estate_a):
    return EstateBuilder(estate_a)


@pytest.fixture
def staff_a(estate_a):
    return StaffFactory(estate=estate_a, role=StaffRole.MANAGER, username="voting_manager_a")


@pytest.fixture(autouse=True)
def english(settings):
    """Messages are asserted in the source language; the site's default is zh-hans."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def pdf(name: str = "evidence.pdf"):
    """A small uploaded PDF (evidence, scans, authorisations)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, b"%PDF-1.4 test")
