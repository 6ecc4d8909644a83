"""Database constraints of the core model, and the occupancy services that respect them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from community.residents import services
from community.residents.models import Occupancy, Unit
from tests.factories import BuildingFactory, OccupancyFactory, ResidentFactory, UnitFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_english")]


def _raw_insert_fails(factory, **kwargs) -> bool:
    """Saving past the forms and services: the database itself must refuse."""
    try:
        with transaction.atomic():
            factory(**kwargs)
    except IntegrityError:
        return True
    return False


class TestUnitConstraints:
    def test_unit_number_is_unique_per_building_and_entrance(self, estate_a):
        building = BuildingFactory(estate=estate_a)
        UnitFactory(building=building, entrance="1", number="101")
        assert _raw_insert_fails(UnitFactory, building=building, entrance="1", number="101")

    def test_same_number_in_another_entrance_or_building_is_fine(self, estate_a):
        building = BuildingFactory(estate=estate_a)
        UnitFactory(building=building, entrance="1", number="101")
        UnitFactory(building=building, entrance="2", number="101")
        UnitFactory(building=BuildingFactory(estate=estate_a), entrance="1", number="101")
        assert Unit.objects.filter(number="101").count() == 3

    def test_area_cannot_be_negative(self, estate_a):
        assert _raw_insert_fails(
            UnitFactory, building=BuildingFactory(estate=estate_a), exclusive_area=Decimal("-0.01")
        )

    def test_zero_area_is_allowed(self, estate_a):
        UnitFactory(building=BuildingFactory(estate=estate_a), exclusive_area=Decimal("0"))


class TestOccupancyConstraints:
    def test_end_before_start_is_refused_by_the_database(self, estate_a):
        unit = UnitFactory(building=BuildingFactory(estate=estate_a))
        assert _raw_insert_fails(
            OccupancyFactory, unit=unit, start_date=dt.date(2024, 5, 1), end_date=dt.date(2024, 4, 30)
        )

    def test_end_on_start_day_is_allowed(self, estate_a):
        unit = UnitFactory(building=BuildingFactory(estate=estate_a))
        OccupancyFactory(unit=unit, start_date=dt.date(2024, 5, 1), end_date=dt.date(2024, 5, 1))

    def test_a_second_active_primary_contact_is_refused_by_the_database(self, estate_a):
        unit = UnitFactory(building=BuildingFactory(estate=estate_a))
        OccupancyFactory(unit=unit, is_primary_contact=True)
        assert _raw_insert_fails(OccupancyFactory, unit=unit, is_primary_contact=True)

    def test_an_ended_primary_contact_does_not_block_a_new_one(self, estate_a):
        unit = UnitFactory(building=BuildingFactory(estate=estate_a))
        OccupancyFactory(unit=unit, is_primary_contact=True, end_date=dt.date(2021, 1, 1))
        OccupancyFactory(unit=unit, is_primary_contact=True)

    def test_one_open_tie_per_resident_and_unit(self, estate_a):
        unit = UnitFactory(building=BuildingFactory(estate=estate_a))
        resident = ResidentFactory(estate=estate_a)
        OccupancyFactory(unit=unit, resident=resident)
        assert _raw_insert_fails(OccupancyFactory, unit=unit, resident=resident, role="family")


class TestOccupancyServices:
    def test_second_primary_contact_through_the_service_moves_the_flag(self, estate_a):
        unit = UnitFactory(building=BuildingFactory(estate=estate_a))
        first = services.occupancy_start(
            by=None,
            resident=ResidentFactory(estate=estate_a),
            unit=unit,
            role="owner",
            is_primary_contact=True,
        )
        second = services.occupancy_start(
            by=None,
            resident=ResidentFactory(estate=estate_a),
            unit=unit,
            role="tenant",
            is_primary_contact=True,
        )
        first.refresh_from_db()
        assert second.is_primary_contact and not first.is_primary_contact
        assert Occupancy.objects.filter(unit=unit, is_primary_contact=True).count() == 1

    def test_update_to_primary_moves_the_flag(self, estate_a):
        unit = UnitFactory(building=BuildingFactory(estate=estate_a))
        first = services.occupancy_start(
            by=None,
            resident=ResidentFactory(estate=estate_a),
            unit=unit,
            role="owner",
            is_primary_contact=True,
        )
        second = services.occupancy_start(
            by=None, resident=ResidentFactory(estate=estate_a), unit=unit, role="family"
        )
        services.occupancy_update(
            by=None, occupancy=second, role="family", start_date=second.start_date, is_primary_contact=True
        )
        first.refresh_from_db()
        second.refresh_from_db()
        assert second.is_primary_contact and not first.is_primary_contact

    def test_cross_estate_occupancy_is_refused(self, estate_a, estate_b):
        unit_b = UnitFactory(building=BuildingFactory(estate=estate_b))
        with pytest.raises(ValidationError, match="different estates"):
            services.occupancy_start(
                by=None, resident=ResidentFactory(estate=estate_a), unit=unit_b, role="owner"
            )
        assert not Occupancy.objects.filter(unit=unit_b).exists()

    def test_duplicate_open_tie_is_refused(self, estate_a):
        unit = UnitFactory(building=BuildingFactory(estate=estate_a))
        resident = ResidentFactory(estate=estate_a)
        services.occupancy_start(by=None, resident=resident, unit=unit, role="owner")
        with pytest.raises(ValidationError, match="already lives"):
            services.occupancy_start(by=None, resident=resident, unit=unit, role="family")
        assert Occupancy.objects.filter(unit=unit).count() == 1

    def test_unknown_role_is_refused(self, estate_a):
        unit = UnitFactory(building=BuildingFactory(estate=estate_a))
        with pytest.raises(ValidationError):
            services.occupancy_start(
                by=None, resident=ResidentFactory(estate=estate_a), unit=unit, role="landlord"
            )

    def test_move_out_ends_drops_primary_flag_and_fires_occupancy_ended(self, estate_a):
        unit = UnitFactory(building=BuildingFactory(estate=estate_a))
        occupancy = services.occupancy_start(
            by=None,
            resident=ResidentFactory(estate=estate_a),
            unit=unit,
            role="tenant",
            start_date=dt.date(2024, 1, 1),
            is_primary_contact=True,
        )
        heard = []

        def receiver(sender, occupancy, **kwargs):
            heard.append(occupancy.pk)

        services.occupancy_ended.connect(receiver)
        try:
            ended = services.occupancy_end(occupancy=occupancy, by=None, end_date=dt.date(2024, 6, 30))
        finally:
            services.occupancy_ended.disconnect(receiver)
        assert heard == [occupancy.pk]
        assert ended.end_date == dt.date(2024, 6, 30) and not ended.is_primary_contact
        # The tie is history now: the same resident may move in again.
        services.occupancy_start(by=None, resident=occupancy.resident, unit=unit, role="owner")

    def test_move_out_before_move_in_is_refused(self, estate_a):
        unit = UnitFactory(building=BuildingFactory(estate=estate_a))
        occupancy = services.occupancy_start(
            by=None,
            resident=ResidentFactory(estate=estate_a),
            unit=unit,
            role="tenant",
            start_date=dt.date(2024, 1, 1),
        )
        with pytest.raises(ValidationError):
            services.occupancy_end(occupancy=occupancy, by=None, end_date=dt.date(2023, 12, 31))
        occupancy.refresh_from_db()
        assert occupancy.end_date is None

    def test_ending_twice_is_refused(self, estate_a):
        unit = UnitFactory(building=BuildingFactory(estate=estate_a))
        occupancy = services.occupancy_start(
            by=None,
            resident=ResidentFactory(estate=estate_a),
            unit=unit,
            role="tenant",
            start_date=dt.date(2024, 1, 1),
        )
        services.occupancy_end(occupancy=occupancy, by=None, end_date=dt.date(2024, 2, 1))
        with pytest.raises(ValidationError, match="already ended"):
            services.occupancy_end(occupancy=occupancy, by=None, end_date=dt.date(2024, 3, 1))
        occupancy.refresh_from_db()
        assert occupancy.end_date == dt.date(2024, 2, 1)
