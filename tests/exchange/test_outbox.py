"""The outbox end to end against local fake destinations: nothing lost, nothing applied twice.

Moving a resident in or out is the cause (``residents.services.occupancy_start`` /
``occupancy_end``): the exchange writes the registration change in the same transaction, and
the delivery job sends it to a fake GA/T 1400 view library or city platform started here.
"""

import datetime as dt

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from community.residents import services as residents
from exchange import services
from exchange.fakes import FakeCity, FakeViid
from exchange.models import Delivery, DeliveryStatus, ExchangeAction, OutboxRecord
from tests.factories import (
    BuildingFactory,
    DataGrantFactory,
    ExternalSystemFactory,
    ResidentFactory,
    UnitFactory,
)

pytestmark = pytest.mark.django_db(transaction=False)

SECRETS = {"VIID_TEST": "community:s3cret", "CITY_TEST": "city-secret"}


@pytest.fixture(autouse=True)
def _secrets(settings):
    settings.EXCHANGE_SECRETS = SECRETS
    settings.EXCHANGE_HTTP_TIMEOUT = 1.0


@pytest.fixture
def viid():
    fake = FakeViid(username="community", password="s3cret").start()
    yield fake
    fake.stop()


@pytest.fixture
def city():
    fake = FakeCity(secret="city-secret", service_code="SQ001").start()
    yield fake
    fake.stop()


def _move_in(estate, name="张三", phone="+8613800001234", id_number="110101199003071234"):
    building = estate.buildings.filter(name="3栋").first() or BuildingFactory(estate=estate, name="3栋")
    unit = UnitFactory(building=building, number=str(101 + building.units.count()))
    resident = ResidentFactory(estate=estate, name=name, phone=phone, id_number=id_number)
    return residents.occupancy_start(resident=resident, unit=unit, role="tenant", by="system:test")


def _viid_system(estate, fake, **kwargs):
    system = ExternalSystemFactory(estate=estate, endpoint=fake.url, **kwargs)
    DataGrantFactory(system=system, category="resident_change")
    return system


def _later(minutes=120):
    return timezone.now() + dt.timedelta(minutes=minutes)


def test_a_move_in_is_registered_by_digest_and_applied_once(estate_a, viid):
    system = _viid_system(estate_a, viid)
    _move_in(estate_a)
    [delivery] = Delivery.objects.filter(system=system)
    assert delivery.status == DeliveryStatus.PENDING and len(delivery.remote_key) == 48

    report = services.system_deliver(system=system, by="system:test")

    assert report.delivered == 1
    assert viid.challenges == 1 and viid.registrations == 1  # 401 challenge, then the digest
    [obj] = viid.applied.values()
    # Masked by default: the officer sees the surname and the number's ends only.
    assert obj["Name"] == "张*" and obj["Mobile"] == "138****1234" and obj["IDNumber"] == "110***********1234"
    assert obj["BuildingNo"] == "3栋" and obj["ChangeType"] == "move_in"
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.delivered_at is not None


def test_wrong_password_never_registers_and_keeps_the_record(estate_a, viid, settings):
    settings.EXCHANGE_SECRETS = {**SECRETS, "VIID_TEST": "community:wrong"}
    system = _viid_system(estate_a, viid)
    _move_in(estate_a)
    report = services.system_deliver(system=system, by="system:test")
    assert report.retried == 1 and viid.registrations == 0 and not viid.applied
    assert Delivery.objects.get(system=system).status == DeliveryStatus.PENDING


def test_a_rolled_back_move_in_leaves_no_record(estate_a, viid):
    _viid_system(estate_a, viid)
    with pytest.raises(RuntimeError), transaction.atomic():
        _move_in(estate_a)
        raise RuntimeError("the move-in fails after the signal")
    assert not OutboxRecord.objects.exists() and not Delivery.objects.exists()


