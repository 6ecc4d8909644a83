"""What property staff do in the residents admin, and that it goes through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from community.accounts.models import Invitation
from community.accounts.roles import StaffRole, group_name
from community.residents.models import Estate, Occupancy, Resident, StaffMembership
from community.residents.services import occupancy_ended
from tests.factories import ResidentFactory, StaffFactory, UnitFactory, UserFactory
from tests.residents.admin_forms import form_data, inline_prefix

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_english")]


def _url(model: str, view: str, *args) -> str:
    return reverse(f"admin:residents_{model}_{view}", args=args)


@pytest.fixture
def heard_move_outs():
    heard = []

    def receiver(sender, occupancy, **kwargs):
        heard.append(occupancy.pk)

    occupancy_ended.connect(receiver)
    yield heard
    occupancy_ended.disconnect(receiver)


class TestOccupancies:
    def test_end_action_moves_the_resident_out(self, client_for, manager_a, household_a, heard_move_outs):
        _, unit = household_a
        primary = Occupancy.objects.get(unit=unit, is_primary_contact=True)
        response = client_for(manager_a).post(
            _url("occupancy", "changelist"),
            {"action": "end_occupancies", "_selected_action": [str(primary.pk)]},
            follow=True,
        )
        assert response.status_code == 200
        primary.refresh_from_db()
        assert primary.end_date == timezone.localdate() and not primary.is_primary_contact
        assert heard_move_outs == [primary.pk]
        assert "Ended 1 occupancy" in response.content.decode()

    def test_adding_a_primary_contact_takes_the_flag_from_the_current_one(
        self, client_for, manager_a, household_a, estate_a
    ):
        _, unit = household_a
        tenant = ResidentFactory(estate=estate_a, name="新租户")
        response = client_for(manager_a).post(
            _url("occupancy", "add"),
            {
                "resident": tenant.pk,
                "unit": unit.pk,
                "role": "tenant",
                "start_date": "2025-03-01",
                "is_primary_contact": "on",
            },
        )
        assert response.status_code == 302, [
            (f.prefix, f.errors, f.non_form_errors())
            for f in (i.formset for i in response.context["inline_admin_formsets"])
        ]
        assert Occupancy.objects.get(unit=unit, is_primary_contact=True).resident == tenant

    def test_occupancies_cannot_be_deleted_by_staff(self, client_for, manager_a, household_a):
        _, unit = household_a
        occupancy = Occupancy.objects.filter(unit=unit).first()
        response = client_for(manager_a).post(_url("occupancy", "delete", occupancy.pk), {"post": "yes"})
        assert response.status_code == 403
        assert Occupancy.objects.filter(pk=occupancy.pk).exists()

    def test_resident_page_starts_an_occupancy_in_the_inline(
        self, client_for, manager_a, household_a, estate_a
    ):
        _, unit = household_a
        newcomer = ResidentFactory(estate=estate_a, name="新家属")
        client = client_for(manager_a)
        page = client.get(_url("resident", "change", newcomer.pk))
        data = form_data(page)
        prefix = inline_prefix(page, editable=True)
        data.update(
            {
                f"{prefix}-0-unit": unit.pk,
                f"{prefix}-0-role": "family",
                f"{prefix}-0-start_date": "2025-01-01",
            }
        )
        response = client.post(_url("resident", "change", newcomer.pk), data)
        assert response.status_code == 302
        occupancy = Occupancy.objects.get(resident=newcomer)
        assert occupancy.unit == unit and occupancy.role == "family"

    def test_unit_built_up_area_is_listed_shown_and_saved(self, client_for, manager_a, household_a):
        """Billing charges the built-up-area basis by ``Unit.built_up_area`` (建筑面积): staff
        see it beside the exclusive area and can enter it."""
        _, unit = household_a
        client = client_for(manager_a)
        page = client.get(reverse("admin:residents_unit_change", args=[unit.pk]))
        assert 'name="built_up_area"' in page.content.decode()
        data = form_data(page)
        # The add-an-occupant inline's blank row is left blank, as a browser would send it.
        blank = f"{inline_prefix(page, editable=True)}-0-"
        data = {k: v for k, v in data.items() if not k.startswith(blank)}
        data["built_up_area"] = "112.35"
        response = client.post(reverse("admin:residents_unit_change", args=[unit.pk]), data)
        assert response.status_code == 302, [
            (f.prefix, f.errors, f.non_form_errors())
            for f in (i.formset for i in response.context["inline_admin_formsets"])
        ]
        unit.refresh_from_db()
        assert unit.built_up_area == Decimal("112.35")
        listing = client.get(reverse("admin:residents_unit_changelist")).content.decode()
        assert "column-built_up_area" in listing and "112.35" in listing

    def test_unit_page_lists_its_occupants(self, client_for, manager_a, household_a):
        _, unit = household_a
        page = client_for(manager_a).get(reverse("admin:residents_unit_change", args=[unit.pk]))
        content = page.content.decode()
        for occupancy in Occupancy.objects.filter(unit=unit).select_related("resident"):
            assert occupancy.resident.name in content


class TestResidents:
    def test_list_masks_phone_and_id_number(self, client_for, manager_a, household_a):
        owner = Resident.objects.get(user=household_a[0])
        owner.id_number = "420300198001011234"
        owner.save()
        content = client_for(manager_a).get(_url("resident", "changelist")).content.decode()
        assert "138****0101" in content and "420***********1234" in content
        assert "13800000101" not in content and "420300198001011234" not in content

    def test_search_by_full_phone_finds_the_resident(self, client_for, manager_a, household_a):
        response = client_for(manager_a).get(_url("resident", "changelist") + "?q=13800000101")
        assert [r.name for r in response.context["cl"].result_list] == ["owner_a-业主"]

    def test_manager_sees_and_edits_the_full_values_on_the_form(self, client_for, manager_a, household_a):
        owner = Resident.objects.get(user=household_a[0])
        page = client_for(manager_a).get(_url("resident", "change", owner.pk))
        assert "13800000101" in page.content.decode()
        assert "phone" in page.context["adminform"].form.fields

    def test_staff_cannot_link_a_login_account_by_hand(self, client_for, manager_a, estate_a):
        resident = ResidentFactory(estate=estate_a)
        stranger = UserFactory()
        client = client_for(manager_a)
        data = form_data(client.get(_url("resident", "change", resident.pk)))
        data["user"] = stranger.pk
        client.post(_url("resident", "change", resident.pk), data)
        resident.refresh_from_db()
        assert resident.user is None

    def test_invite_action_invites_residents_with_a_phone_only(self, client_for, manager_a, estate_a):
        with_phone = ResidentFactory(estate=estate_a, phone="+8613912345678")
        without_phone = ResidentFactory(estate=estate_a, phone="", name="无电话")
        response = client_for(manager_a).post(
            _url("resident", "changelist"),
            {"action": "invite_to_portal", "_selected_action": [str(with_phone.pk), str(without_phone.pk)]},
            follow=True,
        )
        assert Invitation.objects.filter(resident=with_phone).count() == 1
        assert not Invitation.objects.filter(resident=without_phone).exists()
        content = response.content.decode()
        assert "Sent 1 invitation" in content and "无电话" in content

    def test_technician_has_no_invite_action(self, client_for, estate_a):
        technician = StaffFactory(estate=estate_a, role=StaffRole.TECHNICIAN)
        resident = ResidentFactory(estate=estate_a)
        client_for(technician).post(
            _url("resident", "changelist"),
            {"action": "invite_to_portal", "_selected_action": [str(resident.pk)]},
        )
        assert not Invitation.objects.exists()

    @pytest.mark.parametrize("tie_state", ["open", "move_out_scheduled", "not_moved_in_yet"])
    def test_deleting_a_resident_moves_them_out_first(
        self, client_for, manager_a, household_a, heard_move_outs, tie_state
    ):
        """Move-out reactions (credentials, visitor passes) happen before the record goes: for an
        open tie; for one whose move-out is only scheduled (it goes with the record, so the daily
        run would never see it); and for one that has not begun (an end before its start would
        be refused)."""
        import datetime as dt

        from django.utils import timezone

        from community.residents import services

        family = Resident.objects.get(name="owner_a-家属")
        tie = Occupancy.objects.get(resident=family)
        today = timezone.localdate()
        if tie_state == "move_out_scheduled":
            services.occupancy_end(occupancy=tie, end_date=today + dt.timedelta(days=10), by=None)
            assert heard_move_outs == []  # only scheduled: the tie stays active until then
        elif tie_state == "not_moved_in_yet":
            Occupancy.objects.filter(pk=tie.pk).update(start_date=today + dt.timedelta(days=30))
        response = client_for(manager_a).post(_url("resident", "delete", family.pk), {"post": "yes"})
        assert response.status_code == 302
        assert not Resident.objects.filter(pk=family.pk).exists()
        assert heard_move_outs == [tie.pk]


class TestStaffMemberships:
    def test_manager_gives_a_role_and_the_group_follows(self, client_for, manager_a, estate_a):
        newcomer = UserFactory(is_staff=False)
        response = client_for(manager_a).post(
            _url("staffmembership", "add"),
            {"user": newcomer.pk, "estate": estate_a.pk, "role": StaffRole.TECHNICIAN},
        )
        assert response.status_code == 302, [
            (f.prefix, f.errors, f.non_form_errors())
            for f in (i.formset for i in response.context["inline_admin_formsets"])
        ]
        newcomer.refresh_from_db()
        assert newcomer.is_staff
        assert newcomer.groups.filter(name=group_name(StaffRole.TECHNICIAN)).exists()

    def test_removing_the_role_removes_the_group(self, client_for, manager_a, estate_a):
        technician = StaffFactory(estate=estate_a, role=StaffRole.TECHNICIAN)
        membership = StaffMembership.objects.get(user=technician)
        response = client_for(manager_a).post(
            _url("staffmembership", "delete", membership.pk), {"post": "yes"}
        )
        assert response.status_code == 302
        assert not technician.groups.exists()

    def test_bulk_delete_goes_through_the_service_too(self, client_for, manager_a, estate_a):
        technician = StaffFactory(estate=estate_a, role=StaffRole.TECHNICIAN)
        membership = StaffMembership.objects.get(user=technician)
        client_for(manager_a).post(
            _url("staffmembership", "changelist"),
            {"action": "delete_selected", "_selected_action": [str(membership.pk)], "post": "yes"},
        )
        assert not StaffMembership.objects.filter(pk=membership.pk).exists()
        assert not technician.groups.exists()

    def test_a_manager_in_a_and_technician_in_b_cannot_remove_b_staff(
        self, client_for, manager_a, estate_a, estate_b, manager_b
    ):
        from community.residents.services import staff_membership_create

        staff_membership_create(by=None, user=manager_a, estate=estate_b, role=StaffRole.TECHNICIAN)
        membership_b = StaffMembership.objects.get(user=manager_b)
        client = client_for(manager_a)
        response = client.post(_url("staffmembership", "delete", membership_b.pk), {"post": "yes"})
        assert response.status_code == 403
        client.post(
            _url("staffmembership", "changelist"),
            {"action": "delete_selected", "_selected_action": [str(membership_b.pk)], "post": "yes"},
        )
        assert StaffMembership.objects.filter(pk=membership_b.pk).exists()

    def test_memberships_are_not_edited_in_place(self, client_for, manager_a, estate_a):
        technician = StaffFactory(estate=estate_a, role=StaffRole.TECHNICIAN)
        membership = StaffMembership.objects.get(user=technician)
        client_for(manager_a).post(
            _url("staffmembership", "change", membership.pk),
            {"user": technician.pk, "estate": estate_a.pk, "role": StaffRole.MANAGER},
        )
        membership.refresh_from_db()
        assert membership.role == StaffRole.TECHNICIAN


class TestEstates:
    def test_manager_edits_own_estate_but_cannot_add_or_delete(self, client_for, manager_a, estate_a):
        client = client_for(manager_a)
        assert client.get(_url("estate", "add")).status_code == 403
        data = form_data(client.get(_url("estate", "change", estate_a.pk)))
        data["address"] = "湖北省十堰市张湾区"
        assert client.post(_url("estate", "change", estate_a.pk), data).status_code == 302
        estate_a.refresh_from_db()
        assert estate_a.address == "湖北省十堰市张湾区"
        client.post(_url("estate", "delete", estate_a.pk), {"post": "yes"})
        assert Estate.objects.filter(pk=estate_a.pk).exists()

    def test_superuser_adds_an_estate(self, client_for, superuser):
        response = client_for(superuser).post(
            _url("estate", "add"), {"name": "清泉小区", "code": "clear-spring", "time_zone": "Asia/Shanghai"}
        )
        assert response.status_code == 302
        assert Estate.objects.filter(code="clear-spring").exists()


def test_role_groups_carry_the_declared_permissions(db):
    """Groups are synced after migrate with the residents permissions (they exist by then)."""
    manager = Group.objects.get(name=group_name(StaffRole.MANAGER))
    technician = Group.objects.get(name=group_name(StaffRole.TECHNICIAN))
    assert manager.permissions.filter(codename="change_resident").exists()
    assert technician.permissions.filter(codename="view_resident").exists()
    assert not technician.permissions.filter(codename="change_resident").exists()


def test_announcement_records_its_author(client_for, manager_a, estate_a):
    response = client_for(manager_a).post(
        _url("announcement", "add"),
        {
            "estate": estate_a.pk,
            "title": "电梯检修",
            "body": "周三上午 3 栋电梯检修。",
            "publish_at_0": "2025-01-01",
            "publish_at_1": "08:00:00",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    from community.residents.models import Announcement

    assert Announcement.objects.get(title="电梯检修").created_by == manager_a


def test_unit_occupancy_dates_validate(client_for, manager_a, estate_a, household_a):
    unit = UnitFactory(building=household_a[1].building)
    resident = ResidentFactory(estate=estate_a)
    occupancy = Occupancy.objects.create(
        resident=resident, unit=unit, role="tenant", start_date=dt.date(2024, 1, 1)
    )
    response = client_for(manager_a).post(
        _url("occupancy", "change", occupancy.pk), {"role": "owner", "start_date": "2024-02-01"}
    )
    assert response.status_code == 302
    occupancy.refresh_from_db()
    assert occupancy.role == "owner" and occupancy.start_date == dt.date(2024, 2, 1)
