"""Daily statistics per estate: eldercare orders and alarms counted for the day, in their estate,
with a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from eldercare.models import Alarm, Order
from exchange.selectors import daily_statistics
from tests.factories import CareStationFactory, ElderFactory, ServiceItemFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 20)
_numbers = itertools.count(1)


def _at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@pytest.fixture
def care(estate_a):
    station = CareStationFactory(estates=[estate_a])
    return {
        "elder": ElderFactory(estate=estate_a),
        "item": ServiceItemFactory(station=station),
        "station": station,
    }


def _orders(estate, care, n: int, *, created: dt.datetime, status="pending") -> None:
    Order.objects.bulk_create(
        [
            Order(
                number=f"O{next(_numbers):08d}",
                estate=estate,
                station=care["station"],
                elder=care["elder"],
                item=care["item"],
                booked_via="portal",
                status=status,
                scheduled_at=created + dt.timedelta(days=1),
            )
            for _ in range(n)
        ]
    )
    # created_at is auto_now_add: move the new rows to the day under test.
    Order.objects.filter(created_at__gt=timezone.now() - dt.timedelta(minutes=5)).update(created_at=created)


def _alarms(estate, elder, n: int, *, raised: dt.datetime, outcome="") -> None:
    Alarm.objects.bulk_create(
        [
            Alarm(
                estate=estate, elder=elder, kind="sos", raised_at=raised, raised_by="device", outcome=outcome
            )
            for _ in range(n)
        ]
    )


def test_orders_and_alarms_of_the_day_are_counted(estate_a, care):
    _orders(estate_a, care, 3, created=_at(DAY, 9))
    _orders(estate_a, care, 1, created=_at(DAY, 23), status="cancelled")  # demand, counted
    _orders(estate_a, care, 2, created=_at(DAY - dt.timedelta(days=1), 23))  # the day before
    _alarms(estate_a, care["elder"], 2, raised=_at(DAY, 0))
    _alarms(estate_a, care["elder"], 1, raised=_at(DAY, 12), outcome="false_alarm")
    _alarms(estate_a, care["elder"], 4, raised=_at(DAY + dt.timedelta(days=1), 0))  # the next day

    figures = daily_statistics(estate=estate_a, day=DAY)

    assert figures["eldercare_orders"] == 4
    assert figures["eldercare_alarms"] == 3


def test_another_estates_orders_and_alarms_are_not_counted(estate_a, estate_b, care):
    station_b = CareStationFactory(estates=[estate_b])
    care_b = {
        "elder": ElderFactory(estate=estate_b),
        "item": ServiceItemFactory(station=station_b),
        "station": station_b,
    }
    _orders(estate_b, care_b, 5, created=_at(DAY, 10))
    _alarms(estate_b, care_b["elder"], 5, raised=_at(DAY, 10))
    _orders(estate_a, care, 1, created=_at(DAY, 10))

    figures = daily_statistics(estate=estate_a, day=DAY)

    assert (figures["eldercare_orders"], figures["eldercare_alarms"]) == (1, 0)
    assert daily_statistics(estate=estate_b, day=DAY)["eldercare_alarms"] == 5


def test_the_queries_do_not_grow_with_the_day(estate_a, care):
    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            daily_statistics(estate=estate_a, day=DAY)
        return len(ctx)

    few = queries()
    _orders(estate_a, care, 40, created=_at(DAY, 8))
    _alarms(estate_a, care["elder"], 40, raised=_at(DAY, 8))
    assert queries() == few <= 6
