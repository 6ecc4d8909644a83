from __future__ import annotations

import datetime as dt
import secrets

import factory
from django.utils import timezone

from access import models
from access.models import token_hash
from tests.factories.residents import EstateFactory, ResidentFactory

__all__ = ["CredentialFactory", "DeviceFactory", "GateFactory", "VisitorPassFactory"]


class GateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Gate

    estate = factory.SubFactory(EstateFactory)
    name = factory.Sequence(lambda n: f"{n + 1}号门")
    direction = models.GateDirection.BOTH


class DeviceFactory(factory.django.DjangoModelFactory):
    """An approved, enabled device; pass ``token="..."`` to set its secret token."""

    class Meta:
        model = models.Device
        exclude = ["token"]

    estate = factory.SubFactory(EstateFactory)
    gate = factory.SubFactory(GateFactory, estate=factory.SelfAttribute("..estate"))
    name = factory.Sequence(lambda n: f"门禁{n}")
    protocol = models.Protocol.NATIVE
    approved = True
    enabled = True
    token = factory.Sequence(lambda n: f"device-token-{n:06d}")
    token_hash = factory.LazyAttribute(lambda o: token_hash(o.token) if o.token else None)


class CredentialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Credential

    resident = factory.SubFactory(ResidentFactory)
    estate = factory.SelfAttribute("resident.estate")
    kind = models.CredentialKind.CARD
    value = factory.Sequence(lambda n: f"{3000000000 + n}")


class VisitorPassFactory(factory.django.DjangoModelFactory):
    """A pass valid now for two hours; pass ``unit`` and ``created_by``."""

    class Meta:
        model = models.VisitorPass

    estate = factory.SelfAttribute("unit.building.estate")
    visitor_name = factory.Sequence(lambda n: f"访客{n}")
    valid_from = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(minutes=5))
    valid_until = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(hours=2))
    max_entries = 1
    nonce = factory.LazyFunction(lambda: secrets.token_urlsafe(9))
