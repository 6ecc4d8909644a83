"""The ticket admin: a refused add comes back as a form error, a finished ticket is read-only,
the export runs a constant number of queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from community.tickets import services
from community.tickets.models import Category, Ticket
from tests.factories import (
    ticket_rows,
)

pytestmark = pytest.mark.django_db


def _admin_add_data(category, unit):
    return {
        "category": category.pk,
        "priority": "normal",
        "reporter": "",
        "unit": unit.pk,
        "channel": "phone",
        "common_area": "",
        "description": "业主来电",
        "seen_version": "",
        "photos-TOTAL_FORMS": 0,
        "photos-INITIAL_FORMS": 0,
        "events-TOTAL_FORMS": 0,
        "events-INITIAL_FORMS": 0,
        "events-2-TOTAL_FORMS": 0,
        "events-2-INITIAL_FORMS": 0,
    }


def test_admin_add_with_an_inactive_category_is_a_form_error(category_a, household_a, manager_a, client_for):
    _owner, unit = household_a
    inactive = Category.objects.create(estate=category_a.estate, name="已停用", is_active=False)
    r = client_for(manager_a).post("/admin/tickets/ticket/add/", _admin_add_data(inactive, unit))
    assert r.status_code == 200  # the form comes back, not a "added successfully" redirect
    assert r.context["adminform"].form.errors.get("category")
    assert not Ticket.objects.exists()


def test_admin_shows_a_finished_ticket_read_only(ticket_a, manager_a, client_for):
    services.ticket_act(ticket=ticket_a, action="decline", by=manager_a, reason="重复工单")
    page = client_for(manager_a).get(f"/admin/tickets/ticket/{ticket_a.pk}/change/").content.decode()
    assert 'name="priority"' not in page and 'name="description"' not in page


def test_admin_export_runs_constant_queries(category_a, household_a, technician_a, manager_a, client_for):
    owner, unit = household_a
    client = client_for(manager_a)
    data = {
        "format": "1",
        "resource": "0",
        **{
            f"ticketresource_{f}": "on"
            for f in ["number", "category", "status", "location", "reporter", "assignee", "rating"]
        },
    }

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.post("/admin/tickets/ticket/export/", data).status_code == 200
        return len(ctx.captured_queries)

    ticket_rows(5, category=category_a, unit=unit, reporter_user=owner, assignee=technician_a)
    count()
    small = count()
    ticket_rows(60, category=category_a, start=100, unit=unit, reporter_user=owner, assignee=technician_a)
    assert count() == small
