"""Eldercare fixtures: a station serving estate A with a coordinator and two workers, an elder
living in household A's home (household A's owner books for her), and the same in estate B."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from community.accounts.roles import StaffRole
from community.residents.models import Occupancy
from eldercare import services
from eldercare.models import ServiceCategory, ServiceUnit
from tests.factories import CareStationFactory, ElderFactory, ServiceItemFactory, StaffFactory, consent_all


@pytest.fixture
def station_a(estate_a):
    return CareStationFactory(estates=[estate_a], name="阳光养老服务站")


@pytest.fixture
def coordinator_a(estate_a):
    return StaffFactory(estate=estate_a, role=StaffRole.ELDERCARE_COORDINATOR, username="coord_a")


@pytest.fixture
def worker_a(estate_a):
    return StaffFactory(estate=estate_a, role=StaffRole.ELDERCARE_WORKER, username="worker_a")


@pytest.fixture
def worker_a2(estate_a):
    return StaffFactory(estate=estate_a, role=StaffRole.ELDERCARE_WORKER, username="worker_a2")


@pytest.fixture
def worker_b(estate_b):
    return StaffFactory(estate=estate_b, role=StaffRole.ELDERCARE_WORKER, username="worker_b")


@pytest.fixture
def elder_a(household_a, coordinator_a):
    """The owner's mother, living in household A's unit; all consents given."""
    _user, unit = household_a
    mother = Occupancy.objects.get(unit=unit, role="family").resident
    elder = ElderFactory(estate=unit.building.estate, resident=mother)
    consent_all(elder, coordinator_a)
    return elder


@pytest.fixture
def cleaning_a(station_a):
    return ServiceItemFactory(station=station_a, name="助洁 2小时", price=Decimal("50.00"), min_minutes=30)


@pytest.fixture
def lunch_a(station_a):
    return ServiceItemFactory(
        station=station_a,
        name="午餐配送",
        category=ServiceCategory.MEALS,
        unit=ServiceUnit.MEAL,
        price=Decimal("15.00"),
        min_minutes=0,
        meal_cutoff_hours=2,
    )


@pytest.fixture
def book(household_a):
    """``book(elder, item, **kw)``: the family member books a visit two hours from now."""
    family_user, _unit = household_a

    def _book(elder, item, **kwargs):
        kwargs.setdefault("scheduled_at", timezone.now() + dt.timedelta(hours=2))
        kwargs.setdefault("by", family_user)
        return services.order_book(elder=elder, item=item, **kwargs)

    return _book
