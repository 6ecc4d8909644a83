"""Issue 11 from the pages people use: staff hand work over, put it on hold with a category,
approve a wait for parts and close a resolved ticket with a reason on the ticket's admin page;
the technician returns a job (退单) from the phone worker page; the resident sees the hold's
category on the portal."""

from __future__ import annotations

import pytest

from community.accounts.roles import StaffRole
from community.tickets import services
from community.tickets.models import Ticket
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def technician_2(estate_a):
    return StaffFactory(estate=estate_a, role=StaffRole.TECHNICIAN, username="tech_a2", name="陈师傅")


def _in_progress(ticket, desk, tech):
    ticket = services.ticket_assign(ticket=ticket, technician=tech, by=desk)
    return services.ticket_act(ticket=ticket, action="start", by=tech)


def _page(ticket) -> str:
    return f"/admin/tickets/ticket/{ticket.pk}/change/"


def _act(client, ticket, action, **data):
    ticket = Ticket.objects.get(pk=ticket.pk)
    response = client.post(
        f"/admin/tickets/ticket/{ticket.pk}/act/{action}/", {"version": ticket.version, **data}, follow=True
    )
    assert response.status_code == 200
    return response.content.decode(), Ticket.objects.get(pk=ticket.pk)


def test_manager_hands_over_work_in_progress_from_the_ticket_page(
    ticket_a, desk_a, technician_a, technician_2, manager_a, client_for
):
    ticket = _in_progress(ticket_a, desk_a, technician_a)
    due = ticket.resolution_due_at
    client = client_for(manager_a)
    page = client.get(_page(ticket)).content.decode()
    for action in ("reassign", "hold", "resolve", "decline"):
        assert f'data-action="{action}"' in page
    assert 'data-action="accept"' not in page and 'data-action="return"' not in page

    _body, after = _act(client, ticket, "reassign", assignee=technician_2.pk)  # no reason
    assert (after.status, after.assignee) == ("in_progress", technician_a)
    _body, after = _act(client, ticket, "reassign", assignee=technician_2.pk, reason="刘师傅调去抢修")
    assert (after.status, after.assignee, after.resolution_due_at) == ("assigned", technician_2, due)


def test_hold_category_and_the_managers_approval_of_a_wait_for_parts(
    ticket_a, desk_a, technician_a, manager_a, household_a, client_for
):
    ticket = _in_progress(ticket_a, desk_a, technician_a)
    desk = client_for(desk_a)
    _body, after = _act(desk, ticket, "hold", hold_reason="parts", reason="等厂家寄阀门")
    assert (after.status, after.hold_reason, after.on_hold_since) == ("on_hold", "parts", None)

    # The front desk cannot stop the clock; the manager can, from the same page.
    assert 'data-action="approve_hold"' not in desk.get(_page(ticket)).content.decode()
    _body, after = _act(desk, ticket, "approve_hold")
    assert after.on_hold_since is None
    manager = client_for(manager_a)
    assert 'data-action="approve_hold"' in manager.get(_page(ticket)).content.decode()
    _body, after = _act(manager, ticket, "approve_hold")
    assert after.on_hold_since is not None
    assert 'data-action="approve_hold"' not in manager.get(_page(ticket)).content.decode()

    owner, _unit = household_a
    portal = client_for(owner).get(f"/portal/tickets/{ticket.pk}/").content.decode()
    assert "等待配件或供应商" in portal


def test_hold_approval_through_the_api_is_for_managers(ticket_a, desk_a, technician_a, manager_a, client_for):
    ticket = _in_progress(ticket_a, desk_a, technician_a)
    ticket = services.ticket_act(
        ticket=ticket, action="hold", by=technician_a, reason="等配件", hold_reason="parts"
    )
    url = f"/api/v1/tickets/{ticket.pk}/hold-approval/"
    assert client_for(desk_a).post(url).status_code == 403
    response = client_for(manager_a).post(url)
    assert response.status_code == 200
    assert Ticket.objects.get(pk=ticket.pk).on_hold_since is not None
    assert client_for(manager_a).post(url).status_code == 409  # already stopped


