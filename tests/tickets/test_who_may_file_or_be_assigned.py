"""Who may file a ticket, for which home and category, and who may be assigned one."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from community.tickets import services
from community.tickets.models import Ticket
from tests.factories import (
    BuildingFactory,
    OccupancyFactory,
    ResidentFactory,
    UnitFactory,
)

pytestmark = pytest.mark.django_db


def test_a_moved_out_resident_can_no_longer_file(household_a, category_a, client_for):
    owner, unit = household_a
    unit.occupancies.update(end_date=timezone.localdate() - dt.timedelta(days=1))
    r = client_for(owner).post(
        "/api/v1/tickets/",
        {"category": category_a.pk, "description": "路灯坏了", "common_area": "东门"},
        content_type="application/json",
    )
    assert r.status_code == 403
    assert not Ticket.objects.exists()


def test_a_home_in_one_estate_cannot_be_filed_under_another_estates_category(
    household_a, category_b, client_for
):
    owner, unit_a = household_a
    # The same person also lives in estate B, so B's categories are theirs to use — for B's homes.
    estate_b = category_b.estate
    unit_b = UnitFactory(building=BuildingFactory(estate=estate_b))
    OccupancyFactory(unit=unit_b, resident=ResidentFactory(estate=estate_b, user=owner))
    r = client_for(owner).post(
        "/api/v1/tickets/",
        {"category": category_b.pk, "description": "漏水", "unit": unit_a.pk},
        content_type="application/json",
    )
    assert r.status_code == 400 and "unit" in r.json()["error"]["fields"]
    assert not Ticket.objects.exists()


def test_inactive_staff_cannot_be_assigned(ticket_a, desk_a, technician_a):
    technician_a.is_active = False
    technician_a.save()
    with pytest.raises(Exception, match=r"(?s)assignee"):
        services.ticket_assign(ticket=ticket_a, technician=technician_a, by=desk_a)
    assert Ticket.objects.get(pk=ticket_a.pk).assignee is None