def test_receiver_down_then_back_loses_nothing(estate_a):
    fake = FakeViid(username="community", password="s3cret").start()
    url = fake.url
    fake.stop()  # the port is closed: connection refused
    system = ExternalSystemFactory(estate=estate_a, endpoint=url)
    DataGrantFactory(system=system, category="resident_change")
    _move_in(estate_a)
    _move_in(estate_a, name="李四", phone="+8613800005678")

    report = services.system_deliver(system=system, by="system:test")
    assert report.retried == 2 and report.delivered == 0
    first_due = Delivery.objects.get(
        system=system, record__source_ref=OutboxRecord.objects.first().source_ref
    )
    assert first_due.attempts == 1 and first_due.next_attempt_at > timezone.now()
    # Not due yet: nothing is tried again before the back-off.
    assert services.system_deliver(system=system, by="system:test").retried == 0

    port = int(url.rsplit(":", 1)[1])
    back = FakeViid(username="community", password="s3cret").start(port=port)
    try:
        report = services.system_deliver(system=system, by="system:test", now=_later())
        assert report.delivered == 2
        assert len(back.applied) == 2 and back.duplicates == 0
    finally:
        back.stop()


def test_receiver_answering_500_is_retried_until_applied_once(estate_a, viid):
    system = _viid_system(estate_a, viid)
    _move_in(estate_a)
    viid.fail_next = 2
    assert services.system_deliver(system=system, by="system:test").retried == 1
    assert services.system_deliver(system=system, by="system:test", now=_later(10)).retried == 1
    assert services.system_deliver(system=system, by="system:test", now=_later(60)).delivered == 1
    assert len(viid.applied) == 1 and viid.duplicates == 0
    assert Delivery.objects.get().attempts == 3


def test_slow_receiver_times_out_then_the_resend_is_not_applied_twice(estate_a, viid):
    system = _viid_system(estate_a, viid)
    _move_in(estate_a)
    viid.delay = 1.5  # longer than EXCHANGE_HTTP_TIMEOUT: we give up, the fake still applies
    assert services.system_deliver(system=system, by="system:test").retried == 1
    viid.delay = 0
    assert services.system_deliver(system=system, by="system:test", now=_later()).delivered == 1
    assert len(viid.applied) == 1  # received up to twice, applied once (the remote key)


def test_answer_lost_after_apply_is_sent_again_and_applied_once(estate_a, city):
    system = ExternalSystemFactory(
        estate=estate_a,
        kind="city_push",
        endpoint=city.url,
        credentials_ref="CITY_TEST",
        service_code="SQ001",
    )
    DataGrantFactory(system=system, category="resident_change")
    _move_in(estate_a)
    city.drop_after_apply = 1
    assert services.system_deliver(system=system, by="system:test").retried == 1
    assert len(city.applied) == 1  # it did arrive; we could not know
    assert services.system_deliver(system=system, by="system:test", now=_later()).delivered == 1
    assert len(city.applied) == 1 and city.duplicates == 1 and city.received == 2
    assert city.bad_signatures == 0


def test_city_refuses_a_wrong_signature(estate_a, city, settings):
    settings.EXCHANGE_SECRETS = {**SECRETS, "CITY_TEST": "not-the-secret"}
    system = ExternalSystemFactory(
        estate=estate_a,
        kind="city_push",
        endpoint=city.url,
        credentials_ref="CITY_TEST",
        service_code="SQ001",
    )
    DataGrantFactory(system=system, category="resident_change")
    _move_in(estate_a)
    assert services.system_deliver(system=system, by="system:test").retried == 1
    assert city.bad_signatures == 1 and not city.applied


def test_a_category_not_granted_never_leaves(estate_a, viid):
    system = ExternalSystemFactory(estate=estate_a, endpoint=viid.url)
    DataGrantFactory(system=system, category="car_passage")
    _move_in(estate_a)
    assert not Delivery.objects.filter(system=system).exists()
    services.system_deliver(system=system, by="system:test")
    assert viid.received == 0


