"""Staff endpoints: estate scoping both ways, roles per estate, announcement validation, filters."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from community.accounts.roles import StaffRole
from community.residents.models import Announcement
from community.residents.services import staff_membership_create
from tests.api.helpers import assert_error
from tests.factories import (
    AnnouncementFactory,
    BuildingFactory,
    OccupancyFactory,
    ResidentFactory,
    StaffFactory,
    UnitFactory,
)

READ_ENDPOINTS = ["estates", "buildings", "units", "residents", "announcements"]


@pytest.fixture
def world(estate_a, estate_b, household_a, household_b):
    """One of each object in both estates: {"a": {...}, "b": {...}}."""
    objects = {}
    for key, estate, (_user, unit) in (("a", estate_a, household_a), ("b", estate_b, household_b)):
        objects[key] = {
            "estates": estate,
            "buildings": unit.building,
            "units": unit,
            "residents": unit.occupancies.get(role="owner").resident,
            "announcements": AnnouncementFactory(estate=estate, title=f"通知-{key}"),
        }
    return objects


@pytest.mark.parametrize("endpoint", READ_ENDPOINTS)
def test_manager_lists_only_their_estate(api_as, manager_a, world, endpoint):
    body = api_as(manager_a).get(f"/api/v1/{endpoint}/").json()

    ids = {row["id"] for row in body["results"]}
    assert world["a"][endpoint].pk in ids
    assert world["b"][endpoint].pk not in ids


@pytest.mark.parametrize("endpoint", READ_ENDPOINTS)
def test_other_estates_objects_are_404(api_as, manager_a, world, endpoint):
    client = api_as(manager_a)

    assert client.get(f"/api/v1/{endpoint}/{world['a'][endpoint].pk}/").status_code == 200
    assert_error(client.get(f"/api/v1/{endpoint}/{world['b'][endpoint].pk}/"), 404, "not_found")


@pytest.mark.parametrize("endpoint", READ_ENDPOINTS)
def test_superuser_sees_every_estate(api_as, superuser, world, endpoint):
    ids = {row["id"] for row in api_as(superuser).get(f"/api/v1/{endpoint}/").json()["results"]}
    assert {world["a"][endpoint].pk, world["b"][endpoint].pk} <= ids


@pytest.mark.parametrize("endpoint", READ_ENDPOINTS)
def test_residents_get_403_on_staff_endpoints(api_as, world, household_a, endpoint):
    assert_error(api_as(household_a[0]).get(f"/api/v1/{endpoint}/"), 403, "permission_denied")


@pytest.mark.parametrize("endpoint", READ_ENDPOINTS)
def test_anonymous_gets_401(api, world, endpoint):
    response = api.get(f"/api/v1/{endpoint}/")
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"


def test_manager_cannot_update_or_delete_another_estates_announcement(api_as, manager_a, world):
    theirs = world["b"]["announcements"]
    client = api_as(manager_a)

    assert_error(client.patch(f"/api/v1/announcements/{theirs.pk}/", {"title": "改"}, format="json"), 404)
    assert_error(
        client.put(
            f"/api/v1/announcements/{theirs.pk}/",
            {"estate": world["a"]["estates"].pk, "title": "改", "body": "x"},
            format="json",
        ),
        404,
    )
    assert_error(client.delete(f"/api/v1/announcements/{theirs.pk}/"), 404)
    theirs.refresh_from_db()
    assert theirs.title == "通知-b"


def test_manager_publishes_edits_and_deletes_in_their_estate(api_as, manager_a, estate_a):
    client = api_as(manager_a)

    response = client.post(
        "/api/v1/announcements/",
        {"estate": estate_a.pk, "title": "停电通知", "body": "周三9点至12点停电"},
        format="json",
    )

    assert response.status_code == 201, response.content
    created = response.json()
    assert created["estate"] == estate_a.pk
    assert created["is_current"] is True
    assert created["created_by"] == manager_a.pk
    announcement = Announcement.objects.get(pk=created["id"])
    assert announcement.created_by == manager_a

    response = client.patch(f"/api/v1/announcements/{announcement.pk}/", {"pinned": True}, format="json")
    assert response.status_code == 200 and response.json()["pinned"] is True

    assert client.delete(f"/api/v1/announcements/{announcement.pk}/").status_code == 204
    assert not Announcement.objects.filter(pk=announcement.pk).exists()


def test_publishing_for_another_estate_is_a_clear_400(api_as, manager_a, estate_a, estate_b):
    client = api_as(manager_a)

    other = client.post(
        "/api/v1/announcements/", {"estate": estate_b.pk, "title": "t", "body": "b"}, format="json"
    )
    unknown = client.post(
        "/api/v1/announcements/", {"estate": 999999, "title": "t", "body": "b"}, format="json"
    )

    error = assert_error(other, 400, "invalid")
    assert list(error["fields"]) == ["estate"]
    # The message names the estate asked for (in whatever language the catalogue ships).
    assert str(estate_b.pk) in error["fields"]["estate"][0]
    assert assert_error(unknown, 400)["fields"]["estate"][0] == error["fields"]["estate"][0].replace(
        str(estate_b.pk), "999999"
    )
    assert not Announcement.objects.exists()


def test_moving_an_announcement_to_another_estate_is_refused(api_as, manager_a, world):
    mine = world["a"]["announcements"]
    response = api_as(manager_a).patch(
        f"/api/v1/announcements/{mine.pk}/", {"estate": world["b"]["estates"].pk}, format="json"
    )
    assert set(assert_error(response, 400)["fields"]) == {"estate"}
    mine.refresh_from_db()
    assert mine.estate == world["a"]["estates"]


def test_announcement_validation_names_the_fields(api_as, manager_a, estate_a):
    client = api_as(manager_a)
    now = timezone.now()

    missing = assert_error(client.post("/api/v1/announcements/", {"estate": estate_a.pk}, format="json"), 400)
    assert set(missing["fields"]) == {"title", "body"}

    window = client.post(
        "/api/v1/announcements/",
        {
            "estate": estate_a.pk,
            "title": "t",
            "body": "b",
            "publish_at": now.isoformat(),
            "expires_at": (now - dt.timedelta(hours=1)).isoformat(),
        },
        format="json",
    )
    assert set(assert_error(window, 400)["fields"]) == {"expires_at"}

    bad_date = client.post(
        "/api/v1/announcements/",
        {"estate": estate_a.pk, "title": "t", "body": "b", "publish_at": "tomorrow"},
        format="json",
    )
    assert set(assert_error(bad_date, 400)["fields"]) == {"publish_at"}
    assert not Announcement.objects.exists()


def test_partial_update_checks_the_window_against_stored_values(api_as, manager_a, estate_a):
    announcement = AnnouncementFactory(estate=estate_a, publish_at=timezone.now())
    response = api_as(manager_a).patch(
        f"/api/v1/announcements/{announcement.pk}/",
        {"expires_at": (announcement.publish_at - dt.timedelta(days=1)).isoformat()},
        format="json",
    )
    assert set(assert_error(response, 400)["fields"]) == {"expires_at"}


def test_technician_cannot_create_announcements(api_as, estate_a):
    technician = StaffFactory(estate=estate_a, role=StaffRole.TECHNICIAN)
    client = api_as(technician)

    response = client.post(
        "/api/v1/announcements/", {"estate": estate_a.pk, "title": "t", "body": "b"}, format="json"
    )

    assert_error(response, 403, "permission_denied")
    assert not Announcement.objects.exists()
    assert_error(client.get("/api/v1/announcements/"), 403)  # nor list them (no view permission)
    assert client.get("/api/v1/units/").status_code == 200  # but may read units


def test_front_desk_publishes_but_cannot_delete(api_as, estate_a):
    front_desk = StaffFactory(estate=estate_a, role=StaffRole.FRONT_DESK)
    announcement = AnnouncementFactory(estate=estate_a)
    client = api_as(front_desk)

    assert (
        client.post(
            "/api/v1/announcements/", {"estate": estate_a.pk, "title": "t", "body": "b"}, format="json"
        ).status_code
        == 201
    )
    assert_error(client.delete(f"/api/v1/announcements/{announcement.pk}/"), 403)
    assert Announcement.objects.filter(pk=announcement.pk).exists()


def test_roles_apply_per_estate(api_as, manager_a, estate_a, estate_b, world):
    """Manager in A and technician in B: no publishing or editing announcements in B."""
    staff_membership_create(by=None, user=manager_a, estate=estate_b, role=StaffRole.TECHNICIAN)
    client = api_as(manager_a)

    create = client.post(
        "/api/v1/announcements/", {"estate": estate_b.pk, "title": "t", "body": "b"}, format="json"
    )
    assert set(assert_error(create, 400)["fields"]) == {"estate"}
    assert_error(
        client.patch(
            f"/api/v1/announcements/{world['b']['announcements'].pk}/", {"title": "x"}, format="json"
        ),
        404,
    )
    announcement_ids = {a["id"] for a in client.get("/api/v1/announcements/").json()["results"]}
    assert announcement_ids == {world["a"]["announcements"].pk}
    unit_ids = {u["id"] for u in client.get("/api/v1/units/").json()["results"]}
    assert {world["a"]["units"].pk, world["b"]["units"].pk} <= unit_ids  # technicians do see units


def test_reading_needs_the_view_permission_in_that_estate(api_as, manager_a, estate_b, world):
    """Manager in A and eldercare worker in B (no resident rights): B's residents stay hidden."""
    staff_membership_create(by=None, user=manager_a, estate=estate_b, role=StaffRole.ELDERCARE_WORKER)
    client = api_as(manager_a)

    resident_ids = {r["id"] for r in client.get("/api/v1/residents/").json()["results"]}

    assert world["a"]["residents"].pk in resident_ids
    assert world["b"]["residents"].pk not in resident_ids
    assert_error(client.get(f"/api/v1/residents/{world['b']['residents'].pk}/"), 404)


