"""Privacy across occupants: a household reads its unit's tickets from the start of its own
occupancy; a new tenant does not read the old household's complaints; a former resident keeps
read-only access to what they filed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from community.errors import NotAllowed
from community.residents.models import Occupancy
from community.residents.services import occupancy_end
from community.tickets import services
from community.tickets.models import Kind, Ticket
from tests.factories import CategoryFactory, OccupancyFactory, ResidentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def complaints_a(estate_a):
    return CategoryFactory(estate=estate_a, name="邻里投诉", kind=Kind.COMPLAINT)


def _tenant(unit, *, start: dt.date):
    user = UserFactory(username="new_tenant")
    resident = ResidentFactory(estate=unit.building.estate, user=user, name="新租户")
    OccupancyFactory(unit=unit, resident=resident, role="tenant", start_date=start)
    return user


def test_new_tenant_does_not_read_an_old_complaint(household_a, complaints_a, category_a, client_for):
    owner, unit = household_a
    old_repair = services.ticket_create(
        by=owner,
        category=category_a,
        description="卫生间渗水",
        unit=unit,
        now=timezone.now() - dt.timedelta(days=30),
    )
    old = services.ticket_create(
        by=owner,
        category=complaints_a,
        description="楼上深夜噪音",
        unit=unit,
        now=timezone.now() - dt.timedelta(days=60),
    )
    tenant = _tenant(unit, start=timezone.localdate() - dt.timedelta(days=5))
    newer = services.ticket_create(by=tenant, category=complaints_a, description="楼道堆物", unit=unit)

    client = client_for(tenant)
    listing = client.get("/portal/tickets/").content.decode()
    assert newer.number in listing and old.number not in listing
    # Nor the unit's repairs from before their own occupancy began.
    assert old_repair.number not in listing
    assert client.get(f"/portal/tickets/{old_repair.pk}/").status_code == 404
    assert client.get(f"/portal/tickets/{old.pk}/").status_code == 404
    assert client.get(f"/api/v1/tickets/{old.pk}/").status_code == 404
    # The household of the time (the owner, still living there) reads both.
    assert set(Ticket.objects.filter(pk__in=[old.pk, newer.pk]).filter(_visible(owner))) == {old, newer}


def _visible(user):
    from community.tickets.selectors import resident_q

    return resident_q(user)


def test_former_resident_keeps_read_only_access_to_what_they_filed(
    household_a, file_ticket, manager_a, client_for
):
    owner, unit = household_a
    ticket = file_ticket()
    occupancy_end(occupancy=Occupancy.objects.get(unit=unit, resident__user=owner), by=manager_a)

    client = client_for(owner)
    assert ticket.number in client.get("/portal/tickets/").content.decode()
    page = client.get(f"/portal/tickets/{ticket.pk}/")
    assert page.status_code == 200 and 'data-action="cancel"' not in page.content.decode()
    with pytest.raises(NotAllowed):
        services.ticket_act(ticket=ticket, action="cancel", by=owner)
    with pytest.raises(NotAllowed):
        services.ticket_comment(ticket=ticket, by=owner, body="还在吗")
    assert Ticket.objects.get(pk=ticket.pk).status == "new"