def test_staff_close_a_resolved_ticket_with_a_reason_from_the_ticket_page(
    ticket_a, desk_a, technician_a, client_for
):
    ticket = _in_progress(ticket_a, desk_a, technician_a)
    ticket = services.ticket_act(ticket=ticket, action="resolve", by=technician_a, reason="换了阀门")
    client = client_for(desk_a)
    assert 'data-action="close"' in client.get(_page(ticket)).content.decode()
    _body, after = _act(client, ticket, "close")
    assert after.status == "resolved"
    _body, after = _act(client, ticket, "close", reason="住户电话确认")
    assert after.status == "closed"
    assert after.events.filter(action="close", body="住户电话确认").exists()


def test_a_manager_of_another_estate_cannot_act_on_the_ticket(ticket_a, manager_b, client_for):
    response = client_for(manager_b).post(
        f"/admin/tickets/ticket/{ticket_a.pk}/act/decline/", {"version": ticket_a.version, "reason": "x"}
    )
    assert response.status_code in (302, 404)
    assert Ticket.objects.get(pk=ticket_a.pk).status == "new"


def test_technician_returns_a_job_from_the_worker_page(ticket_a, desk_a, technician_a, client_for):
    ticket = services.ticket_assign(ticket=ticket_a, technician=technician_a, by=desk_a)
    client = client_for(technician_a)
    page = client.get(f"/worker/tickets/{ticket.pk}/").content.decode()
    assert 'data-action="return"' in page and 'name="reason"' in page
    client.post(f"/worker/tickets/{ticket.pk}/return/", {"version": ticket.version, "reason": ""})
    assert Ticket.objects.get(pk=ticket.pk).status == "assigned"  # a reason is needed
    client.post(f"/worker/tickets/{ticket.pk}/return/", {"version": ticket.version, "reason": "缺高空作业证"})
    after = Ticket.objects.get(pk=ticket.pk)
    assert (after.status, after.assignee) == ("new", None)


def test_resident_cancels_an_assigned_ticket_from_the_portal(
    ticket_a, desk_a, technician_a, household_a, client_for
):
    from community.notifications.models import Notification
    from community.tickets import messages

    owner, _unit = household_a
    ticket = services.ticket_assign(ticket=ticket_a, technician=technician_a, by=desk_a)
    client = client_for(owner)
    assert 'data-action="cancel"' in client.get(f"/portal/tickets/{ticket.pk}/").content.decode()
    client.post(f"/portal/tickets/{ticket.pk}/cancel/", {"version": ticket.version})
    assert Ticket.objects.get(pk=ticket.pk).status == "cancelled"
    assert Notification.objects.filter(recipient=technician_a, message=messages.CANCELLED).exists()


def test_resident_reopens_a_ticket_staff_closed_but_not_one_they_confirmed(
    file_ticket, desk_a, technician_a, household_a, client_for
):
    owner, _unit = household_a
    client = client_for(owner)
    staff_closed = _in_progress(file_ticket(), desk_a, technician_a)
    staff_closed = services.ticket_act(ticket=staff_closed, action="resolve", by=technician_a, reason="已修")
    staff_closed = services.ticket_act(ticket=staff_closed, action="close", by=desk_a, reason="住户电话确认")
    page = client.get(f"/portal/tickets/{staff_closed.pk}/").content.decode()
    assert 'data-action="reopen"' in page
    client.post(
        f"/portal/tickets/{staff_closed.pk}/reopen/", {"version": staff_closed.version, "reason": "还在漏"}
    )
    assert Ticket.objects.get(pk=staff_closed.pk).status == "reopened"

    confirmed = _in_progress(file_ticket(), desk_a, technician_a)
    confirmed = services.ticket_act(ticket=confirmed, action="resolve", by=technician_a, reason="已修")
    confirmed = services.ticket_act(ticket=confirmed, action="confirm", by=owner)
    assert 'data-action="reopen"' not in client.get(f"/portal/tickets/{confirmed.pk}/").content.decode()


def test_a_tampered_assignee_choice_is_refused_with_a_message_not_an_error(
    ticket_a, desk_a, technician_a, client_for
):
    ticket = _in_progress(ticket_a, desk_a, technician_a)
    body, after = _act(client_for(desk_a), ticket, "reassign", assignee="abc", reason="换人")
    assert (after.status, after.assignee) == ("in_progress", technician_a)
    assert 'class="error"' in body
