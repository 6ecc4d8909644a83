"""Every list endpoint runs the same number of SQL queries for 10 rows as for 200."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from community.residents.models import StaffMembership
from tests.factories import (
    AnnouncementFactory,
    BuildingFactory,
    EstateFactory,
    OccupancyFactory,
    ResidentFactory,
    UnitFactory,
)


def _add_rows(endpoint: str, n: int, *, estate, manager, household) -> None:
    user, my_unit = household
    if endpoint == "estates":
        for estate_n in EstateFactory.create_batch(n):
            StaffMembership.objects.create(user=manager, estate=estate_n, role="manager")
    elif endpoint == "buildings":
        BuildingFactory.create_batch(n, estate=estate)
    elif endpoint == "units":
        UnitFactory.create_batch(n, building=BuildingFactory(estate=estate))
    elif endpoint == "residents":
        OccupancyFactory.create_batch(
            n, unit__building=BuildingFactory(estate=estate), resident__estate=estate
        )
    elif endpoint in ("announcements", "me/announcements"):
        AnnouncementFactory.create_batch(n, estate=estate)
    elif endpoint == "me/units":
        me = my_unit.occupancies.get(resident__user=user).resident
        building = BuildingFactory(estate=estate)
        for _ in range(n):
            unit = UnitFactory(building=building)
            OccupancyFactory(unit=unit, resident=me)
            OccupancyFactory(unit=unit, resident=ResidentFactory(estate=estate), role="family")
    else:
        raise AssertionError(endpoint)


def _queries(client, url: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {"page_size": 200})
    assert response.status_code == 200, response.content[:300]
    return len(queries), len(response.json()["results"])


@pytest.mark.parametrize(
    "endpoint",
    ["estates", "buildings", "units", "residents", "announcements", "me/units", "me/announcements"],
)
def test_list_endpoints_run_constant_queries(api_as, estate_a, manager_a, household_a, endpoint):
    client = api_as(household_a[0] if endpoint.startswith("me/") else manager_a)
    url = f"/api/v1/{endpoint}/"
    add = {"estate": estate_a, "manager": manager_a, "household": household_a}

    _add_rows(endpoint, 10, **add)
    few, few_rows = _queries(client, url)
    _add_rows(endpoint, 190, **add)
    many, many_rows = _queries(client, url)

    assert many_rows >= 190 and many_rows > few_rows
    assert many == few, f"{endpoint}: {few} queries for {few_rows} rows, {many} for {many_rows}"


def test_me_runs_constant_queries(api_as, estate_a, manager_a, household_a):
    client = api_as(household_a[0])
    add = {"estate": estate_a, "manager": manager_a, "household": household_a}

    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/me/")
    _add_rows("me/units", 30, **add)
    with CaptureQueriesContext(connection) as many:
        response = client.get("/api/v1/me/")

    assert len(response.json()["households"]) == 31
    assert len(many) == len(few)
