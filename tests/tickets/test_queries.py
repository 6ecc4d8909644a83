"""List pages and list endpoints run a fixed number of queries, 10 tickets or 500."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from community.tickets.models import Rating, Ticket, TicketEvent
from tests.factories import ticket_rows

pytestmark = pytest.mark.django_db


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def _fill(n, *, category, unit, owner, technician, start):
    rows = ticket_rows(
        n,
        category=category,
        start=start,
        unit=unit,
        reporter_user=owner,
        assignee=technician,
        status="assigned",
    )
    TicketEvent.objects.bulk_create([TicketEvent(ticket=t, kind="created", body="x") for t in rows])
    closed = ticket_rows(
        n // 10 or 1, category=category, start=start + 5000, unit=unit, reporter_user=owner, status="closed"
    )
    Rating.objects.bulk_create([Rating(ticket=t, score=4) for t in closed])


URLS = [
    ("owner", "/portal/tickets/"),
    ("owner", "/api/v1/tickets/"),
    ("tech", "/worker/"),
    ("tech", "/api/v1/tickets/?mine=true"),
    ("manager", "/api/v1/tickets/?page_size=200"),
    ("manager", "/admin/tickets/ticket/"),
    ("manager", "/admin/tickets/ticket/?sla=overdue"),
    ("manager", "/staff/tickets/"),
]


@pytest.mark.parametrize(("who", "url"), URLS)
def test_constant_queries(who, url, household_a, category_a, technician_a, manager_a, client_for):
    owner, unit = household_a
    users = {"owner": owner, "tech": technician_a, "manager": manager_a}
    client = client_for(users[who])
    _fill(10, category=category_a, unit=unit, owner=owner, technician=technician_a, start=0)
    client.get(url)  # warm caches (content types, session)
    small = _count(client, url)
    _fill(490, category=category_a, unit=unit, owner=owner, technician=technician_a, start=10000)
    assert Ticket.objects.count() > 500
    assert _count(client, url) == small
