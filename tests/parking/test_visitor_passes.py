"""A visitor pass lets its plate in as many times as it allows: each car entry uses one up."""

from __future__ import annotations

import time

import pytest

from access.services import visitor_pass_enter
from parking import decisions, services
from parking.models import Session
from tests.factories import VisitorPassFactory

from .conftest import EXIT_TOKEN, alarm, response_of

pytestmark = pytest.mark.django_db

PLATE = "粤BD12345"


@pytest.fixture
def no_temporary(lot):
    # Without temporary cars, a plate whose pass is used up stays outside: visible at the gate.
    lot.allow_temporary = False
    lot.save()
    return lot


def _in_and_out(vz) -> tuple[str, str]:
    _s, entry = vz(alarm(PLATE))
    _s, exit_ = vz(alarm(PLATE), token=EXIT_TOKEN)
    return response_of(entry)["info"], response_of(exit_)["info"]


def test_a_pass_for_two_entries_lets_the_car_in_twice_then_not(lanes, vz, no_temporary, household_a):
    user, unit = household_a
    visitor_pass = VisitorPassFactory(unit=unit, created_by=user, plate="粤B D12345", max_entries=2)
    assert _in_and_out(vz) == ("ok", "ok")
    visitor_pass.refresh_from_db()
    assert visitor_pass.entries_used == 1
    assert _in_and_out(vz) == ("ok", "ok")
    visitor_pass.refresh_from_db()
    assert visitor_pass.entries_used == 2
    _s, answer = vz(alarm(PLATE))
    assert response_of(answer)["info"] == "no"
    assert Session.objects.filter(plate=PLATE, kind="visitor").count() == 2
    assert not Session.objects.filter(plate=PLATE, status="open").exists()


def test_a_used_up_pass_makes_a_temporary_car_where_the_lot_takes_them(lanes, vz, lot, household_a):
    user, unit = household_a
    VisitorPassFactory(unit=unit, created_by=user, plate=PLATE, max_entries=1)
    _in_and_out(vz)
    _s, answer = vz(alarm(PLATE))
    assert response_of(answer)["info"] == "ok"
    assert Session.objects.get(plate=PLATE, status="open").kind == "temporary"


def test_a_resent_read_does_not_use_a_second_entry(lanes, vz, no_temporary, household_a):
    user, unit = household_a
    visitor_pass = VisitorPassFactory(unit=unit, created_by=user, plate=PLATE, max_entries=2)
    body = alarm(PLATE, plateid=4711)
    vz(body)
    vz(body)  # the camera resends when our answer was slow
    visitor_pass.refresh_from_db()
    assert visitor_pass.entries_used == 1


def test_an_entry_from_the_offline_store_uses_an_entry_too(lanes, vz, no_temporary, household_a):
    """The car did come in while the camera was offline (the camera let it in on its own)."""
    user, unit = household_a
    visitor_pass = VisitorPassFactory(unit=unit, created_by=user, plate=PLATE, max_entries=1)
    _s, answer = vz(alarm(PLATE, offline=1, sec=int(time.time()) - 60))
    assert response_of(answer)["info"] == "no"
    visitor_pass.refresh_from_db()
    assert visitor_pass.entries_used == 1
    assert Session.objects.get(plate=PLATE).kind == "visitor"


def test_two_entries_racing_for_the_last_one_get_it_once(household_a):
    user, unit = household_a
    visitor_pass = VisitorPassFactory(unit=unit, created_by=user, plate=PLATE, max_entries=1)
    by = "system:test"
    assert visitor_pass_enter(visitor_pass_id=visitor_pass.pk, by=by) is True
    assert visitor_pass_enter(visitor_pass_id=visitor_pass.pk, by=by) is False
    with pytest.raises(TypeError):
        visitor_pass_enter(visitor_pass_id=visitor_pass.pk, by=None)


def test_a_plate_corrected_to_a_visitors_uses_the_pass(lanes, vz, lot, household_a, security_a):
    user, unit = household_a
    visitor_pass = VisitorPassFactory(unit=unit, created_by=user, plate=PLATE, max_entries=1)
    vz(alarm("粤BD12346"))  # misread at the entry: a temporary car
    session = Session.objects.get(plate="粤BD12346")
    services.session_plate_correct(session=session, plate=PLATE, reason="误识别", by=security_a)
    session.refresh_from_db()
    visitor_pass.refresh_from_db()
    assert session.kind == "visitor" and session.visitor_pass_id == visitor_pass.pk
    assert visitor_pass.entries_used == 1
    assert session.reasons[0]["code"] == decisions.TEMPORARY
