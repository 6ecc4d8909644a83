"""Bad query strings and bodies answer 4xx with the error body, never 500: ids too big for
any integer column, wrong types, unknown choices, malformed or non-object JSON."""

from __future__ import annotations

import pytest

from tests.api.helpers import assert_error

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999999"


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/residents/?estate={HUGE}",
        f"/api/v1/residents/?unit={HUGE}",
        f"/api/v1/units/?building={HUGE}",
        f"/api/v1/units/?floor={HUGE}",
        "/api/v1/units/?estate=1e30",
        "/api/v1/units/?estate=abc",
        "/api/v1/buildings/?estate=-1",
        "/api/v1/announcements/?estate=NaN",
        f"/api/v1/me/announcements/?estate={HUGE}",
        "/api/v1/units/?usage=castle",
    ],
)
def test_bad_filter_values_are_a_400_naming_the_parameter(api_as, manager_a, household_a, url):
    response = api_as(manager_a).get(url)

    error = assert_error(response, 400)
    parameter = url.split("?")[1].split("=")[0]
    assert parameter in error["fields"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/units/?page=abc",
        "/api/v1/units/?page=99999",
        f"/api/v1/units/{HUGE}/",
        "/api/v1/units/abc/",
    ],
)
def test_pages_and_ids_that_do_not_exist_are_a_404(api_as, manager_a, url):
    assert_error(api_as(manager_a).get(url), 404)


@pytest.mark.parametrize("query", ["page_size=abc", "page_size=-1", f"page_size={HUGE}", "nosuchfilter=1"])
def test_odd_page_sizes_and_unknown_parameters_still_answer_a_page(api_as, manager_a, query):
    response = api_as(manager_a).get(f"/api/v1/units/?{query}")

    assert response.status_code == 200
    assert set(response.json()) == {"count", "next", "previous", "results"}


def test_a_nul_character_in_search_is_a_400(api_as, manager_a):
    # PostgreSQL refuses NUL in a text literal; the API must say so, not fail.
    assert_error(api_as(manager_a).get("/api/v1/units/?search=a%00b"), 400)


@pytest.mark.parametrize(
    "body",
    [
        '{"title": "x"',
        "[1, 2]",
        '"text"',
        '{"estate": "abc", "title": ["x"], "body": {"a": 1}, "publish_at": "nope"}',
        f'{{"estate": {HUGE}, "title": "x", "body": "y"}}',
        '{"estate": ESTATE, "title": "x", "body": "y", "publish_at": "99999-01-01T00:00:00"}',
        '{"estate": ESTATE, "title": "x", "body": "y", "publish_at": "2024-01-02T00:00:00+08:00", '
        '"expires_at": "2024-01-01T00:00:00+08:00"}',
    ],
)
def test_bad_bodies_are_a_400_and_nothing_is_written(api_as, manager_a, estate_a, body):
    from community.residents.models import Announcement

    response = api_as(manager_a).post(
        "/api/v1/announcements/",
        data=body.replace("ESTATE", str(estate_a.pk)),
        content_type="application/json",
    )

    assert_error(response, 400)
    assert not Announcement.objects.exists()


def test_a_body_that_is_not_json_is_a_415(api_as, manager_a):
    response = api_as(manager_a).post("/api/v1/announcements/", data="<xml/>", content_type="application/xml")

    assert_error(response, 415)


def test_deeply_nested_json_is_a_400_not_a_500(client_for, household_a):
    user, _unit = household_a
    client = client_for(user)
    body = "[" * 100_000 + "]" * 100_000
    response = client.post("/api/v1/auth/token/", body, content_type="application/json")
    assert response.status_code == 400
    assert (
        "nested too deeply" in response.json()["error"]["message"]
        or response.json()["error"]["code"] == "parse_error"
    )
