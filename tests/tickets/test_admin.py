"""Staff admin: queues, bulk assignment, internal notes, conflicts, export — all scoped."""

from __future__ import annotations

import pytest
from django.utils import translation
from django.utils.translation import gettext

from community.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_bulk_assign_action(file_ticket, desk_a, technician_a, client_for):
    tickets = [file_ticket(), file_ticket()]
    r = client_for(desk_a).post(
        "/admin/tickets/ticket/",
        {
            "action": "assign_selected",
            "_selected_action": [t.pk for t in tickets],
            "assignee": technician_a.pk,
        },
        follow=True,
    )
    assert r.status_code == 200
    assert set(Ticket.objects.values_list("assignee", "status")) == {(technician_a.pk, "assigned")}


def test_bulk_assign_to_another_estates_technician_is_refused(ticket_a, desk_a, technician_b, client_for):
    client_for(desk_a).post(
        "/admin/tickets/ticket/",
        {
            "action": "assign_selected",
            "_selected_action": [ticket_a.pk],
            "assignee": technician_b.pk,
        },
        follow=True,
    )
    assert Ticket.objects.get(pk=ticket_a.pk).assignee is None


def test_queue_filters(file_ticket, manager_a, client_for):
    late = file_ticket()
    Ticket.objects.filter(pk=late.pk).update(
        resolution_due_at="2020-01-01T00:00Z", at_risk_at="2019-12-31T00:00Z"
    )
    fine = file_ticket()
    page = client_for(manager_a).get("/admin/tickets/ticket/?sla=overdue").content.decode()
    assert late.number in page and fine.number not in page


def _change_data(ticket, **overrides):
    data = {
        "category": ticket.category_id,
        "priority": ticket.priority,
        "description": ticket.description,
        "common_area": ticket.common_area,
        "unit": ticket.unit_id or "",
        "seen_version": ticket.version,
        "photos-TOTAL_FORMS": 0,
        "photos-INITIAL_FORMS": 0,
        "events-TOTAL_FORMS": 0,
        "events-INITIAL_FORMS": 0,
        "events-2-TOTAL_FORMS": 1,
        "events-2-INITIAL_FORMS": 0,
        "events-2-0-body": "",
    }
    data.update(overrides)
    return data


