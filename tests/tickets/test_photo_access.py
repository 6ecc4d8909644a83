"""Ticket photos are served through an authorised view: to those who may open the ticket,
never from a public storage path."""

from __future__ import annotations

import pytest

from community.tickets import services
from tests.factories import (
    photo_upload,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def photo_ticket(file_ticket):
    return file_ticket(photos=[photo_upload("leak.jpg")])


def test_photos_are_served_only_to_those_who_may_open_the_ticket(
    photo_ticket, household_a, household_b, technician_a, desk_a, manager_b, client_for, client
):
    owner, _unit = household_a
    # The technician it is assigned to (issue #15 item 3: not every technician of the estate).
    photo_ticket = services.ticket_assign(ticket=photo_ticket, technician=technician_a, by=desk_a)
    photo = photo_ticket.photos.get()
    url = f"/portal/tickets/photos/{photo.pk}/"
    for user in (owner, technician_a):
        response = client_for(user).get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
    for user in (household_b[0], manager_b):
        assert client_for(user).get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to the login page
    # Pages and the API link to the authorised view, never to the storage path.
    page = client_for(owner).get(f"/portal/tickets/{photo_ticket.pk}/").content.decode()
    assert url in page and "/media/" not in page
    body = client_for(owner).get(f"/api/v1/tickets/{photo_ticket.pk}/").json()
    assert body["photos"][0]["url"].endswith(url) and "image" not in body["photos"][0]
    admin_page = (
        client_for(technician_a).get(f"/admin/tickets/ticket/{photo_ticket.pk}/change/").content.decode()
    )
    assert url in admin_page and "/media/" not in admin_page
