"""Estate scoping in the residents admin, tried from both sides of the line.

A manager of estate A must not list, open, change, delete, export or pick anything of estate B;
a superuser sees everything; a staff member without a membership sees nothing, even with the
permissions of a role.
"""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from community.accounts.roles import StaffRole, group_name
from community.residents.models import (
    Announcement,
    Building,
    Estate,
    Occupancy,
    Resident,
    StaffMembership,
    Unit,
)
from tests.factories import AnnouncementFactory, StaffFactory, UserFactory
from tests.residents.admin_forms import form_data, inline_prefix

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_english")]


MODELS = ["estate", "building", "unit", "resident", "occupancy", "staffmembership", "announcement"]
EXPORTABLE = {"building": "buildingresource", "unit": "unitresource", "resident": "residentresource"}


@pytest.fixture
def world(estate_a, estate_b, household_a, household_b, manager_a, manager_b):
    """One object of each model on each side; returns {model: (object in A, object in B)}."""
    _, unit_a = household_a
    _, unit_b = household_b
    return {
        "estate": (estate_a, estate_b),
        "building": (unit_a.building, unit_b.building),
        "unit": (unit_a, unit_b),
        "resident": (
            Resident.objects.filter(estate=estate_a).first(),
            Resident.objects.filter(estate=estate_b).first(),
        ),
        "occupancy": (
            Occupancy.objects.filter(unit=unit_a).first(),
            Occupancy.objects.filter(unit=unit_b).first(),
        ),
        "staffmembership": (
            StaffMembership.objects.get(user=manager_a),
            StaffMembership.objects.get(user=manager_b),
        ),
        "announcement": (
            AnnouncementFactory(estate=estate_a, title="A 停水通知"),
            AnnouncementFactory(estate=estate_b, title="B 停电通知"),
        ),
    }


def _url(model: str, view: str, *args) -> str:
    return reverse(f"admin:residents_{model}_{view}", args=args)


def _listed(client, model: str, query: str = "") -> set[int]:
    response = client.get(_url(model, "changelist") + query)
    assert response.status_code == 200
    return {obj.pk for obj in response.context["cl"].result_list}


def _still_there(obj) -> bool:
    return type(obj).objects.filter(pk=obj.pk).exists()


@pytest.mark.parametrize("model", MODELS)
class TestManagerOfAnotherEstate:
    def test_list_shows_only_my_estate(self, client_for, manager_a, world, model):
        mine, theirs = world[model]
        listed = _listed(client_for(manager_a), model)
        assert mine.pk in listed and theirs.pk not in listed

    def test_cannot_open_change_page_or_history(self, client_for, manager_a, world, model):
        _, theirs = world[model]
        client = client_for(manager_a)
        for view in ("change", "history"):
            response = client.get(_url(model, view, theirs.pk))
            assert response.status_code in (302, 404), view
            assert str(theirs) not in response.content.decode()

    def test_cannot_change_by_post(self, client_for, manager_a, world, model):
        _, theirs = world[model]
        before = {f.attname: getattr(theirs, f.attname) for f in type(theirs)._meta.concrete_fields}
        response = client_for(manager_a).post(
            _url(model, "change", theirs.pk), {"name": "改掉", "title": "改掉", "role": "tenant"}
        )
        assert response.status_code in (302, 403, 404)
        theirs.refresh_from_db()
        assert {f.attname: getattr(theirs, f.attname) for f in type(theirs)._meta.concrete_fields} == before

    def test_cannot_delete(self, client_for, manager_a, world, model):
        _, theirs = world[model]
        client = client_for(manager_a)
        response = client.post(_url(model, "delete", theirs.pk), {"post": "yes"})
        assert response.status_code in (302, 403, 404)
        client.post(
            _url(model, "changelist"),
            {"action": "delete_selected", "_selected_action": [str(theirs.pk)], "post": "yes"},
        )
        assert _still_there(theirs)

    def test_search_does_not_reach_the_other_estate(self, client_for, manager_a, world, model):
        _, theirs = world[model]
        term = {"estate": theirs.name if model == "estate" else "", "announcement": "停电"}.get(model, "")
        listed = _listed(client_for(manager_a), model, f"?q={term}")
        assert theirs.pk not in listed


