"""A person is their ID number first: the importer finds residents by it before the phone, so a
changed phone does not create a second owner on the roll."""

from __future__ import annotations

from community.residents.models import Resident, normalise_id_number
from community.residents.resources import ResidentResource
from tests.factories import ResidentFactory
from tests.residents.test_import_export import RESIDENT_HEADERS, csv_bytes, errors_by_row, load


def test_id_numbers_are_normalised():
    assert normalise_id_number(" ４２０３００ 19800101123x ") == "42030019800101123X"
    assert normalise_id_number(None) == ""


def test_the_importer_matches_a_resident_by_id_number_before_phone(estate_a, manager_a):
    known = ResidentFactory(
        estate=estate_a, name="张三", phone="+8613800001111", id_number="42030019800101123X"
    )
    rows = [["张三", "13900002222", "420300 19800101123x", "", "", "", "", ""]]  # a new phone
    result = ResidentResource(user=manager_a).import_data(load(csv_bytes(RESIDENT_HEADERS, rows), "csv"))
    assert not result.has_errors() and not result.has_validation_errors(), errors_by_row(result)
    assert Resident.objects.filter(estate=estate_a).count() == 1
    known.refresh_from_db()
    assert str(known.phone) == "+8613900002222"


def test_an_id_number_and_a_phone_of_two_residents_is_an_error(estate_a, manager_a):
    ResidentFactory(estate=estate_a, name="张三", phone="+8613800001111", id_number="42030019800101123X")
    ResidentFactory(estate=estate_a, name="李四", phone="+8613900002222", id_number="")
    rows = [["张三", "13900002222", "42030019800101123X", "", "", "", "", ""]]
    result = ResidentResource(user=manager_a).import_data(load(csv_bytes(RESIDENT_HEADERS, rows), "csv"))
    assert result.has_validation_errors()
    assert "another resident" in str(errors_by_row(result))