def test_residents_are_masked(api_as, manager_a, world):
    resident = world["a"]["residents"]

    response = api_as(manager_a).get(f"/api/v1/residents/{resident.pk}/")

    row = response.json()
    assert row["phone"] == "138****0101"
    assert row["id_number"].startswith(resident.id_number[:3]) and "*" in row["id_number"]
    assert resident.id_number not in response.content.decode()
    assert row["has_account"] is True
    assert row["occupancies"][0]["unit"] == world["a"]["units"].pk


def test_resident_filters(api_as, manager_a, estate_a, world):
    unit = world["a"]["units"]
    elsewhere = OccupancyFactory(
        unit=UnitFactory(building=unit.building), resident__estate=estate_a, resident__name="王小明"
    )
    ResidentFactory(estate=estate_a, name="王大明")  # no unit
    client = api_as(manager_a)

    in_unit = client.get("/api/v1/residents/", {"unit": unit.pk}).json()
    assert {r["name"] for r in in_unit["results"]} == {"owner_a-业主", "owner_a-家属"}
    assert {r["name"] for r in client.get("/api/v1/residents/", {"search": "明"}).json()["results"]} == {
        "王小明",
        "王大明",
    }
    assert [
        r["id"] for r in client.get("/api/v1/residents/", {"unit": elsewhere.unit_id}).json()["results"]
    ] == [elsewhere.resident_id]
    assert client.get("/api/v1/residents/", {"unit": world["b"]["units"].pk}).json()["count"] == 0
    assert set(assert_error(client.get("/api/v1/residents/", {"unit": "x"}), 400)["fields"]) == {"unit"}