@pytest.mark.parametrize("model", sorted(EXPORTABLE))
def test_export_contains_only_my_estate(client_for, manager_a, world, model):
    mine, theirs = world[model]
    client = client_for(manager_a)
    fields = {f"{EXPORTABLE[model]}_{name}": "on" for name in ("estate", "name", "building", "number")}
    response = client.post(_url(model, "export"), {"format": "1", "resource": "0", **fields})
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    label = {"building": "name", "unit": "number", "resident": "name"}[model]
    assert getattr(mine, label) in text
    assert world["estate"][1].name not in text
    assert getattr(theirs, label) not in text


def test_export_of_selected_ids_refuses_the_other_estates_ids(client_for, manager_a, world):
    mine, theirs = world["unit"]
    client = client_for(manager_a)
    fields = {"unitresource_number": "on", "unitresource_building": "on"}
    response = client.post(
        _url("unit", "export"),
        {"format": "1", "resource": "0", "export_items": [str(mine.pk), str(theirs.pk)], **fields},
    )
    assert response["Content-Type"].startswith("text/html")  # the form again, no file
    response = client.post(
        _url("unit", "export"), {"format": "1", "resource": "0", "export_items": [str(mine.pk)], **fields}
    )
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode("utf-8-sig").splitlines()[1:] == [f"{mine.building.name},{mine.number}"]


@pytest.mark.parametrize("model", MODELS)
def test_superuser_sees_both_estates(client_for, superuser, world, model):
    mine, theirs = world[model]
    assert {mine.pk, theirs.pk} <= _listed(client_for(superuser), model)


@pytest.mark.parametrize("model", MODELS)
def test_staff_without_membership_sees_nothing(client_for, world, model):
    drifter = UserFactory(is_staff=True)
    drifter.groups.add(Group.objects.get(name=group_name(StaffRole.MANAGER)))
    assert _listed(client_for(drifter), model) == set()


