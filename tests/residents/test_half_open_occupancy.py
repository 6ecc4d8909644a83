"""Issue 11: an occupancy is the half-open ``[start_date, end_date)``; the end date is the first
day gone. ``active()``, the row's ``is_current``, the admin's "current" filter and the
resident's own homes (``my_units``) all say so, on every day around the ends."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from community.residents.models import Occupancy
from community.scoping import my_units
from tests.factories import OccupancyFactory, UnitFactory

pytestmark = pytest.mark.django_db

START = dt.date(2026, 3, 1)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(length=st.one_of(st.none(), st.integers(min_value=0, max_value=5)), offset=st.integers(-3, 9))
def test_active_and_is_current_agree_on_every_day(estate_a, length, offset):
    end = None if length is None else START + dt.timedelta(days=length)
    tie = OccupancyFactory(unit=UnitFactory(building__estate=estate_a), start_date=START, end_date=end)
    on = START + dt.timedelta(days=offset)
    expected = on >= START and (end is None or on < end)
    assert tie.is_current(on) is expected
    assert Occupancy.objects.active(on).filter(pk=tie.pk).exists() is expected
    tie.delete()


def test_on_move_out_day_the_leaver_has_no_home_and_the_buyer_has(household_a, manager_a, client_for):
    from django.utils import timezone

    from community.residents.services import occupancy_end

    user, unit = household_a
    today = timezone.localdate()
    tie = Occupancy.objects.get(unit=unit, resident__user=user)
    occupancy_end(occupancy=tie, by=manager_a, end_date=today)
    assert not Occupancy.objects.get(pk=tie.pk).is_current(today)
    assert Occupancy.objects.get(pk=tie.pk).is_current(today - dt.timedelta(days=1))
    assert not my_units(user).filter(pk=unit.pk).exists()

    # The admin's "current" filter leaves the leaver out from the end date on.
    page = client_for(manager_a).get("/admin/residents/occupancy/", {"status": "current"})
    listed = {o.pk for o in page.context["cl"].result_list}
    assert tie.pk not in listed and listed  # the family member still lives there
    ended = client_for(manager_a).get("/admin/residents/occupancy/", {"status": "ended"})
    assert tie.pk in {o.pk for o in ended.context["cl"].result_list}
