"""Nobody sees across the lines: households, internal notes, estates."""

from __future__ import annotations

import pytest

from community.consumers import can_subscribe
from community.tickets import services
from tests.factories import OccupancyFactory, ResidentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def noted_ticket(ticket_a, desk_a):
    services.ticket_comment(ticket=ticket_a, by=desk_a, body="内部：业主欠费三个月", internal=True)
    services.ticket_comment(ticket=ticket_a, by=desk_a, body="明天上午上门", internal=False)
    return ticket_a


def test_other_household_cannot_see_the_ticket_in_api_or_pages(noted_ticket, household_b, client_for):
    user_b, _unit = household_b
    client = client_for(user_b)
    assert client.get("/api/v1/tickets/").json()["count"] == 0
    assert client.get(f"/api/v1/tickets/{noted_ticket.pk}/").status_code == 404
    assert client.get(f"/api/v1/tickets/{noted_ticket.pk}/events/").status_code == 404
    assert client.post(f"/api/v1/tickets/{noted_ticket.pk}/comments/", {"body": "hi"}).status_code == 404
    assert client.get(f"/portal/tickets/{noted_ticket.pk}/").status_code == 404
    assert noted_ticket.number not in client.get("/portal/tickets/").content.decode()
    assert client.post(f"/portal/tickets/{noted_ticket.pk}/cancel/").status_code == 404
    assert not can_subscribe(user_b, f"ticket.{noted_ticket.pk}")


def test_household_member_sees_ticket_but_never_internal_notes(noted_ticket, household_a, client_for):
    owner, unit = household_a
    # A family member with their own login sees the household's ticket.
    member = UserFactory()
    OccupancyFactory(
        unit=unit, resident=ResidentFactory(estate=unit.building.estate, user=member), role="family"
    )
    for user in (owner, member):
        client = client_for(user)
        detail = client.get(f"/api/v1/tickets/{noted_ticket.pk}/").json()
        bodies = [e["body"] for e in detail["events"]]
        assert "明天上午上门" in bodies and "内部：业主欠费三个月" not in bodies
        events = client.get(f"/api/v1/tickets/{noted_ticket.pk}/events/").json()
        assert all(not e["is_internal"] for e in events)
        page = client.get(f"/portal/tickets/{noted_ticket.pk}/").content.decode()
        assert "明天上午上门" in page and "欠费" not in page
        assert can_subscribe(user, f"ticket.{noted_ticket.pk}")


def test_technician_sees_only_tickets_of_their_estates(
    noted_ticket, technician_a, technician_b, desk_a, client_for
):
    # Assigned to technician_a: technicians see the tickets assigned to them (issue #15 item 3).
    noted_ticket = services.ticket_assign(ticket=noted_ticket, technician=technician_a, by=desk_a)
    client = client_for(technician_b)
    assert client.get("/api/v1/tickets/").json()["count"] == 0
    assert client.get(f"/api/v1/tickets/{noted_ticket.pk}/").status_code == 404
    assert client.get(f"/worker/tickets/{noted_ticket.pk}/").status_code == 404
    assert not can_subscribe(technician_b, f"ticket.{noted_ticket.pk}")
    client = client_for(technician_a)
    assert client.get("/api/v1/tickets/").json()["count"] == 1
    page = client.get(f"/worker/tickets/{noted_ticket.pk}/").content.decode()
    assert "欠费" in page  # staff of the estate do see internal notes


def test_staff_of_another_estate_cannot_act_or_see(noted_ticket, manager_b, client_for):
    client = client_for(manager_b)
    response = client.post(
        f"/api/v1/tickets/{noted_ticket.pk}/actions/decline/",
        {"reason": "x"},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert client.get("/admin/tickets/ticket/").status_code == 200
    assert noted_ticket.number not in client.get("/admin/tickets/ticket/").content.decode()
    assert client.get(f"/admin/tickets/ticket/{noted_ticket.pk}/change/").status_code in (302, 404)


def test_resident_cannot_act_as_staff_through_the_api(noted_ticket, household_a, technician_a, client_for):
    owner, _unit = household_a
    client = client_for(owner)
    response = client.post(
        f"/api/v1/tickets/{noted_ticket.pk}/actions/assign/",
        {"assignee": technician_a.pk},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["error"]["message"]
    response = client.post(
        f"/api/v1/tickets/{noted_ticket.pk}/comments/",
        {"body": "x", "internal": True},
        content_type="application/json",
    )
    assert response.status_code == 403
