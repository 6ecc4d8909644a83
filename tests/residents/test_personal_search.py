"""Issue #15 item 4: masked phone and ID numbers cannot be recovered by search.

The reproduced attack: as security staff (who see 420***********1234), a substring search on
the ID number recovered a full ID number in 72 requests. Now a search term matches phone and
ID numbers only when it *is* a full number, and each such search is recorded.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from community.accounts.models import PersonalDataSearch
from community.accounts.roles import StaffRole
from tests.factories import ResidentFactory, StaffFactory

pytestmark = pytest.mark.django_db

ID_NUMBER = "420300198001011234"
PHONE = "+8613811112222"


@pytest.fixture
def security_a(estate_a):
    return StaffFactory(estate=estate_a, role=StaffRole.SECURITY)


@pytest.fixture
def person(estate_a):
    return ResidentFactory(estate=estate_a, name="刘洋", phone=PHONE, id_number=ID_NUMBER)


def _admin_hits(client, url: str, term: str) -> set[int]:
    response = client.get(url, {"q": term})
    assert response.status_code == 200
    return {obj.pk for obj in response.context["cl"].result_list}


@pytest.mark.parametrize(
    "fragment", ["4203001980", "1234", "X", "0101", "13811", "1112222", "8613811112222"[:9]]
)
def test_fragments_of_a_masked_number_find_nothing(client_for, security_a, person, fragment):
    url = reverse("admin:residents_resident_changelist")
    assert person.pk not in _admin_hits(client_for(security_a), url, fragment)


def test_recovering_an_id_number_digit_by_digit_is_impossible(client_for, security_a, person):
    client = client_for(security_a)
    url = reverse("admin:residents_resident_changelist")
    # The attack: extend a known prefix one digit at a time; some digit must "hit" to go on.
    for digit in "0123456789":
        assert person.pk not in _admin_hits(client, url, "4203" + digit)


def test_a_full_number_finds_the_person_and_is_audited(client_for, security_a, person, estate_b):
    ResidentFactory(estate=estate_b, phone=PHONE, id_number=ID_NUMBER)  # the same person in B: not shown
    client = client_for(security_a)
    url = reverse("admin:residents_resident_changelist")
    assert _admin_hits(client, url, ID_NUMBER) == {person.pk}
    assert _admin_hits(client, url, "138 1111 2222") == {person.pk}
    assert _admin_hits(client, url, "刘") == {person.pk}  # names still search by substring

    audit = list(
        PersonalDataSearch.objects.order_by("id").values_list("user", "field", "term_masked", "matches")
    )
    assert audit == [
        (security_a.pk, "id_number", "420***********1234", 1),
        (security_a.pk, "phone", "138****2222", 1),
    ]
    assert ID_NUMBER not in str(list(PersonalDataSearch.objects.values()))


def test_occupancy_and_account_searches_follow_the_same_rule(client_for, manager_a, household_a):
    owner, _unit = household_a
    client = client_for(manager_a)
    users = reverse("admin:accounts_user_changelist")
    assert owner.pk not in _admin_hits(client, users, "1380000")
    assert owner.pk not in _admin_hits(client, users, "u86138")  # usernames embed the phone
    assert owner.pk in _admin_hits(client, users, "13800000101")
    occupancies = reverse("admin:residents_occupancy_changelist")
    assert not _admin_hits(client, occupancies, "1380000")
    assert _admin_hits(client, occupancies, "13800000101")


def test_api_filters_take_full_numbers_only_and_are_audited(security_a, person):
    api = APIClient()
    api.force_login(security_a)
    for param, fragment in (("phone", "13811"), ("id_number", "42030019")):
        response = api.get("/api/v1/residents/", {param: fragment})
        assert response.status_code == 400, response.content
        assert param in response.json()["error"]["fields"]
    assert not PersonalDataSearch.objects.exists()

    for param, value in (("phone", "13811112222"), ("id_number", ID_NUMBER)):
        response = api.get("/api/v1/residents/", {param: value})
        assert response.status_code == 200
        assert [r["id"] for r in response.json()["results"]] == [person.pk]
    assert sorted(PersonalDataSearch.objects.values_list("surface", "field")) == [
        ("api:residents", "id_number"),
        ("api:residents", "phone"),
    ]