def test_internal_note_and_edit_through_the_change_form(ticket_a, desk_a, client_for):
    client = client_for(desk_a)
    url = f"/admin/tickets/ticket/{ticket_a.pk}/change/"
    page = client.get(url).content.decode()
    assert 'name="seen_version"' in page
    r = client.post(url, _change_data(ticket_a, priority="high", **{"events-2-0-body": "先电话联系业主"}))
    assert r.status_code == 200  # a new priority moves the deadlines: it needs a reason
    assert Ticket.objects.get(pk=ticket_a.pk).priority == "normal"
    r = client.post(
        url,
        _change_data(
            ticket_a,
            priority="high",
            change_reason="业主家中老人独居",
            **{"events-2-0-body": "先电话联系业主"},
        ),
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    ticket = Ticket.objects.get(pk=ticket_a.pk)
    assert ticket.priority == "high" and ticket.version == 2
    assert ticket.events.filter(kind="note", is_internal=True, body="先电话联系业主").exists()


def test_second_staff_saving_the_same_ticket_gets_a_clear_message(ticket_a, desk_a, manager_a, client_for):
    url = f"/admin/tickets/ticket/{ticket_a.pk}/change/"
    first = _change_data(ticket_a, priority="high", change_reason="漏水影响楼下")
    assert client_for(desk_a).post(url, first).status_code == 302
    r = client_for(manager_a).post(url, _change_data(ticket_a, priority="low", change_reason="不急"))
    assert r.status_code == 200  # the form comes back with the error
    assert "Reload" in r.content.decode() or "刷新" in r.content.decode() or "重新" in r.content.decode()
    assert Ticket.objects.get(pk=ticket_a.pk).priority == "high"


def test_export_csv_is_scoped(file_ticket, manager_a, manager_b, client_for):
    ticket = file_ticket()
    for manager, visible in ((manager_a, True), (manager_b, False)):
        r = client_for(manager).post(
            "/admin/tickets/ticket/export/",
            {
                "format": "1",
                "resource": "0",
                **{f"ticketresource_{f}": "on" for f in ["number", "status", "category"]},
            },
        )
        assert r.status_code == 200, r.content.decode()[:1500]
        assert (ticket.number in r.content.decode("utf-8-sig")) is visible


def test_front_desk_files_a_phone_ticket(category_a, household_a, desk_a, client_for):
    _owner, unit = household_a
    resident = unit.occupancies.get(is_primary_contact=True).resident
    client = client_for(desk_a)
    base = {
        "category": category_a.pk,
        "priority": "urgent",
        "reporter": resident.pk,
        "unit": unit.pk,
        "common_area": "",
        "description": "业主来电：家里停电",
        "seen_version": "",
        "photos-TOTAL_FORMS": 0,
        "photos-INITIAL_FORMS": 0,
        "events-TOTAL_FORMS": 0,
        "events-INITIAL_FORMS": 0,
        "events-2-TOTAL_FORMS": 0,
        "events-2-INITIAL_FORMS": 0,
    }
    r = client.post("/admin/tickets/ticket/add/", {**base, "channel": "portal"})
    assert r.status_code == 200 and not Ticket.objects.exists()
    r = client.post("/admin/tickets/ticket/add/", {**base, "channel": "phone"})
    assert r.status_code == 302, r.content.decode()[:3000]
    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.priority, ticket.reporter, ticket.reporter_user) == (
        "phone",
        "urgent",
        resident,
        resident.user,
    )
    assert ticket.number.startswith("BX-")


def test_technician_has_a_read_only_view(ticket_a, technician_a, desk_a, client_for):
    # Technicians see the tickets assigned to them (issue #15 item 3).
    from community.tickets import services

    ticket_a = services.ticket_assign(ticket=ticket_a, technician=technician_a, by=desk_a)
    client = client_for(technician_a)
    assert ticket_a.number in client.get("/admin/tickets/ticket/").content.decode()
    r = client.get(f"/admin/tickets/ticket/{ticket_a.pk}/change/")
    assert r.status_code == 200
    assert 'name="seen_version"' not in r.content.decode()
    r = client.post(f"/admin/tickets/ticket/{ticket_a.pk}/change/", _change_data(ticket_a, priority="urgent"))
    assert r.status_code == 403
    assert Ticket.objects.get(pk=ticket_a.pk).priority == "normal"


def test_a_refused_create_shows_only_the_error(category_a, household_a, desk_a, client_for):
    """The filing service refuses inside the form's validation: the form comes back with its
    messages on the fields, and no "added successfully" with them."""
    _owner, unit = household_a
    resident = unit.occupancies.get(is_primary_contact=True).resident
    category_a.is_active = False
    category_a.save(update_fields=["is_active"])
    r = client_for(desk_a).post(
        "/admin/tickets/ticket/add/",
        {
            "category": category_a.pk,
            "priority": "normal",
            "channel": "phone",
            "reporter": resident.pk,
            "unit": unit.pk,
            "common_area": "3栋电梯",
            "description": "电梯异响",
            "photos-TOTAL_FORMS": 0,
            "photos-INITIAL_FORMS": 0,
            "events-TOTAL_FORMS": 0,
            "events-INITIAL_FORMS": 0,
            "events-2-TOTAL_FORMS": 0,
            "events-2-INITIAL_FORMS": 0,
        },
        follow=True,
    )
    page = r.content.decode()
    assert r.status_code == 200 and not Ticket.objects.exists()
    assert "errorlist" in page
    assert "成功" not in page and "successfully" not in page
    with translation.override("zh-hans"):
        assert gettext("This category is no longer in use.") in page
        assert gettext("Choose either a unit or a common area, not both.") in page