def test_unit_filters(api_as, manager_a, estate_a):
    building = BuildingFactory(estate=estate_a, name="9栋")
    other_building = BuildingFactory(estate=estate_a, name="10栋")
    flat = UnitFactory(building=building, entrance="1", floor=3, number="301")
    shop = UnitFactory(building=building, entrance="2", floor=1, number="S1", usage="commercial")
    UnitFactory(building=other_building, entrance="1", floor=3, number="301")
    client = api_as(manager_a)

    def ids(**params):
        return {u["id"] for u in client.get("/api/v1/units/", params).json()["results"]}

    assert ids(building=building.pk) == {flat.pk, shop.pk}
    assert ids(building=building.pk, usage="commercial") == {shop.pk}
    assert ids(building=building.pk, entrance="1") == {flat.pk}
    assert ids(building=building.pk, floor=3) == {flat.pk}
    error = assert_error(client.get("/api/v1/units/", {"usage": "castle"}), 400)
    assert set(error["fields"]) == {"usage"}


def test_building_and_announcement_filters(api_as, superuser, world, estate_a):
    AnnouncementFactory(
        estate=estate_a,
        title="过期",
        publish_at=timezone.now() - dt.timedelta(days=3),
        expires_at=timezone.now() - dt.timedelta(days=1),
    )
    client = api_as(superuser)

    buildings = client.get("/api/v1/buildings/", {"estate": estate_a.pk}).json()["results"]
    assert {b["estate"] for b in buildings} == {estate_a.pk}
    current = client.get("/api/v1/announcements/", {"estate": estate_a.pk, "current": "true"}).json()[
        "results"
    ]
    assert [a["title"] for a in current] == ["通知-a"]
    past = client.get("/api/v1/announcements/", {"estate": estate_a.pk, "current": "false"}).json()["results"]
    assert [a["title"] for a in past] == ["过期"]
    assert [
        a["title"] for a in client.get("/api/v1/announcements/", {"search": "过期"}).json()["results"]
    ] == ["过期"]
