from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory

from eldercare import models
from tests.factories.residents import EstateFactory, OccupancyFactory, ResidentFactory, UnitFactory

__all__ = ["CareStationFactory", "ElderFactory", "ServiceItemFactory", "SubsidyPolicyFactory", "consent_all"]


class CareStationFactory(factory.django.DjangoModelFactory):
    """A station serving ``estates=[...]`` (default: one new estate)."""

    class Meta:
        model = models.CareStation
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"养老服务站{n}")
    phone = "027-88880000"

    @factory.post_generation
    def estates(self, create, extracted, **kwargs):
        if create:
            self.estates.set(extracted or [EstateFactory()])


class ServiceItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ServiceItem

    station = factory.SubFactory(CareStationFactory)
    name = factory.Sequence(lambda n: f"助洁服务{n}")
    category = models.ServiceCategory.CLEANING
    unit = models.ServiceUnit.VISIT
    price = Decimal("50.00")
    duration_minutes = 60
    min_minutes = 30


class ElderFactory(factory.django.DjangoModelFactory):
    """An elder living in a unit of ``estate`` (pass ``resident=`` to reuse one)."""

    class Meta:
        model = models.ElderProfile
        skip_postgeneration_save = True

    estate = factory.SubFactory(EstateFactory)
    resident = factory.SubFactory(ResidentFactory, estate=factory.SelfAttribute("..estate"), name="王秀英")
    birth_date = dt.date(1944, 5, 1)
    lives_alone = True
    home_latitude = Decimal("32.629000")
    home_longitude = Decimal("110.798000")

    @factory.post_generation
    def unit(self, create, extracted, **kwargs):
        if create and not self.resident.occupancies.exists():
            OccupancyFactory(
                resident=self.resident, unit=extracted or UnitFactory(building__estate=self.estate)
            )


class SubsidyPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.SubsidyPolicy

    estate = factory.SubFactory(EstateFactory)
    name = "居家养老服务补贴"
    elder_category = models.ElderCategory.REGULAR
    kind = models.SubsidyKind.FIXED
    monthly_amount = Decimal("100.00")
    valid_from = dt.date(2020, 1, 1)


def consent_all(elder, by, *categories) -> None:
    from eldercare.services import consent_record

    for category in categories or models.ConsentCategory.values:
        consent_record(elder=elder, category=category, granted=True, given_by="elder", by=by)
