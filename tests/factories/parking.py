from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from access.models import DeviceKind, Protocol
from parking import models
from tests.factories.access import DeviceFactory
from tests.factories.residents import EstateFactory

__all__ = [
    "FeeRuleFactory",
    "LaneFactory",
    "LotFactory",
    "PermitFactory",
    "PlateCameraFactory",
    "SpaceFactory",
    "VehicleFactory",
]


class LotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Lot

    estate = factory.SubFactory(EstateFactory)
    name = factory.Sequence(lambda n: f"{n + 1}号停车场")
    capacity = 100


class PlateCameraFactory(DeviceFactory):
    """A Vzenith plate camera (an access Device); pass ``token=``."""

    kind = DeviceKind.PLATE_CAMERA
    protocol = Protocol.VZENITH
    gate = None
    name = factory.Sequence(lambda n: f"车牌相机{n}")


class LaneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Lane

    lot = factory.SubFactory(LotFactory)
    device = factory.SubFactory(PlateCameraFactory, estate=factory.SelfAttribute("..lot.estate"))
    direction = models.LaneDirection.IN


class SpaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Space

    lot = factory.SubFactory(LotFactory)
    number = factory.Sequence(lambda n: f"B1-{n + 1:03d}")
    kind = models.SpaceKind.OWNED


class VehicleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Vehicle

    estate = factory.SubFactory(EstateFactory)
    plate = factory.Sequence(lambda n: f"鄂C{10000 + n:05d}")
    colour = models.PlateColour.BLUE
    approved = True


class PermitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Permit

    vehicle = factory.SubFactory(VehicleFactory)
    lot = factory.SubFactory(LotFactory, estate=factory.SelfAttribute("..vehicle.estate"))
    kind = models.PermitKind.MONTHLY
    valid_from = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=1))
    valid_until = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=29))
    price = Decimal("300.00")
    created_by = "system:test"


class FeeRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.FeeRule

    lot = factory.SubFactory(LotFactory)
    version = factory.Sequence(lambda n: n + 1)
    effective_from = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=365))
    free_minutes = 15
    unit_minutes = 60
    price_per_unit = Decimal("3.00")
    daily_cap = Decimal("30.00")
    created_by = "system:test"