def test_a_grant_withdrawn_after_queueing_withholds_the_record(estate_a, viid):
    system = _viid_system(estate_a, viid)
    _move_in(estate_a)
    system.grants.all().delete()
    report = services.system_deliver(system=system, by="system:test")
    assert report.withheld == 1 and viid.received == 0
    assert Delivery.objects.get().status == DeliveryStatus.WITHHELD


def test_masking_is_per_destination(estate_a, viid, city):
    police = ExternalSystemFactory(estate=estate_a, endpoint=viid.url)
    # The police receive names and ID numbers in clear (a statutory duty), the city masked.
    DataGrantFactory(system=police, category="resident_change", masked={})
    town = ExternalSystemFactory(
        estate=estate_a,
        kind="city_push",
        endpoint=city.url,
        credentials_ref="CITY_TEST",
        service_code="SQ001",
    )
    DataGrantFactory(
        system=town, category="resident_change", fields=["change", "building", "unit", "person_name"]
    )
    _move_in(estate_a)
    services.system_deliver(system=police, by="system:test")
    services.system_deliver(system=town, by="system:test")
    [to_police] = viid.applied.values()
    [to_city] = city.applied.values()
    assert to_police["Name"] == "张三" and to_police["IDNumber"] == "110101199003071234"
    assert to_city["data"] == {"change": "move_in", "building": "3栋", "unit": "101", "person_name": "张*"}


def test_disabled_destination_is_paused_not_skipped(estate_a, viid):
    system = _viid_system(estate_a, viid, enabled=False)
    _move_in(estate_a)
    assert services.exchange_deliver(by="system:test").delivered == 0
    system.enabled = True
    system.save()
    assert services.exchange_deliver(by="system:test").delivered == 1
    assert len(viid.applied) == 1


def test_resend_from_n_is_recorded_and_deduplicated_on_the_other_side(estate_a, viid, manager_a):
    system = _viid_system(estate_a, viid)
    _move_in(estate_a)
    _move_in(estate_a, name="李四", phone="+8613800005678")
    services.system_deliver(system=system, by="system:test")
    second = OutboxRecord.objects.order_by("id").last()

    count = services.deliveries_resend_from(system=system, from_record=second.pk, by=manager_a)

    assert count == 1
    action = ExchangeAction.objects.get()
    assert action.actor == manager_a and action.params["from_record"] == second.pk
    assert services.system_deliver(system=system, by="system:test").delivered == 1
    assert len(viid.applied) == 2 and viid.duplicates == 1


def test_the_same_fact_signalled_twice_is_one_record(estate_a, viid):
    _viid_system(estate_a, viid)
    occupancy = _move_in(estate_a)
    from exchange.receivers import on_occupancy_started

    on_occupancy_started(occupancy=occupancy)
    assert OutboxRecord.objects.count() == 1 and Delivery.objects.count() == 1


def test_missing_secret_is_reported_and_other_destinations_go_on(estate_a, viid, settings):
    settings.EXCHANGE_SECRETS = {}
    _viid_system(estate_a, viid)
    _move_in(estate_a)
    report = services.exchange_deliver(by="system:test")
    assert report.delivered == 0 and viid.received == 0
    assert Delivery.objects.get().status == DeliveryStatus.PENDING


@override_settings(EXCHANGE_HTTP_TIMEOUT=1.0)
def test_statistics_are_appended_once_per_estate_and_day(estate_a, household_a):
    from exchange.receivers import statistics_append

    system = ExternalSystemFactory(estate=estate_a, kind="city_push", credentials_ref="CITY_TEST")
    DataGrantFactory(system=system, category="statistics", legal_basis="not_personal")
    day = timezone.localdate()
    assert statistics_append(estate=estate_a, day=day, by="system:test") is True
    assert statistics_append(estate=estate_a, day=day, by="system:test") is False
    record = OutboxRecord.objects.get(category="statistics")
    assert record.payload["population"] == {"owner": 1, "family": 1}
