"""Bulk import and export of buildings, units and residents with real xlsx and csv files.

Through the resources (as the admin calls them) and through the admin pages themselves.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from import_export.formats import base_formats

from community.accounts.roles import StaffRole
from community.residents.models import Building, Occupancy, Resident, Unit
from community.residents.resources import BuildingResource, ResidentResource, UnitResource
from tests.factories import BuildingFactory, OccupancyFactory, ResidentFactory, StaffFactory, UnitFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_english")]


UNIT_HEADERS = ["Building", "Entrance", "Floor", "Unit number", "Exclusive area (m²)", "Usage"]
RESIDENT_HEADERS = [
    "Name",
    "Mobile phone",
    "ID number",
    "Building",
    "Entrance",
    "Unit number",
    "Role",
    "Primary contact",
]


def xlsx_bytes(headers, rows) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(headers, rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")  # as Excel saves "CSV UTF-8"


def load(data: bytes, kind: str):
    fmt = base_formats.XLSX() if kind == "xlsx" else base_formats.CSV(encoding="utf-8-sig")
    return fmt.create_dataset(data if kind == "xlsx" else data.decode("utf-8-sig"))


def errors_by_row(result) -> dict[int, str]:
    return {
        row.number: " ".join(m for msgs in row.error_dict.values() for m in msgs)
        for row in result.invalid_rows
    }


@pytest.fixture
def building_a(estate_a):
    return BuildingFactory(estate=estate_a, name="3栋")


class TestBuildingImport:
    def test_clean_file_imports_all_and_updates_existing(self, estate_a, manager_a):
        BuildingFactory(estate=estate_a, name="1栋", floors=6)
        data = xlsx_bytes(["Building", "Floors above ground"], [["1栋", 18], ["2栋", 11], ["3栋", None]])
        result = BuildingResource(user=manager_a).import_data(load(data, "xlsx"), dry_run=False)
        assert not result.has_errors() and not result.has_validation_errors()
        assert dict(Building.objects.filter(estate=estate_a).values_list("name", "floors")) == {
            "1栋": 18,
            "2栋": 11,
            "3栋": None,
        }

    def test_building_named_twice_in_the_file_is_an_error(self, estate_a, manager_a):
        data = csv_bytes(["Building"], [["5栋"], ["5栋"]])
        result = BuildingResource(user=manager_a).import_data(load(data, "csv"), dry_run=False)
        assert "row 1" in errors_by_row(result)[2]
        assert not Building.objects.filter(name="5栋").exists()

    def test_another_estate_is_an_error(self, estate_a, estate_b, manager_a):
        data = csv_bytes(["Estate", "Building"], [[estate_b.name, "9栋"]])
        result = BuildingResource(user=manager_a).import_data(load(data, "csv"), dry_run=False)
        assert "not an estate you serve" in errors_by_row(result)[1]
        assert not Building.objects.filter(name="9栋").exists()

    def test_staff_of_several_estates_must_name_the_estate(self, estate_a, estate_b, manager_a):
        from community.residents.services import staff_membership_create

        staff_membership_create(by=None, user=manager_a, estate=estate_b, role=StaffRole.MANAGER)
        data = csv_bytes(["Estate", "Building"], [["", "7栋"], [estate_b.code, "8栋"]])
        result = BuildingResource(user=manager_a).import_data(load(data, "csv"), dry_run=True)
        assert "several estates" in errors_by_row(result)[1]
        assert 2 not in errors_by_row(result)
        data = csv_bytes(["Estate", "Building"], [[estate_a.name, "7栋"], [estate_b.code, "8栋"]])
        result = BuildingResource(user=manager_a).import_data(load(data, "csv"), dry_run=False)
        assert not result.has_validation_errors()
        assert Building.objects.get(name="7栋").estate == estate_a
        assert Building.objects.get(name="8栋").estate == estate_b

    def test_staff_without_membership_imports_nothing(self, estate_a):
        from tests.factories import UserFactory

        nobody = UserFactory(is_staff=True)
        result = BuildingResource(user=nobody).import_data(load(csv_bytes(["Building"], [["1栋"]]), "csv"))
        assert result.has_validation_errors()
        assert not Building.objects.exists()


class TestUnitImport:
    @pytest.mark.parametrize("kind", ["xlsx", "csv"])
    def test_dry_run_reports_each_bad_row_and_writes_nothing(
        self, kind, estate_a, estate_b, building_a, manager_a
    ):
        BuildingFactory(estate=estate_b, name="9栋")
        UnitFactory(building=building_a, entrance="1", number="101")
        rows = [
            ["3栋", "1", 1, "102", "89.5", "住宅"],  # 1 fine
            ["4栋", "1", 1, "101", "70", ""],  # 2 unknown building
            ["3栋", "1", 2, "201", "about 90", ""],  # 3 area not a number
            ["3栋", "1", 2, "202", "-3", ""],  # 4 negative area
            ["9栋", "1", 1, "101", "70", ""],  # 5 another estate's building
            ["3栋", "1", 1, "102", "89.5", ""],  # 6 same unit as row 1
            ["3栋", "1", "two", "203", "70", "castle"],  # 7 floor not a number, unknown usage
        ]
        data = (xlsx_bytes if kind == "xlsx" else csv_bytes)(UNIT_HEADERS, rows)
        result = UnitResource(user=manager_a).import_data(load(data, kind), dry_run=True)
        errors = errors_by_row(result)
        assert set(errors) == {2, 3, 4, 5, 6, 7}
        assert "no building “4栋”" in errors[2]
        assert "“about 90” is not a number" in errors[3]
        assert "cannot be negative" in errors[4]
        assert "no building “9栋”" in errors[5]
        assert "already appears in row 1" in errors[6]
        assert "“two” is not a whole number" in errors[7] and "“castle” is not known" in errors[7]
        assert Unit.objects.count() == 1  # the one that was there, nothing new

    @pytest.mark.parametrize("kind", ["xlsx", "csv"])
    def test_one_bad_row_imports_nothing(self, kind, building_a, manager_a):
        rows = [["3栋", "1", 1, "101", "89.5", ""], ["3栋", "1", 1, "102", "abc", ""]]
        data = (xlsx_bytes if kind == "xlsx" else csv_bytes)(UNIT_HEADERS, rows)
        result = UnitResource(user=manager_a).import_data(load(data, kind), dry_run=False)
        assert result.has_validation_errors()
        assert not Unit.objects.exists()

    @pytest.mark.parametrize("kind", ["xlsx", "csv"])
    def test_clean_file_imports_all(self, kind, building_a, manager_a):
        rows = [
            ["3栋", "1", 1, "101", "89.5", "住宅"],
            ["3栋", "1", 1, "102", 120, "Commercial"],
            ["3栋", "", -1, "B-12", "12.5", "parking"],
        ]
        data = (xlsx_bytes if kind == "xlsx" else csv_bytes)(UNIT_HEADERS, rows)
        result = UnitResource(user=manager_a).import_data(load(data, kind), dry_run=False)
        assert not result.has_errors() and not result.has_validation_errors()
        units = {u.number: u for u in Unit.objects.filter(building=building_a)}
        assert units["101"].exclusive_area == Decimal("89.50") and units["101"].usage == "residential"
        assert units["102"].usage == "commercial"
        assert units["B-12"].usage == "parking" and units["B-12"].floor == -1

    def test_export_then_import_round_trips(self, estate_a, estate_b, building_a, manager_a):
        UnitFactory(building=building_a, entrance="2", number="301", exclusive_area=Decimal("101.25"))
        UnitFactory(building=BuildingFactory(estate=estate_b), number="999")
        queryset = Unit.objects.filter(building__estate=estate_a)
        with translation.override("en"):
            dataset = UnitResource(user=manager_a).export(queryset=queryset)
        assert dataset.dict[0]["Building"] == "3栋" and dataset.dict[0]["Exclusive area (m²)"] == "101.25"
        result = UnitResource(user=manager_a).import_data(
            load(base_formats.XLSX().export_data(dataset), "xlsx")
        )
        assert not result.has_validation_errors()
        assert [r.import_type for r in result.rows] == ["update"]


class TestResidentImport:
    @pytest.fixture
    def units(self, building_a):
        return [UnitFactory(building=building_a, entrance="1", number=n) for n in ("101", "102")]

    def test_clean_file_creates_residents_and_occupancies(self, units, manager_a):
        rows = [
            ["张三", "13812345678", "420300198001011234", "3栋", "1", "101", "业主", "是"],
            ["李四", "+86 139 1234 5678", "", "3栋", "1", "101", "家属", "否"],
            ["张三", "13812345678", "", "3栋", "1", "102", "Owner", ""],
            ["王五", "", "", "", "", "", "", ""],
        ]
        result = ResidentResource(user=manager_a).import_data(
            load(xlsx_bytes(RESIDENT_HEADERS, rows), "xlsx")
        )
        assert not result.has_errors() and not result.has_validation_errors(), errors_by_row(result)
        zhang = Resident.objects.get(name="张三")
        assert str(zhang.phone) == "+8613812345678" and zhang.id_number == "420300198001011234"
        assert set(zhang.occupancies.values_list("unit__number", "role", "is_primary_contact")) == {
            ("101", "owner", True),
            ("102", "owner", False),
        }
        assert Occupancy.objects.get(resident__name="李四").role == "family"
        assert not Resident.objects.get(name="王五").occupancies.exists()

    def test_primary_contact_in_the_file_moves_the_flag(self, units, estate_a, manager_a):
        OccupancyFactory(unit=units[0], resident=ResidentFactory(estate=estate_a), is_primary_contact=True)
        rows = [["赵六", "13712345678", "", "3栋", "1", "101", "tenant", "yes"]]
        result = ResidentResource(user=manager_a).import_data(load(csv_bytes(RESIDENT_HEADERS, rows), "csv"))
        assert not result.has_validation_errors()
        assert Occupancy.objects.get(unit=units[0], is_primary_contact=True).resident.name == "赵六"

    def test_bad_rows_are_reported_and_nothing_is_written(self, units, estate_b, manager_a):
        BuildingFactory(estate=estate_b, name="9栋")
        rows = [
            ["好人", "13812345678", "", "3栋", "1", "101", "owner", "yes"],  # 1 fine
            ["坏号", "12345", "", "3栋", "1", "101", "owner", ""],  # 2 bad phone
            ["无楼", "13812340001", "", "8栋", "1", "101", "owner", ""],  # 3 unknown building
            ["无房", "13812340002", "", "3栋", "1", "909", "owner", ""],  # 4 unknown unit
            ["怪角色", "13812340003", "", "3栋", "1", "102", "landlord", ""],  # 5 unknown role
            ["外人", "13812340004", "", "9栋", "1", "101", "owner", ""],  # 6 other estate's building
            ["", "13812340005", "", "", "", "", "", ""],  # 7 no name
        ]
        result = ResidentResource(user=manager_a).import_data(
            load(xlsx_bytes(RESIDENT_HEADERS, rows), "xlsx"), dry_run=False
        )
        errors = errors_by_row(result)
        assert set(errors) == {2, 3, 4, 5, 6, 7}
        assert "“12345” is not a valid phone number" in errors[2]
        assert "no building “8栋”" in errors[3]
        assert "has no unit 1-909" in errors[4]
        assert "“landlord” is not known" in errors[5]
        assert "no building “9栋”" in errors[6]
        assert "required" in errors[7]
        assert not Resident.objects.exists() and not Occupancy.objects.exists()

    def test_export_lists_one_line_per_current_occupancy_of_my_estate_only(
        self, units, estate_a, estate_b, manager_a
    ):
        owner = ResidentFactory(estate=estate_a, name="张三", phone="+8613812345678")
        OccupancyFactory(resident=owner, unit=units[0], is_primary_contact=True)
        OccupancyFactory(resident=owner, unit=units[1], role="owner")
        ResidentFactory(estate=estate_a, name="空户")
        ResidentFactory(estate=estate_b, name="外人")
        from community.scoping import staff_scope

        with translation.override("en"):
            dataset = ResidentResource(user=manager_a).export(
                queryset=staff_scope(Resident.objects.all(), manager_a)
            )
        lines = [(d["Name"], d["Unit number"], d["Primary contact"]) for d in dataset.dict]
        assert sorted(lines) == sorted([("张三", "101", "yes"), ("张三", "102", "no"), ("空户", "", "")])


# --- through the admin pages -------------------------------------------------------------------


def _import(client, model: str, data: bytes, name: str, fmt: str):
    upload = SimpleUploadedFile(name, data)
    return client.post(
        reverse(f"admin:residents_{model}_import"), {"import_file": upload, "format": fmt, "resource": "0"}
    )


class TestAdminImport:
    def test_dry_run_page_shows_row_errors_and_offers_no_confirm(self, client_for, manager_a, building_a):
        data = xlsx_bytes(UNIT_HEADERS, [["3栋", "1", 1, "101", "89.5", ""], ["4栋", "1", 1, "102", "x", ""]])
        response = _import(client_for(manager_a), "unit", data, "units.xlsx", "0")
        assert response.status_code == 200
        assert "confirm_form" not in response.context
        content = response.content.decode()
        assert "4栋" in content and "“x” is not a number" in content
        assert not Unit.objects.exists()

    def test_clean_csv_dry_run_then_confirm_imports_all(self, client_for, manager_a, building_a):
        client = client_for(manager_a)
        data = csv_bytes(UNIT_HEADERS, [["3栋", "1", 1, "101", "89.5", ""], ["3栋", "1", 1, "102", "70", ""]])
        response = _import(client, "unit", data, "units.csv", "1")
        assert not Unit.objects.exists()  # the dry run wrote nothing
        confirm = response.context["confirm_form"]
        response = client.post(reverse("admin:residents_unit_process_import"), confirm.initial)
        assert response.status_code == 302
        assert set(Unit.objects.values_list("number", flat=True)) == {"101", "102"}

    def test_confirm_after_the_data_changed_imports_nothing(self, client_for, manager_a, building_a):
        client = client_for(manager_a)
        data = csv_bytes(UNIT_HEADERS, [["3栋", "1", 1, "101", "89.5", ""], ["3栋", "1", 1, "102", "70", ""]])
        confirm = _import(client, "unit", data, "units.csv", "1").context["confirm_form"]
        building_a.name = "3号楼"  # renamed by a colleague between dry run and confirm
        building_a.save()
        response = client.post(reverse("admin:residents_unit_process_import"), confirm.initial, follow=True)
        assert not Unit.objects.exists()
        assert "Nothing was imported" in response.content.decode()

    def test_a_file_exported_from_the_admin_imports_back(self, client_for, manager_a, building_a):
        # Column names are translatable: whatever the admin's language, its export reads back.
        UnitFactory(building=building_a, entrance="1", number="101", exclusive_area=Decimal("88.00"))
        client = client_for(manager_a)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
        exported = client.post(
            reverse("admin:residents_unit_export"),
            {"format": "1", "resource": "0", **_all_fields("unitresource")},
        )
        assert exported.status_code == 200 and exported["Content-Type"].startswith("text/csv")
        with translation.override("zh-hans"):
            assert (
                str(translation.gettext("Building")) in exported.content.decode("utf-8-sig").splitlines()[0]
            )
        response = _import(client, "unit", exported.content, "units.csv", "1")
        assert "confirm_form" in response.context, response.content.decode()[:3000]
        assert [r.import_type for r in response.context["result"].rows] == ["update"]

    def test_technician_cannot_import(self, client_for, estate_a):
        technician = StaffFactory(estate=estate_a, role=StaffRole.TECHNICIAN)
        response = client_for(technician).get(reverse("admin:residents_unit_import"))
        assert response.status_code == 403


def _all_fields(prefix: str) -> dict[str, str]:
    names = {
        "unitresource": [
            "estate",
            "building",
            "entrance",
            "floor",
            "number",
            "exclusive_area",
            "area_source",
            "usage",
            "developer_owned",
        ],
        "buildingresource": ["estate", "name", "floors"],
        "residentresource": [
            "estate",
            "name",
            "phone",
            "id_number",
            "building",
            "entrance",
            "number",
            "role",
            "is_primary_contact",
        ],
    }[prefix]
    return {f"{prefix}_{n}": "on" for n in names}


class TestHeaders:
    def test_a_missing_column_is_reported_and_nothing_written(self, building_a, manager_a):
        data = csv_bytes(["Building", "Floor", "Unit number"], [["3栋", 1, "101"]])
        result = UnitResource(user=manager_a).import_data(load(data, "csv"))
        assert result.has_errors()
        assert "Exclusive area (m²)" in str(result.base_errors[0].error)
        assert not Unit.objects.exists()

    def test_english_headers_import_when_the_site_speaks_chinese(self, building_a, manager_a):
        data = csv_bytes(UNIT_HEADERS, [["3栋", "1", 1, "101", "89.5", ""]])
        with translation.override("zh-hans"):
            result = UnitResource(user=manager_a).import_data(load(data, "csv"))
        assert not result.has_errors() and not result.has_validation_errors()
        assert Unit.objects.filter(building=building_a, number="101").exists()

    def test_chinese_headers_import_too(self, building_a, manager_a):
        with translation.override("zh-hans"):
            headers = [translation.gettext(h) for h in UNIT_HEADERS]
        data = xlsx_bytes(headers, [["3栋", "1", 1, "101", "89.5", "住宅"]])
        result = UnitResource(user=manager_a).import_data(load(data, "xlsx"))
        assert not result.has_errors() and not result.has_validation_errors(), headers
        assert Unit.objects.filter(building=building_a, number="101").exists()
