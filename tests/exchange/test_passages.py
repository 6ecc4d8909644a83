"""Gate passages and car passages reach the outbox once each, and leave it once each.

Gate passages are queued by the access ingest statement itself (a CTE of the autocommitted
INSERT on PostgreSQL, the same transaction on SQLite) and relayed by the exchange job; car
passages are written by a receiver inside the plate read's transaction.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from access.inbound import EventIn
from access.models import AccessEvent
from access.services import access_events_ingest
from exchange import passages, services
from exchange.fakes import FakeViid
from exchange.models import Delivery, DeliveryStatus, OutboxRecord, PassageQueued
from parking.models import LaneDirection
from parking.protocols.base import PlateRead
from parking.services import plate_read_record
from tests.factories import (
    CredentialFactory,
    DataGrantFactory,
    DeviceFactory,
    ExternalSystemFactory,
    LaneFactory,
    LotFactory,
    ResidentFactory,
)

SECRETS = {"VIID_TEST": "community:s3cret"}


@pytest.fixture(autouse=True)
def _secrets(settings):
    settings.EXCHANGE_SECRETS = SECRETS
    settings.EXCHANGE_HTTP_TIMEOUT = 1.0


@pytest.fixture
def viid():
    fake = FakeViid(username="community", password="s3cret").start()
    yield fake
    fake.stop()


def _event(n: int, *, at=None, **kwargs) -> EventIn:
    at = at or timezone.now().replace(microsecond=0) - dt.timedelta(seconds=n)
    return EventIn(key=f"ev-{n}", occurred_at=at, result="granted", direction="in", method="card", **kwargs)


def _gate_system(estate, fake=None, category="gate_passage"):
    system = ExternalSystemFactory(
        estate=estate, endpoint=fake.url if fake else "http://127.0.0.1:9/", extensions=["DoorInfos"]
    )
    DataGrantFactory(system=system, category=category)
    return system


@pytest.mark.django_db(transaction=True)
def test_an_autocommitted_single_event_is_queued_by_its_own_statement_and_sent_once(estate_a, viid):
    # transaction=True: nothing wraps the ingest, so on PostgreSQL the event is stored by the
    # one autocommitted INSERT of the fast path; its queue row must have committed with it.
    system = _gate_system(estate_a, viid)
    device = DeviceFactory(estate=estate_a, gate__name="东门", name="东门闸机")
    resident = ResidentFactory(
        estate=estate_a, name="王五", phone="+8613800009876", id_number="110101199003079999"
    )
    card = CredentialFactory(resident=resident)
    event = _event(1, credential_kind="card", credential_value=card.value)

    first = access_events_ingest(device=device, events=[event])
    again = access_events_ingest(device=device, events=[event])  # a device retry
    assert (first.accepted, again.duplicates) == (1, 1)
    assert list(PassageQueued.objects.values_list("event_id", flat=True)) == [first.rows[0]["id"]]

    assert passages.gate_passages_relay_all(by="system:test") == 1
    assert not PassageQueued.objects.exists()
    [record] = OutboxRecord.objects.filter(category="gate_passage")
    assert record.payload["gate"] == "东门" and record.payload["person_name"] == "王五"

    # Committed, so the delivery job queued after the commit (eager in tests) has sent it.
    assert Delivery.objects.get(system=system).status == DeliveryStatus.DELIVERED
    [door] = viid.applied.values()
    assert door["DeviceID"] == system.device_id and door["Direction"] == "in" and door["OpenType"] == "card"
    assert door["Name"] == "王*" and door["Mobile"] == "138****9876"  # masked by default
    # Relaying and delivering again changes nothing on either side.
    assert passages.gate_passages_relay_all(by="system:test") == 0
    assert services.system_deliver(system=system, by="system:test").delivered == 0
    assert len(viid.applied) == 1 and viid.duplicates == 0


@pytest.mark.django_db
def test_a_large_batch_is_queued_whole_and_relayed_in_batches_exactly_once(estate_a):
    system = _gate_system(estate_a)
    device = DeviceFactory(estate=estate_a)
    events = [_event(n) for n in range(45)]  # over SMALL_BATCH: the staging-table path
    assert access_events_ingest(device=device, events=events).accepted == 45
    assert PassageQueued.objects.count() == 45

    taken, written = passages.gate_passages_relay(by="system:test", limit=20)
    assert (taken, written) == (20, 20)
    assert passages.gate_passages_relay_all(by="system:test") == 25
    assert OutboxRecord.objects.filter(category="gate_passage").count() == 45
    assert Delivery.objects.filter(system=system, status=DeliveryStatus.PENDING).count() == 45
    ids = set(AccessEvent.objects.values_list("pk", flat=True))
    assert {int(r) for r in OutboxRecord.objects.values_list("source_ref", flat=True)} == ids


@pytest.mark.django_db
def test_an_ingest_rolled_back_by_its_caller_queues_nothing(estate_a):
    _gate_system(estate_a)
    device = DeviceFactory(estate=estate_a)
    with pytest.raises(RuntimeError), transaction.atomic():
        access_events_ingest(device=device, events=[_event(1), _event(2)])
        raise RuntimeError("the caller fails after the events were written")
    assert not AccessEvent.objects.exists() and not PassageQueued.objects.exists()


@pytest.mark.django_db
def test_a_queued_id_seen_again_writes_no_second_record(estate_a):
    # Whatever repeats a queue row (an operator's replay, a restore), the outbox's unique cause
    # keeps one record and one delivery per destination.
    system = _gate_system(estate_a)
    device = DeviceFactory(estate=estate_a)
    stored = access_events_ingest(device=device, events=[_event(1)])
    passages.gate_passages_relay_all(by="system:test")
    PassageQueued.objects.create(event_id=stored.rows[0]["id"])
    assert passages.gate_passages_relay_all(by="system:test") == 0
    assert OutboxRecord.objects.count() == 1 and Delivery.objects.filter(system=system).count() == 1
    assert not PassageQueued.objects.exists()


@pytest.mark.django_db
def test_passages_stay_in_their_estate_and_ungranted_estates_keep_no_copy(estate_a, estate_b):
    system_b = _gate_system(estate_b)
    _gate_system(estate_a, category="resident_change")  # a destination, but not for passages
    access_events_ingest(device=DeviceFactory(estate=estate_a), events=[_event(1), _event(2)])
    access_events_ingest(device=DeviceFactory(estate=estate_b), events=[_event(3)])
    assert passages.gate_passages_relay_all(by="system:test") == 1
    [record] = OutboxRecord.objects.all()
    assert record.estate_id == estate_b.pk
    assert list(Delivery.objects.values_list("system_id", flat=True)) == [system_b.pk]
    assert not PassageQueued.objects.exists()  # estate A's ids were drained, not kept


@pytest.mark.django_db
def test_the_relay_costs_the_same_queries_for_5_or_60_passages(estate_a):
    _gate_system(estate_a)
    device = DeviceFactory(estate=estate_a)
    resident = ResidentFactory(estate=estate_a)
    card = CredentialFactory(resident=resident)

    def relay_queries(n, offset):
        events = [_event(offset + i, credential_kind="card", credential_value=card.value) for i in range(n)]
        access_events_ingest(device=device, events=events)
        with CaptureQueriesContext(connection) as ctx:
            assert passages.gate_passages_relay(by="system:test") == (n, n)
        return len(ctx)

    assert relay_queries(5, 0) == relay_queries(60, 100)


# --- car passages -------------------------------------------------------------------------------


@pytest.fixture
def lane(estate_a):
    lot = LotFactory(estate=estate_a, name="地面停车场")
    return LaneFactory(lot=lot, direction=LaneDirection.IN, device__name="入口相机")


def _read(plate="浙A12345", key="p-1", **kwargs):
    return PlateRead(plate_as_read=plate, device_key=key, colour="blue", **kwargs)


@pytest.mark.django_db
def test_a_car_passage_is_written_with_the_read_and_sent_once_as_a_motor_vehicle(estate_a, lane, viid):
    system = ExternalSystemFactory(estate=estate_a, endpoint=viid.url, extensions=[])
    DataGrantFactory(system=system, category="car_passage")

    plate_read_record(device=lane.device, read=_read())
    plate_read_record(device=lane.device, read=_read())  # the camera resends: a duplicate
    [record] = OutboxRecord.objects.filter(category="car_passage")
    assert record.payload["plate"] == "浙A12345" and record.payload["lot"] == "地面停车场"
    assert record.payload["direction"] == "in" and record.payload["decision"] == "temporary"

    assert services.system_deliver(system=system, by="system:test").delivered == 1
    [vehicle] = viid.applied.values()
    assert (
        vehicle["PlateNo"] == "浙A12345"
        and vehicle["PlateColor"] == "5"
        and len(vehicle["MotorVehicleID"]) == 48
    )
    assert services.system_deliver(system=system, by="system:test").delivered == 0
    assert len(viid.applied) == 1


@pytest.mark.django_db
def test_a_car_passage_rolled_back_with_its_read_leaves_no_record(estate_a, lane):
    DataGrantFactory(system=ExternalSystemFactory(estate=estate_a), category="car_passage")
    with pytest.raises(RuntimeError), transaction.atomic():
        plate_read_record(device=lane.device, read=_read())
        raise RuntimeError("the endpoint fails before answering")
    assert not OutboxRecord.objects.exists()


@pytest.mark.django_db
def test_car_passages_of_an_estate_without_a_grant_are_not_copied(estate_a, estate_b, lane):
    DataGrantFactory(system=ExternalSystemFactory(estate=estate_b), category="car_passage")
    plate_read_record(device=lane.device, read=_read())
    assert not OutboxRecord.objects.exists()
