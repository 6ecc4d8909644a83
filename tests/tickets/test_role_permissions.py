"""Issue #15 item 3 for tickets: roles see what their job needs, not every ticket of the estate.

The reproduced overreach: an eldercare worker read all of an estate's tickets (internal notes,
reporters' phones, home photos), wrote internal notes and filed urgent tickets for residents.
Now: managers and front desk handle every ticket of their estates; a technician sees and acts
on the tickets assigned to them (the open unassigned queue only where the estate allows it);
security, eldercare and community-office roles see none. Each line is crossed below through the
API, the worker pages, the admin, the photo URL and the services.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from community.accounts.roles import StaffRole
from community.errors import NotAllowed
from community.tickets import selectors, services
from community.tickets.models import Channel, Priority, TicketSettings
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

NO_TICKET_ROLES = [
    StaffRole.SECURITY,
    StaffRole.ELDERCARE_WORKER,
    StaffRole.ELDERCARE_COORDINATOR,
    StaffRole.COMMUNITY_OFFICE,
]


@pytest.fixture
def assigned(ticket_a, desk_a, technician_a):
    services.ticket_comment(ticket=ticket_a, by=desk_a, body="住户电话里说家里老人行动不便", internal=True)
    return services.ticket_assign(ticket=ticket_a, technician=technician_a, by=desk_a)


@pytest.fixture
def other_ticket(file_ticket):
    return file_ticket(description="楼道灯不亮")


def _api_ids(client) -> set[int]:
    response = client.get("/api/v1/tickets/")
    assert response.status_code == 200
    body = response.json()
    rows = body["results"] if isinstance(body, dict) and "results" in body else body
    return {row["id"] for row in rows}


@pytest.mark.parametrize("role", NO_TICKET_ROLES)
def test_roles_outside_tickets_see_none_anywhere(role, estate_a, assigned, client_for):
    staff = StaffFactory(estate=estate_a, role=role)
    client = client_for(staff)
    assert _api_ids(client) == set()
    assert client.get(f"/api/v1/tickets/{assigned.pk}/").status_code == 404
    assert client.get(reverse("worker:detail", args=[assigned.pk])).status_code in (403, 404)
    assert not selectors.visible_tickets(staff).exists()
    assert not selectors.can_see_internal(staff, assigned)
    # No live updates of the ticket either.
    from community.consumers import can_subscribe

    assert not can_subscribe(staff, f"ticket.{assigned.pk}")


@pytest.mark.parametrize("role", NO_TICKET_ROLES)
def test_roles_outside_tickets_neither_write_notes_nor_file_for_residents(
    role, estate_a, assigned, category_a, household_a
):
    staff = StaffFactory(estate=estate_a, role=role)
    with pytest.raises(NotAllowed):
        services.ticket_comment(ticket=assigned, by=staff, body="看看", internal=True)
    _owner, unit = household_a
    # Filed "for a resident" by phone: not as staff, so as a resident of no home there: refused.
    with pytest.raises(Exception) as refused:
        services.ticket_create(
            by=staff,
            category=category_a,
            description="代报：急修",
            unit=unit,
            channel=Channel.PHONE,
            priority=Priority.URGENT,
        )
    assert refused.type.__name__ in ("ServiceError", "NotAllowed", "ValidationError", "PermissionDenied")


def test_a_technician_sees_and_acts_on_their_own_tickets_only(
    assigned, other_ticket, technician_a, client_for
):
    client = client_for(technician_a)
    assert _api_ids(client) == {assigned.pk}
    assert client.get(f"/api/v1/tickets/{other_ticket.pk}/").status_code == 404
    assert client.get(reverse("worker:detail", args=[other_ticket.pk])).status_code == 404
    assert client.get(reverse("worker:detail", args=[assigned.pk])).status_code == 200
    # Acting on someone else's ticket: not found, nothing changes.
    response = client.post(reverse("worker:act", args=[other_ticket.pk, "start"]))
    assert response.status_code == 404
    other_ticket.refresh_from_db()
    assert other_ticket.assignee_id is None
    # Their own: the internal note of the front desk is there for them, and they may add one.
    assert selectors.can_see_internal(technician_a, assigned)
    services.ticket_comment(ticket=assigned, by=technician_a, body="需要换阀芯", internal=True)
    with pytest.raises(NotAllowed):
        services.ticket_comment(ticket=other_ticket, by=technician_a, body="顺便看看", internal=True)


def test_a_technician_loses_the_ticket_when_it_is_reassigned(assigned, technician_a, desk_a, estate_a):
    colleague = StaffFactory(estate=estate_a, role=StaffRole.TECHNICIAN)
    services.ticket_assign(ticket=assigned, technician=colleague, by=desk_a)
    assert not selectors.visible_tickets(technician_a).filter(pk=assigned.pk).exists()
    assert selectors.visible_tickets(colleague).filter(pk=assigned.pk).exists()


def test_the_estate_queue_is_shown_to_technicians_only_where_the_estate_allows(
    assigned, other_ticket, technician_a, estate_a
):
    assert set(selectors.staff_tickets(technician_a)) == {assigned}
    TicketSettings.objects.update_or_create(estate=estate_a, defaults={"technicians_see_queue": True})
    assert set(selectors.staff_tickets(technician_a)) == {assigned, other_ticket}
    # The queue shows the job, not the handlers' internal notes, and acting needs assignment.
    assert not selectors.can_see_internal(technician_a, other_ticket)
    assert "start" not in selectors.actions_for(technician_a, other_ticket)


def test_handlers_see_every_ticket_of_their_estate_and_no_other(
    assigned, other_ticket, desk_a, manager_a, technician_b, client_for
):
    for handler in (desk_a, manager_a):
        assert {assigned.pk, other_ticket.pk} <= set(
            selectors.visible_tickets(handler).values_list("pk", flat=True)
        )
        assert selectors.can_see_internal(handler, assigned)
    assert not selectors.visible_tickets(technician_b).exists()


def test_the_admin_list_follows_the_role(assigned, other_ticket, technician_a, estate_a, client_for):
    url = reverse("admin:tickets_ticket_changelist")
    response = client_for(technician_a).get(url)
    assert response.status_code == 200
    assert {t.pk for t in response.context["cl"].result_list} == {assigned.pk}
    guard = StaffFactory(estate=estate_a, role=StaffRole.SECURITY)
    response = client_for(guard).get(url)
    assert response.status_code == 403 or not list(response.context["cl"].result_list)


def test_a_technician_of_a_and_handler_of_b_keeps_the_lines_apart(assigned, other_ticket, estate_b):
    """Roles are per estate: front desk in B gives nothing in A."""
    from community.residents.models import StaffMembership

    person = StaffFactory(estate=estate_b, role=StaffRole.FRONT_DESK)
    StaffMembership.objects.create(user=person, estate=assigned.estate, role=StaffRole.TECHNICIAN)
    assert not selectors.visible_tickets(person).filter(estate=assigned.estate).exists()
    assert not selectors.is_staff_of(person, assigned.estate_id)
