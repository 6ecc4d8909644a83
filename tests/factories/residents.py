from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from community.accounts.roles import StaffRole
from community.residents import models

__all__ = [
    "AnnouncementFactory",
    "BuildingFactory",
    "EstateFactory",
    "OccupancyFactory",
    "ResidentFactory",
    "StaffFactory",
    "StaffMembershipFactory",
    "UnitFactory",
    "UserFactory",
]

PASSWORD = "demo12345"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    phone = factory.Sequence(lambda n: f"+86135{n:08d}")
    email = None
    name = factory.Faker("name", locale="zh_CN")

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or PASSWORD)
        if create:
            self.save(update_fields=["password"])


class EstateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Estate

    name = factory.Sequence(lambda n: f"测试小区{n}")
    code = factory.Sequence(lambda n: f"estate-{n}")
    address = "湖北省十堰市茅箭区"


class BuildingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Building

    estate = factory.SubFactory(EstateFactory)
    name = factory.Sequence(lambda n: f"{n + 1}栋")
    floors = 18


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Unit

    building = factory.SubFactory(BuildingFactory)
    entrance = "1"
    floor = 1
    number = factory.Sequence(lambda n: f"{100 + n}")
    exclusive_area = Decimal("89.50")


class ResidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Resident

    estate = factory.SubFactory(EstateFactory)
    name = factory.Faker("name", locale="zh_CN")
    phone = factory.Sequence(lambda n: f"+86136{n:08d}")
    id_number = factory.Sequence(lambda n: f"42030019800101{n:04d}")
    user = None


class OccupancyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Occupancy

    unit = factory.SubFactory(UnitFactory)
    resident = factory.SubFactory(ResidentFactory, estate=factory.SelfAttribute("..unit.building.estate"))
    role = models.OccupancyRole.OWNER
    start_date = dt.date(2020, 1, 1)


class StaffMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.StaffMembership

    user = factory.SubFactory(UserFactory, is_staff=True)
    estate = factory.SubFactory(EstateFactory)
    role = StaffRole.MANAGER


def StaffFactory(*, estate, role: str = StaffRole.MANAGER, **user_kwargs):
    """A staff user holding ``role`` in ``estate``, in the role's group, as the service makes them."""
    from community.residents.services import staff_membership_create

    user = UserFactory(is_staff=True, **user_kwargs)
    staff_membership_create(by=None, user=user, estate=estate, role=role)
    return user


class AnnouncementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Announcement

    estate = factory.SubFactory(EstateFactory)
    title = factory.Sequence(lambda n: f"通知 {n}")
    body = "请各位业主注意。"
