"""The tickets API: the same actions for residents and staff, errors as 4xx with a message."""

from __future__ import annotations

import pytest

from community.tickets.models import Ticket
from tests.factories import photo_upload

pytestmark = pytest.mark.django_db


def test_resident_files_with_photos_and_follows_the_workflow(
    household_a, category_a, desk_a, technician_a, client_for
):
    owner, unit = household_a
    client = client_for(owner)
    response = client.post(
        "/api/v1/tickets/",
        {
            "category": category_a.pk,
            "description": "卫生间漏水",
            "unit": unit.pk,
            "photos": [photo_upload("a.jpg"), photo_upload("b.png", fmt="PNG", content_type="image/png")],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"].startswith("BX-") and body["status"] == "new"
    assert len(body["photos"]) == 2
    assert body["actions"] == ["cancel"]
    ticket_id = body["id"]

    staff = client_for(desk_a)
    r = staff.post(
        f"/api/v1/tickets/{ticket_id}/actions/assign/",
        {"assignee": technician_a.pk, "version": body["version"]},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["status"] == "assigned"
    tech = client_for(technician_a)
    r = tech.get("/api/v1/tickets/?mine=true")
    assert [t["id"] for t in r.json()["results"]] == [ticket_id]
    for action in ("accept", "start"):
        r = tech.post(f"/api/v1/tickets/{ticket_id}/actions/{action}/", {}, content_type="application/json")
        assert r.status_code == 200, r.content
    r = tech.post(
        f"/api/v1/tickets/{ticket_id}/actions/resolve/",
        {"reason": "更换了密封圈", "photos": [photo_upload("done.jpg")]},
    )
    assert r.status_code == 200, r.content
    assert len(r.json()["photos"]) == 3
    client = client_for(owner)
    r = client.post(f"/api/v1/tickets/{ticket_id}/actions/confirm/", {}, content_type="application/json")
    assert r.json()["status"] == "closed"
    r = client.post(
        f"/api/v1/tickets/{ticket_id}/rating/", {"score": 5, "comment": "好"}, content_type="application/json"
    )
    assert r.status_code == 201
    assert client.get(f"/api/v1/tickets/{ticket_id}/").json()["rating"]["score"] == 5


def test_illegal_move_is_409_unknown_action_400(ticket_a, household_a, client_for):
    owner, _unit = household_a
    r = client_for(owner).post(
        f"/api/v1/tickets/{ticket_a.pk}/actions/confirm/", {}, content_type="application/json"
    )
    assert r.status_code == 409  # conflicts with the ticket's current status
    assert r.json()["error"]["code"] == "transition_refused"
    assert "确认" in r.json()["error"]["message"] or "Confirm" in r.json()["error"]["message"]
    r = client_for(owner).post(
        f"/api/v1/tickets/{ticket_a.pk}/actions/fly/", {}, content_type="application/json"
    )
    assert r.status_code == 400


def test_stale_version_is_409_and_nothing_is_lost(ticket_a, desk_a, manager_a, client_for):
    first = client_for(desk_a).patch(
        f"/api/v1/tickets/{ticket_a.pk}/",
        {"version": 1, "priority": "high", "reason": "楼下进水"},
        content_type="application/json",
    )
    assert first.status_code == 200 and first.json()["version"] == 2
    second = client_for(manager_a).patch(
        f"/api/v1/tickets/{ticket_a.pk}/",
        {"version": 1, "priority": "low", "reason": "不急"},
        content_type="application/json",
    )
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "stale"
    assert Ticket.objects.get(pk=ticket_a.pk).priority == "high"
    r = client_for(manager_a).post(
        f"/api/v1/tickets/{ticket_a.pk}/actions/decline/",
        {"version": 1, "reason": "x"},
        content_type="application/json",
    )
    assert r.status_code == 409


def test_bad_input_is_4xx(household_a, category_a, category_b, client_for):
    owner, unit = household_a
    client = client_for(owner)
    r = client.post(
        "/api/v1/tickets/", {"category": category_a.pk, "description": ""}, content_type="application/json"
    )
    assert r.status_code == 400 and "description" in r.json()["error"]["fields"]
    r = client.post(
        "/api/v1/tickets/",
        {"category": category_b.pk, "description": "x", "common_area": "门"},
        content_type="application/json",
    )
    assert r.status_code == 403
    r = client.post(
        "/api/v1/tickets/",
        {"category": category_a.pk, "description": "x", "unit": unit.pk, "common_area": "门"},
        content_type="application/json",
    )
    assert r.status_code == 400
    assert Ticket.objects.count() == 0


def test_categories_are_those_of_my_estates(household_a, category_a, category_b, client_for):
    owner, _unit = household_a
    ids = [c["id"] for c in client_for(owner).get("/api/v1/tickets/categories/").json()]
    assert ids == [category_a.pk]


def test_schema_documents_ticket_endpoints(superuser, client_for):
    r = client_for(superuser).get("/api/schema/", HTTP_ACCEPT="application/json")
    assert r.status_code == 200
    text = r.content.decode()
    assert "/api/v1/tickets/{id}/actions/{action_name}/" in text
    assert "/api/v1/tickets/{id}/rating/" in text
