"""Every admin changelist of residents and accounts runs as many SQL queries for 200 rows as for 10."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from community.accounts.models import Invitation
from tests.factories import (
    AnnouncementFactory,
    BuildingFactory,
    EstateFactory,
    OccupancyFactory,
    ResidentFactory,
    StaffMembershipFactory,
    UnitFactory,
    UserFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_english")]


_phones = itertools.count(1)


def _make(model: str, n: int, estate, manager) -> None:
    building = BuildingFactory(estate=estate)
    for _ in range(n):
        if model == "residents.estate":
            StaffMembershipFactory(user=manager, estate=EstateFactory())
        elif model == "residents.building":
            UnitFactory(building=BuildingFactory(estate=estate))
        elif model == "residents.unit":
            UnitFactory(building=building)
        elif model == "residents.resident":
            ResidentFactory(estate=estate, user=UserFactory())
        elif model == "residents.occupancy":
            OccupancyFactory(unit=UnitFactory(building=building), is_primary_contact=True)
        elif model == "residents.staffmembership":
            StaffMembershipFactory(estate=estate, role="technician")
        elif model == "residents.announcement":
            AnnouncementFactory(
                estate=estate, created_by=manager, expires_at=timezone.now() + dt.timedelta(days=3)
            )
        elif model == "accounts.user":
            ResidentFactory(estate=estate, user=UserFactory())
        elif model == "accounts.invitation":
            resident = ResidentFactory(estate=estate)
            Invitation.objects.create(
                resident=resident,
                phone=resident.phone,
                code_hash="x",
                created_by=manager,
                expires_at=timezone.now() + dt.timedelta(days=1),
            )
        else:
            raise AssertionError(model)


CHANGELISTS = [
    "residents.estate",
    "residents.building",
    "residents.unit",
    "residents.resident",
    "residents.occupancy",
    "residents.staffmembership",
    "residents.announcement",
    "accounts.user",
    "accounts.invitation",
]


@pytest.mark.parametrize("who", ["manager", "superuser"])
@pytest.mark.parametrize("model", CHANGELISTS)
def test_changelist_query_count_does_not_grow_with_rows(
    client_for, estate_a, manager_a, superuser, model, who
):
    client = client_for(manager_a if who == "manager" else superuser)
    app_label, model_name = model.split(".")
    url = reverse(f"admin:{app_label}_{model_name}_changelist")
    _make(model, 10, estate_a, manager_a)
    client.get(url)  # warm per-process caches (content types, permissions)

    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        return len(queries), response.context["cl"].result_count

    small, small_rows = count()
    _make(model, 190, estate_a, manager_a)
    large, large_rows = count()
    assert large_rows >= small_rows + 190
    assert large == small, f"{model}: {small} queries for {small_rows} rows, {large} for {large_rows}"
