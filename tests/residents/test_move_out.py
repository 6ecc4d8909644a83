"""Move-out: gone on the end date. What it revokes (cards, visitor passes), when (today, or on a
scheduled future day), and what it must not revoke (a home the person still has)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.utils import timezone

from access.models import Credential, VisitorPass
from access.services import credential_issue, visitor_pass_create
from community.residents.models import Occupancy
from community.residents.services import occupancies_end_due, occupancy_end
from community.residents.tasks import SYSTEM_END_DUE
from tests.factories import OccupancyFactory, UnitFactory, UserFactory, VisitorPassFactory

pytestmark = pytest.mark.django_db


def _owner_tie(user, unit) -> Occupancy:
    return Occupancy.objects.get(unit=unit, resident__user=user)


def test_owner_of_101_renting_102_keeps_the_card_when_leaving_101(household_a, manager_a):
    user, home = household_a
    resident = user.resident_records.get()
    rented = UnitFactory(building=home.building)
    OccupancyFactory(
        unit=rented, resident=resident, role="tenant", end_date=timezone.localdate() + dt.timedelta(days=200)
    )
    card = credential_issue(resident=resident, kind="card", value="55667788", by="system:test")
    occupancy_end(occupancy=_owner_tie(user, home), by=manager_a)
    card.refresh_from_db()
    assert card.revoked_at is None  # still lives in 102, on a lease with an end date


def test_move_out_revokes_the_leavers_passes_then_all_when_nobody_is_left(household_a, manager_a):
    user, unit = household_a
    family_user = UserFactory(username="family_a")
    family_tie = Occupancy.objects.get(unit=unit, role="family")
    family_tie.resident.user = family_user
    family_tie.resident.save(update_fields=["user"])
    mine = VisitorPassFactory(unit=unit, created_by=user, max_entries=50)
    theirs = VisitorPassFactory(unit=unit, created_by=family_user)

    occupancy_end(occupancy=_owner_tie(user, unit), by=manager_a)
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.revoked_at is not None
    assert theirs.revoked_at is None  # the family still lives there

    # On move-out day the leaver has no home here: no new pass for it.
    with pytest.raises(PermissionDenied):
        visitor_pass_create(
            by=user,
            unit=unit,
            visitor_name="朋友",
            valid_from=timezone.now(),
            valid_until=timezone.now() + dt.timedelta(days=30),
            max_entries=50,
        )

    occupancy_end(occupancy=family_tie, by=manager_a)
    theirs.refresh_from_db()
    assert theirs.revoked_at is not None


def test_a_future_end_date_is_carried_out_on_that_day(household_a, manager_a, capsys):
    user, unit = household_a
    resident = user.resident_records.get()
    card = credential_issue(resident=resident, kind="card", value="99887766", by="system:test")
    pass_ = VisitorPassFactory(unit=unit, created_by=user)
    today = timezone.localdate()
    leaving = today + dt.timedelta(days=10)

    tie = occupancy_end(occupancy=_owner_tie(user, unit), by=manager_a, end_date=leaving)
    assert tie.is_current(today) and tie.ended_by == manager_a and tie.move_out_done_at is None
    assert occupancies_end_due(by=SYSTEM_END_DUE, on=today) == 0
    card.refresh_from_db()
    assert card.revoked_at is None

    assert occupancies_end_due(by=SYSTEM_END_DUE, on=leaving) == 1
    assert occupancies_end_due(by=SYSTEM_END_DUE, on=leaving) == 0  # once
    card.refresh_from_db()
    pass_.refresh_from_db()
    assert card.revoked_at is not None and pass_.revoked_at is not None
    assert not Occupancy.objects.get(pk=tie.pk).is_current(leaving)

    call_command("occupancies_end_due")
    assert "processed 0" in capsys.readouterr().out


def test_credentials_of_other_people_stay(household_a, manager_a):
    user, unit = household_a
    family = Occupancy.objects.get(unit=unit, role="family").resident
    their_card = credential_issue(resident=family, kind="card", value="12121212", by="system:test")
    occupancy_end(occupancy=_owner_tie(user, unit), by=manager_a)
    assert Credential.objects.get(pk=their_card.pk).revoked_at is None
    assert VisitorPass.objects.count() == 0
