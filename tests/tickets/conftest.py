from __future__ import annotations

import pytest

from community.accounts.roles import StaffRole
from community.tickets import services
from tests.factories import CategoryFactory, StaffFactory


@pytest.fixture
def category_a(estate_a):
    return CategoryFactory(estate=estate_a, name="水电维修")


@pytest.fixture
def category_b(estate_b):
    return CategoryFactory(estate=estate_b, name="水电维修")


@pytest.fixture
def technician_a(estate_a):
    return StaffFactory(estate=estate_a, role=StaffRole.TECHNICIAN, username="tech_a", name="刘师傅")


@pytest.fixture
def technician_b(estate_b):
    return StaffFactory(estate=estate_b, role=StaffRole.TECHNICIAN, username="tech_b", name="吴师傅")


@pytest.fixture
def desk_a(estate_a):
    return StaffFactory(estate=estate_a, role=StaffRole.FRONT_DESK, username="desk_a", name="孙丽")


@pytest.fixture
def file_ticket(household_a, category_a):
    """File a ticket as household A's owner through the service: ``file_ticket(**overrides)``."""
    user, unit = household_a

    def make(**kwargs):
        params = {"by": user, "category": category_a, "description": "厨房水龙头一直滴水", "unit": unit}
        params.update(kwargs)
        return services.ticket_create(**params)

    return make


@pytest.fixture
def ticket_a(file_ticket):
    return file_ticket()
