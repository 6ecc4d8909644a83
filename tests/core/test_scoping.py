"""The scoping helpers every app uses: staff by estate, residents by household."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ImproperlyConfigured

from community.accounts.models import User
from community.accounts.roles import StaffRole
from community.residents.models import Announcement, Building, Estate, Occupancy, Resident, Unit
from community.residents.services import occupancy_end, staff_membership_create
from community.scoping import (
    my_estate_ids,
    my_households_q,
    my_units,
    staff_can_access_estate,
    staff_estate_ids,
    staff_scope,
    staff_scope_users,
)
from tests.factories import AnnouncementFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


class TestStaffScope:
    def test_manager_sees_own_estate_rows_at_every_depth(self, manager_a, household_a, household_b):
        for model in (Building, Unit, Resident, Occupancy):
            rows = staff_scope(model.objects.all(), manager_a)
            assert rows.exists()
            assert not rows.filter(**{f"{model.estate_path}__code": "green-lake"}).exists(), model

    def test_staff_of_two_estates_sees_both(self, manager_a, estate_b, household_a, household_b):
        staff_membership_create(by=None, user=manager_a, estate=estate_b, role=StaffRole.SECURITY)
        manager_a = User.objects.get(pk=manager_a.pk)  # a fresh request: the estate cache is per object
        assert staff_scope(Unit.objects.all(), manager_a).count() == 2

    def test_role_filter_narrows_to_estates_held_in_that_role(self, manager_a, estate_b):
        staff_membership_create(by=None, user=manager_a, estate=estate_b, role=StaffRole.TECHNICIAN)
        assert staff_estate_ids(manager_a, roles=("manager",)) == {
            manager_a.staff_memberships.get(role="manager").estate_id
        }
        assert len(staff_estate_ids(User.objects.get(pk=manager_a.pk))) == 2

    def test_superuser_sees_all_and_nobody_sees_nothing(self, superuser, household_a, household_b):
        assert staff_scope(Unit.objects.all(), superuser).count() == 2
        assert staff_scope(Unit.objects.all(), UserFactory(is_staff=True)).count() == 0

    def test_inactive_staff_sees_nothing(self, manager_a, household_a):
        manager_a.is_active = False
        assert staff_scope(Unit.objects.all(), manager_a).count() == 0

    def test_can_access_estate(self, manager_a, estate_a, estate_b, superuser):
        assert staff_can_access_estate(manager_a, estate_a.pk)
        assert not staff_can_access_estate(manager_a, estate_b.pk)
        assert staff_can_access_estate(superuser, estate_b.pk)

    def test_a_model_without_estate_path_is_an_error_not_a_leak(self, manager_a):
        from django.contrib.auth.models import Group

        with pytest.raises(ImproperlyConfigured, match="estate_path"):
            staff_scope(Group.objects.all(), manager_a)

    def test_announcements_scoped(self, manager_a, estate_a, estate_b):
        AnnouncementFactory(estate=estate_a)
        AnnouncementFactory(estate=estate_b)
        assert list(staff_scope(Announcement.objects.all(), manager_a).values_list("estate", flat=True)) == [
            estate_a.pk
        ]


class TestStaffScopeUsers:
    def test_accounts_tied_to_my_estates(self, manager_a, manager_b, household_a, household_b):
        visible = set(staff_scope_users(User.objects.all(), manager_a))
        assert {household_a[0], manager_a} <= visible
        assert household_b[0] not in visible and manager_b not in visible

    def test_untied_accounts_only_for_managers(self, estate_a, manager_a):
        newcomer = UserFactory()
        root = UserFactory(is_superuser=True)
        security = StaffFactory(estate=estate_a, role=StaffRole.SECURITY)
        assert newcomer in staff_scope_users(User.objects.all(), manager_a)
        assert root not in staff_scope_users(User.objects.all(), manager_a)
        assert newcomer not in staff_scope_users(User.objects.all(), security)


class TestResidentScope:
    def test_my_units_are_my_households_only(self, household_a, household_b):
        user_a, unit_a = household_a
        assert list(my_units(user_a)) == [unit_a]
        assert set(Unit.objects.filter(my_households_q(user_a))) == {unit_a}

    def test_household_ends_with_the_occupancy(self, household_a):
        user_a, _unit_a = household_a
        occupancy = Occupancy.objects.get(resident__user=user_a)
        occupancy_end(occupancy=occupancy, by=None, end_date=dt.date.today() - dt.timedelta(days=1))
        assert not my_units(user_a).exists()

    def test_future_occupancy_is_not_yet_a_household(self, estate_a, household_a):
        user_a, _unit_a = household_a
        occupancy = Occupancy.objects.get(resident__user=user_a)
        occupancy.start_date = dt.date.today() + dt.timedelta(days=10)
        occupancy.save()
        assert not my_units(user_a).exists()

    def test_estate_ids_and_anonymous(self, household_a, household_b, estate_a):
        from django.contrib.auth.models import AnonymousUser

        assert set(Estate.objects.filter(pk__in=my_estate_ids(household_a[0]))) == {estate_a}
        assert not my_units(AnonymousUser()).exists()

    def test_households_via_a_path(self, household_a, household_b):
        user_a, unit_a = household_a
        rows = Occupancy.objects.filter(my_households_q(user_a, unit_path="unit"))
        assert {o.unit_id for o in rows} == {unit_a.pk}