class TestForeignKeyChoices:
    def test_autocomplete_lists_only_my_units(self, client_for, manager_a, world):
        mine, theirs = world["unit"]
        response = client_for(manager_a).get(
            "/admin/autocomplete/",
            {"app_label": "residents", "model_name": "occupancy", "field_name": "unit", "term": ""},
        )
        assert response.status_code == 200
        ids = {int(r["id"]) for r in json.loads(response.content)["results"]}
        assert mine.pk in ids and theirs.pk not in ids

    def test_autocomplete_of_residents_and_estates_is_scoped(self, client_for, manager_a, world):
        client = client_for(manager_a)
        for model_name, field_name, key in (
            ("occupancy", "resident", "resident"),
            ("building", "estate", "estate"),
        ):
            response = client.get(
                "/admin/autocomplete/",
                {"app_label": "residents", "model_name": model_name, "field_name": field_name, "term": ""},
            )
            ids = {int(r["id"]) for r in json.loads(response.content)["results"]}
            assert world[key][0].pk in ids and world[key][1].pk not in ids

    def test_posting_another_estates_unit_id_is_a_form_error(self, client_for, manager_a, world):
        resident_a, _ = world["resident"]
        _, unit_b = world["unit"]
        response = client_for(manager_a).post(
            _url("occupancy", "add"),
            {"resident": resident_a.pk, "unit": unit_b.pk, "role": "owner", "start_date": "2024-01-01"},
        )
        assert response.status_code == 200
        assert "unit" in response.context["adminform"].form.errors
        assert not Occupancy.objects.filter(unit=unit_b, resident=resident_a).exists()

    def test_posting_another_estates_unit_in_the_resident_inline_is_a_form_error(
        self, client_for, manager_a, world
    ):
        resident_a, _ = world["resident"]
        _, unit_b = world["unit"]
        client = client_for(manager_a)
        page = client.get(_url("resident", "change", resident_a.pk))
        data = form_data(page)
        prefix = inline_prefix(page, editable=True)
        data.update(
            {
                f"{prefix}-0-unit": unit_b.pk,
                f"{prefix}-0-role": "owner",
                f"{prefix}-0-start_date": "2024-01-01",
            }
        )
        response = client.post(_url("resident", "change", resident_a.pk), data)
        assert response.status_code == 200
        assert any("unit" in f.errors for f in response.context["inline_admin_formsets"][1].formset.forms)
        assert not Occupancy.objects.filter(unit=unit_b).exclude(resident__estate=world["estate"][1]).exists()

    def test_a_building_cannot_be_moved_into_another_estate(self, client_for, manager_a, world):
        building_a, _ = world["building"]
        response = client_for(manager_a).post(
            _url("building", "change", building_a.pk),
            {"estate": world["estate"][1].pk, "name": building_a.name},
        )
        assert response.status_code == 200
        assert "estate" in response.context["adminform"].form.errors
        building_a.refresh_from_db()
        assert building_a.estate == world["estate"][0]

    def test_a_manager_cannot_grant_a_role_in_another_estate(self, client_for, manager_a, world):
        newcomer = UserFactory()
        response = client_for(manager_a).post(
            _url("staffmembership", "add"),
            {"user": newcomer.pk, "estate": world["estate"][1].pk, "role": StaffRole.MANAGER},
        )
        assert response.status_code == 200
        assert not StaffMembership.objects.filter(user=newcomer).exists()

    def test_no_estate_admin_for_staff_to_add(self, client_for, manager_a, world):
        response = client_for(manager_a).post(
            _url("estate", "add"), {"name": "新小区", "code": "new-one", "time_zone": "Asia/Shanghai"}
        )
        assert response.status_code == 403
        assert not Estate.objects.filter(code="new-one").exists()


class TestRolePermissions:
    def test_technician_views_residents_but_cannot_change_them(self, client_for, estate_a, world):
        technician = StaffFactory(estate=estate_a, role=StaffRole.TECHNICIAN)
        resident_a, _ = world["resident"]
        client = client_for(technician)
        assert resident_a.pk in _listed(client, "resident")
        page = client.get(_url("resident", "change", resident_a.pk))
        assert page.status_code == 200
        # View-only: no form to save, and the phone and ID number stay masked.
        assert page.context["has_change_permission"] is False
        content = page.content.decode()
        assert str(resident_a.phone).removeprefix("+86") not in content
        assert resident_a.masked_phone in content
        response = client.post(_url("resident", "change", resident_a.pk), {"name": "改掉"})
        assert response.status_code == 403
        resident_a.refresh_from_db()
        assert resident_a.name != "改掉"

    def test_technician_cannot_add_buildings_or_see_staff(self, client_for, estate_a, world):
        technician = StaffFactory(estate=estate_a, role=StaffRole.TECHNICIAN)
        client = client_for(technician)
        assert client.get(_url("building", "add")).status_code == 403
        assert client.get(_url("staffmembership", "changelist")).status_code == 403
        assert client.get(_url("announcement", "changelist")).status_code == 403

    def test_front_desk_cannot_manage_staff_or_delete_units(self, client_for, estate_a, world):
        front_desk = StaffFactory(estate=estate_a, role=StaffRole.FRONT_DESK)
        unit_a, _ = world["unit"]
        client = client_for(front_desk)
        assert client.get(_url("staffmembership", "add")).status_code == 403
        client.post(_url("unit", "delete", unit_a.pk), {"post": "yes"})
        assert Unit.objects.filter(pk=unit_a.pk).exists()


