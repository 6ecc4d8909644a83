"""Bad input to ticket pages and the API is a 4xx with a message saying what is wrong, never
a 500 and never a half-written ticket, comment or note."""

from __future__ import annotations

import json

import pytest
from django.test import override_settings
from rest_framework.exceptions import PermissionDenied as DRFPermissionDenied

from community.tickets import services
from community.tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db


def test_malformed_id_in_the_api_is_404_not_500(ticket_a, household_a, client_for):
    client = client_for(household_a[0])
    for url in ("/api/v1/tickets/abc/", "/api/v1/tickets/abc/events/"):
        response = client.get(url)
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_too_long_text_is_a_400_with_a_message_not_a_500(household_a, category_a, client_for):
    owner, unit = household_a
    client = client_for(owner)
    r = client.post(
        "/portal/tickets/new/",
        {"category": category_a.pk, "unit": "", "common_area": "门" * 300, "description": "楼道灯坏了"},
    )
    assert r.status_code == 400 and "300" in r.content.decode()
    r = client.post(
        "/portal/tickets/new/", {"category": category_a.pk, "unit": unit.pk, "description": "漏" * 5000}
    )
    assert r.status_code == 400 and "5000" in r.content.decode()
    assert not Ticket.objects.exists()


def test_too_long_comment_reason_and_rating_are_refused(
    ticket_a, household_a, desk_a, technician_a, client_for
):
    owner, _unit = household_a
    client_for(owner).post(f"/portal/tickets/{ticket_a.pk}/comment/", {"body": "长" * 5000})
    assert not TicketEvent.objects.filter(kind="comment").exists()
    ticket = services.ticket_assign(ticket=ticket_a, technician=technician_a, by=desk_a)
    worker = client_for(technician_a)
    worker.post(f"/worker/tickets/{ticket.pk}/start/", {"version": ticket.version})
    r = worker.post(f"/worker/tickets/{ticket.pk}/resolve/", {"reason": "修" * 5000}, follow=True)
    assert Ticket.objects.get(pk=ticket.pk).status == "in_progress"
    assert "5000" in r.content.decode()
    r = worker.post(f"/worker/tickets/{ticket.pk}/note/", {"body": "记" * 5000}, follow=True)
    assert not TicketEvent.objects.filter(kind="note").exists() and "5000" in r.content.decode()


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=2000)
def test_oversized_json_is_413(ticket_a, household_a, client_for):
    r = client_for(household_a[0]).post(
        f"/api/v1/tickets/{ticket_a.pk}/comments/",
        json.dumps({"body": "x" * 5000}),
        content_type="application/json",
    )
    assert r.status_code == 413


def test_update_refuses_unit_and_common_area_together(ticket_a, desk_a, client_for):
    r = client_for(desk_a).patch(
        f"/api/v1/tickets/{ticket_a.pk}/",
        {"version": 1, "common_area": "门口"},
        content_type="application/json",
    )
    assert r.status_code == 400 and "common_area" in r.json()["error"]["fields"]


def test_refusals_keep_their_reason_in_the_api_error(
    ticket_a, household_a, technician_a, category_b, client_for
):
    owner, _unit = household_a
    r = client_for(owner).post(
        f"/api/v1/tickets/{ticket_a.pk}/actions/assign/",
        {"assignee": technician_a.pk},
        content_type="application/json",
    )
    assert r.status_code == 403
    assert r.json()["error"]["message"] != str(DRFPermissionDenied.default_detail)
    r = client_for(owner).post(
        "/api/v1/tickets/",
        {"category": category_b.pk, "description": "x", "common_area": "门"},
        content_type="application/json",
    )
    assert r.status_code == 403 and r.json()["error"]["message"] != str(DRFPermissionDenied.default_detail)
