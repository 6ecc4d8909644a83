"""Every residents write records who did it: occupancy and announcement changes remember the
last person who changed them; a system actor ("system:<job>") is accepted and leaves no user."""

from __future__ import annotations

import pytest

from community.residents.models import Announcement, Occupancy
from community.residents.services import announcement_create, announcement_update, occupancy_update

pytestmark = pytest.mark.django_db


def test_changing_an_occupancy_in_the_admin_records_who_changed_it(household_a, manager_a, client_for):
    user, unit = household_a
    tie = Occupancy.objects.get(unit=unit, resident__user=user)
    response = client_for(manager_a).post(
        f"/admin/residents/occupancy/{tie.pk}/change/",
        {"role": "co_owner", "start_date": tie.start_date.isoformat(), "is_primary_contact": "on"},
    )
    assert response.status_code == 302
    tie.refresh_from_db()
    assert (tie.role, tie.updated_by) == ("co_owner", manager_a)
    page = client_for(manager_a).get(f"/admin/residents/occupancy/{tie.pk}/change/").content.decode()
    assert 'name="updated_by"' not in page  # shown, never edited


def test_changing_an_announcement_records_who_changed_it(estate_a, manager_a, superuser):
    notice = announcement_create(estate=estate_a, title="停水通知", body="周六停水", by=manager_a)
    assert (notice.created_by, notice.updated_by) == (manager_a, None)
    announcement_update(announcement=notice, by=superuser, title="停水通知（更正）")
    notice.refresh_from_db()
    assert (notice.title, notice.updated_by) == ("停水通知（更正）", superuser)


def test_a_system_actor_is_accepted_and_leaves_no_user(estate_a, household_a):
    notice = announcement_create(estate=estate_a, title="自动通知", body="系统生成", by="system:test")
    assert Announcement.objects.get(pk=notice.pk).created_by is None
    user, unit = household_a
    tie = Occupancy.objects.get(unit=unit, resident__user=user)
    occupancy_update(
        occupancy=tie, by="system:test", role=tie.role, start_date=tie.start_date, is_primary_contact=True
    )
    assert Occupancy.objects.get(pk=tie.pk).updated_by is None
