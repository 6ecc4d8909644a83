from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory

from community.billing import models

from .residents import EstateFactory, UnitFactory

__all__ = ["AssignmentFactory", "ChargeItemFactory", "TariffFactory"]


class ChargeItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ChargeItem

    estate = factory.SubFactory(EstateFactory)
    name = factory.Sequence(lambda n: f"物业费{n}")
    item_type = models.ItemType.PROPERTY_FEE
    basis = models.Basis.EXCLUSIVE_AREA
    cycle = models.Cycle.MONTH
    prepaid = True


class TariffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Tariff

    item = factory.SubFactory(ChargeItemFactory)
    unit_price = Decimal("2.50")
    effective_from = dt.date(2020, 1, 1)


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Assignment

    item = factory.SubFactory(ChargeItemFactory)
    unit = factory.SubFactory(UnitFactory, building__estate=factory.SelfAttribute("...item.estate"))
    start_date = dt.date(2020, 1, 1)
