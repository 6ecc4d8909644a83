"""The "me" endpoints: my user, my households and my estates' announcements — and nobody else's."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from community.accounts.roles import StaffRole
from community.residents.models import Occupancy
from community.residents.services import occupancy_end, staff_membership_create
from tests.api.helpers import assert_error
from tests.factories import AnnouncementFactory, OccupancyFactory, ResidentFactory, StaffFactory


def test_me_for_a_resident(api_as, household_a):
    user, unit = household_a

    response = api_as(user).get("/api/v1/me/")

    assert response.status_code == 200
    me = response.json()
    assert me["id"] == user.pk
    assert me["phone"] == "+8613800000101"
    assert me["language"] == "zh-hans"
    assert me["roles"] == []
    assert me["households"] == [
        {
            "unit": unit.pk,
            "label": unit.label,
            "estate": {"id": unit.building.estate_id, "name": "阳光花园"},
            "role": "owner",
            "members": 2,
        }
    ]


def test_me_answers_in_the_requested_language(api_as, household_a):
    me = api_as(household_a[0]).get("/api/v1/me/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert me["language"] == "en"


def test_me_for_staff_lists_roles_with_estates(api_as, estate_a, estate_b):
    user = StaffFactory(estate=estate_a, role=StaffRole.MANAGER)
    staff_membership_create(by=None, user=user, estate=estate_b, role=StaffRole.TECHNICIAN)

    roles = api_as(user).get("/api/v1/me/").json()["roles"]

    assert [(r["estate"]["name"], r["role"]) for r in roles] == [
        ("翠湖苑", "technician"),
        ("阳光花园", "manager"),
    ]


def test_me_needs_authentication(api):
    response = api.get("/api/v1/me/")
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"


def test_my_units_show_members_with_others_phones_masked_and_no_id_numbers(api_as, household_a):
    user, unit = household_a

    response = api_as(user).get("/api/v1/me/units/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    [mine] = body["results"]
    assert mine["id"] == unit.pk
    assert mine["estate"]["name"] == "阳光花园"
    assert mine["building"] == {"id": unit.building_id, "name": unit.building.name}
    assert mine["exclusive_area"] == "89.50"
    assert mine["my_role"] == "owner"
    members = {m["name"]: m for m in mine["members"]}
    me = members["owner_a-业主"]
    assert (me["role"], me["is_primary_contact"], me["is_me"], me["phone"]) == (
        "owner",
        True,
        True,
        "+8613800000101",
    )
    family = members["owner_a-家属"]
    assert family["is_me"] is False and family["is_primary_contact"] is False
    assert "****" in family["phone"]
    family_resident = Occupancy.objects.get(unit=unit, role="family").resident
    assert str(family_resident.phone)[-4:] == family["phone"][-4:]
    assert str(family_resident.phone).removeprefix("+86") not in response.content.decode()
    for occupancy in Occupancy.objects.filter(unit=unit).select_related("resident"):
        assert occupancy.resident.id_number not in response.content.decode()
    assert "id_number" not in response.content.decode()


def test_my_unit_detail(api_as, household_a):
    user, unit = household_a
    response = api_as(user).get(f"/api/v1/me/units/{unit.pk}/")
    assert response.status_code == 200
    assert len(response.json()["members"]) == 2


def test_another_households_unit_is_404_not_403(api_as, household_a, household_b):
    user_a, _unit_a = household_a
    _user_b, unit_b = household_b

    assert_error(api_as(user_a).get(f"/api/v1/me/units/{unit_b.pk}/"), 404, "not_found")
    assert_error(api_as(user_a).get("/api/v1/me/units/999999/"), 404, "not_found")
    assert unit_b.pk not in [u["id"] for u in api_as(user_a).get("/api/v1/me/units/").json()["results"]]


def test_a_neighbour_in_the_same_estate_is_not_my_household(api_as, household_a, estate_a):
    user, unit = household_a
    neighbour = OccupancyFactory(unit__building=unit.building, resident__estate=estate_a)

    assert_error(api_as(user).get(f"/api/v1/me/units/{neighbour.unit_id}/"), 404)


def test_after_moving_out_the_unit_is_gone(api_as, household_a):
    user, unit = household_a
    occupancy_end(
        occupancy=Occupancy.objects.get(unit=unit, resident__user=user), by=user, end_date=dt.date(2024, 1, 1)
    )

    assert api_as(user).get("/api/v1/me/units/").json()["count"] == 0
    assert_error(api_as(user).get(f"/api/v1/me/units/{unit.pk}/"), 404)
    assert api_as(user).get("/api/v1/me/").json()["households"] == []


def test_a_family_member_with_a_login_sees_the_same_household(api_as, household_a, estate_a):
    from tests.factories import UserFactory

    _owner, unit = household_a
    relative = UserFactory()
    OccupancyFactory(unit=unit, resident=ResidentFactory(estate=estate_a, user=relative), role="family")

    [mine] = api_as(relative).get("/api/v1/me/units/").json()["results"]

    assert mine["my_role"] == "family"
    owner = next(m for m in mine["members"] if m["role"] == "owner")
    assert "****" in owner["phone"]


@pytest.fixture
def announcements(estate_a, estate_b):
    now = timezone.now()
    return {
        "water": AnnouncementFactory(estate=estate_a, title="停水通知", body="3栋周二停水"),
        "lift": AnnouncementFactory(estate=estate_a, title="电梯年检", body="请走楼梯"),
        "expired": AnnouncementFactory(
            estate=estate_a,
            title="旧通知",
            publish_at=now - dt.timedelta(days=10),
            expires_at=now - dt.timedelta(days=1),
        ),
        "scheduled": AnnouncementFactory(
            estate=estate_a, title="未来通知", publish_at=now + dt.timedelta(days=1)
        ),
        "other_estate": AnnouncementFactory(estate=estate_b, title="别的小区"),
    }


def test_my_announcements_are_current_ones_of_my_estates(api_as, household_a, household_b, announcements):
    body = api_as(household_a[0]).get("/api/v1/me/announcements/").json()

    assert {a["title"] for a in body["results"]} == {"停水通知", "电梯年检"}
    assert body["results"][0]["estate"]["name"] == "阳光花园"


def test_my_announcements_search_and_estate_filter(
    api_as, household_a, household_b, announcements, estate_a, estate_b
):
    client = api_as(household_a[0])

    assert [
        a["title"] for a in client.get("/api/v1/me/announcements/", {"search": "停水"}).json()["results"]
    ] == ["停水通知"]
    assert [
        a["title"] for a in client.get("/api/v1/me/announcements/", {"search": "楼梯"}).json()["results"]
    ] == ["电梯年检"]
    assert client.get("/api/v1/me/announcements/", {"estate": estate_a.pk}).json()["count"] == 2
    assert client.get("/api/v1/me/announcements/", {"estate": estate_b.pk}).json()["count"] == 0
    error = assert_error(client.get("/api/v1/me/announcements/", {"estate": "abc"}), 400)
    assert set(error["fields"]) == {"estate"}


def test_another_estates_announcement_is_404(api_as, household_a, household_b, announcements):
    client = api_as(household_a[0])

    assert client.get(f"/api/v1/me/announcements/{announcements['water'].pk}/").status_code == 200
    assert_error(client.get(f"/api/v1/me/announcements/{announcements['other_estate'].pk}/"), 404)
    assert_error(client.get(f"/api/v1/me/announcements/{announcements['expired'].pk}/"), 404)


def test_staff_without_a_household_see_no_resident_announcements(api_as, manager_a, announcements):
    assert api_as(manager_a).get("/api/v1/me/announcements/").json()["count"] == 0
