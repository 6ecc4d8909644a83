"""Page-number pagination: default size, the client's page_size up to a cap, bad pages."""

from __future__ import annotations

from community.residents.models import Announcement
from tests.api.helpers import assert_error


def _many_announcements(estate, n: int) -> None:
    Announcement.objects.bulk_create(
        Announcement(estate=estate, title=f"通知{i}", body="…") for i in range(n)
    )


def test_default_page_size_and_links(api_as, manager_a, estate_a):
    _many_announcements(estate_a, 45)

    body = api_as(manager_a).get("/api/v1/announcements/").json()

    assert body["count"] == 45
    assert len(body["results"]) == 20
    assert body["previous"] is None
    assert "page=2" in body["next"]


def test_page_size_is_capped(api_as, manager_a, estate_a):
    _many_announcements(estate_a, 230)

    body = api_as(manager_a).get("/api/v1/announcements/", {"page_size": 10_000}).json()

    assert body["count"] == 230
    assert len(body["results"]) == 200


def test_client_page_size_and_last_page(api_as, manager_a, estate_a):
    _many_announcements(estate_a, 25)
    client = api_as(manager_a)

    last = client.get("/api/v1/announcements/", {"page_size": 10, "page": 3}).json()

    assert len(last["results"]) == 5
    assert last["next"] is None


def test_page_out_of_range_is_a_404_with_the_error_body(api_as, manager_a, estate_a):
    _many_announcements(estate_a, 3)
    assert_error(api_as(manager_a).get("/api/v1/announcements/", {"page": 99}), 404, "not_found")
    assert_error(api_as(manager_a).get("/api/v1/announcements/", {"page": "x"}), 404, "not_found")