def test_models_left_untouched_by_the_whole_attack(client_for, manager_a, world):
    """A summary check: after every attempt above in one session, estate B is as it was."""
    counts = {
        m: m.objects.count()
        for m in (Estate, Building, Unit, Resident, Occupancy, StaffMembership, Announcement)
    }
    client = client_for(manager_a)
    for model in MODELS:
        _, theirs = world[model]
        client.post(_url(model, "delete", theirs.pk), {"post": "yes"})
        client.post(_url(model, "change", theirs.pk), {"name": "x"})
    assert counts == {m: m.objects.count() for m in counts}
    assert Occupancy.objects.filter(unit=world["unit"][1], end_date__isnull=True).count() == 2


class TestRolesArePerEstate:
    """Manager in A and technician in B: B's rows are visible but read-only."""

    @pytest.fixture
    def two_hats(self, manager_a, estate_b, world):
        from community.residents.services import staff_membership_create

        staff_membership_create(by=None, user=manager_a, estate=estate_b, role=StaffRole.TECHNICIAN)
        return manager_a

    def test_sees_b_residents_but_cannot_change_them(self, client_for, two_hats, world):
        _, resident_b = world["resident"]
        client = client_for(two_hats)
        assert resident_b.pk in _listed(client, "resident")
        page = client.get(_url("resident", "change", resident_b.pk))
        assert page.status_code == 200 and page.context["has_change_permission"] is False
        assert client.post(_url("resident", "change", resident_b.pk), {"name": "改掉"}).status_code == 403
        resident_b.refresh_from_db()
        assert resident_b.name != "改掉"

    def test_cannot_delete_b_rows_one_by_one_or_in_bulk(self, client_for, two_hats, world):
        _, unit_b = world["unit"]
        client = client_for(two_hats)
        assert client.post(_url("unit", "delete", unit_b.pk), {"post": "yes"}).status_code == 403
        client.post(
            _url("building", "changelist"),
            {"action": "delete_selected", "_selected_action": [str(unit_b.building_id)], "post": "yes"},
        )
        assert Building.objects.filter(pk=unit_b.building_id).exists()

    def test_actions_skip_b_rows(self, client_for, two_hats, world):
        _, occupancy_b = world["occupancy"]
        client_for(two_hats).post(
            _url("occupancy", "changelist"),
            {"action": "end_occupancies", "_selected_action": [str(occupancy_b.pk)]},
        )
        occupancy_b.refresh_from_db()
        assert occupancy_b.end_date is None

    def test_b_units_are_not_choices_when_adding(self, client_for, two_hats, world):
        _, resident_b = world["resident"]
        _, unit_b = world["unit"]
        response = client_for(two_hats).post(
            _url("occupancy", "add"),
            {"resident": resident_b.pk, "unit": unit_b.pk, "role": "tenant", "start_date": "2024-01-01"},
        )
        assert response.status_code == 200
        assert {"resident", "unit"} <= set(response.context["adminform"].form.errors)

    def test_import_into_b_is_refused(self, two_hats, world):
        from import_export.formats import base_formats

        from community.residents.resources import BuildingResource

        estate_b = world["estate"][1]
        dataset = base_formats.CSV().create_dataset(f"Estate,Building\n{estate_b.code},99栋\n")
        result = BuildingResource(user=two_hats).import_data(dataset)
        assert result.has_validation_errors()
        assert not Building.objects.filter(name="99栋").exists()

    def test_resident_export_leaves_out_b_where_phones_are_not_mine_to_see(self, client_for, two_hats, world):
        resident_a, resident_b = world["resident"]
        response = client_for(two_hats).post(
            _url("resident", "export"),
            {"format": "1", "resource": "0", "residentresource_name": "on", "residentresource_phone": "on"},
        )
        text = response.content.decode("utf-8-sig")
        assert resident_a.name in text and resident_b.name not in text
