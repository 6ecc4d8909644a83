"""Door devices and vehicle information (GA/T 1400 ``DoorDevices`` / ``CarInfos``): one record per
version, sent to a fake view library started here, each version applied once."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from access.models import Device
from exchange import registries, services
from exchange.fakes import FakeViid
from exchange.models import Delivery, DeliveryStatus, OutboxRecord
from parking.models import Vehicle
from tests.factories import (
    DataGrantFactory,
    DeviceFactory,
    ExternalSystemFactory,
    ResidentFactory,
    VehicleFactory,
)

pytestmark = pytest.mark.django_db

DOORS = "/VIID/Community/DoorDevices"
CARS = "/VIID/Community/CarInfos"


@pytest.fixture(autouse=True)
def _secrets(settings):
    settings.EXCHANGE_SECRETS = {"VIID_TEST": "community:s3cret"}
    settings.EXCHANGE_HTTP_TIMEOUT = 1.0


@pytest.fixture
def viid():
    fake = FakeViid(username="community", password="s3cret").start()
    yield fake
    fake.stop()


def _system(estate, fake, extensions=("DoorDevices", "CarInfos")):
    system = ExternalSystemFactory(estate=estate, endpoint=fake.url, extensions=list(extensions))
    DataGrantFactory(system=system, category="door_device", legal_basis="public_interest")
    DataGrantFactory(system=system, category="car_info")
    return system


def _sync(estate) -> int:
    return registries.registries_sync(estate=estate, by="system:test")


def _deliver(system) -> int:
    return services.system_deliver(system=system, by="system:test").delivered


def test_door_devices_and_vehicles_are_registered_then_only_changes_are_sent(estate_a, viid):
    system = _system(estate_a, viid)
    door = DeviceFactory(estate=estate_a, name="3栋单元门", gate__name="3栋", serial_number="ZK-001")
    DeviceFactory(estate=estate_a, approved=False)  # awaiting approval: not installed yet
    owner = ResidentFactory(
        estate=estate_a, name="赵六", phone="+8613900001111", id_number="420303198801011234"
    )
    car = VehicleFactory(estate=estate_a, plate="鄂C12345", colour="blue", owner=owner, approved=True)
    VehicleFactory(estate=estate_a, approved=False)

    assert _sync(estate_a) == 2
    assert _deliver(system) == 2
    assert viid.by_path == {DOORS: 1, CARS: 1}
    [device_obj] = [o for k, o in viid.applied.items() if len(k) == 20]
    assert device_obj["DeviceID"][:6] == system.device_id[:6] and device_obj["DeviceID"][10:13] == "139"
    assert (
        device_obj["Name"] == "3栋单元门" and device_obj["PlaceName"] == "3栋" and device_obj["Status"] == "1"
    )
    [car_obj] = [o for k, o in viid.applied.items() if len(k) == 48]
    assert car_obj["PlateNo"] == "鄂C12345" and car_obj["PlateColor"] == "5"
    assert car_obj["OwnerName"] == "赵*" and car_obj["OwnerMobile"] == "139****1111"  # masked by default

    # Nothing changed: nothing recorded, nothing sent.
    assert _sync(estate_a) == 0 and _deliver(system) == 0
    # A renamed door and a vehicle struck off: one new version each, the same objects overwritten.
    Device.objects.filter(pk=door.pk).update(name="3栋北门")
    Vehicle.objects.filter(pk=car.pk).update(approved=False)
    assert _sync(estate_a) == 2
    assert _deliver(system) == 2
    assert len(viid.applied) == 2 and viid.updates == 2 and viid.duplicates == 0
    assert viid.applied[device_obj["DeviceID"]]["Name"] == "3栋北门"
    assert viid.applied[car_obj["CarInfoID"]]["Status"] == "0"
    # Struck off once is said once.
    assert _sync(estate_a) == 0


def test_a_resent_version_is_not_applied_twice(estate_a, viid):
    system = _system(estate_a, viid)
    DeviceFactory(estate=estate_a)
    _sync(estate_a)
    assert _deliver(system) == 1
    services.deliveries_resend_from(system=system, from_record=1, by="system:test")
    assert _deliver(system) == 1
    assert len(viid.applied) == 1 and viid.duplicates == 1 and viid.updates == 0


def test_a_destination_without_the_extension_gets_nothing(estate_a, viid):
    system = _system(estate_a, viid, extensions=["DoorInfos"])
    DeviceFactory(estate=estate_a)
    _sync(estate_a)
    report = services.system_deliver(system=system, by="system:test")
    assert report.rejected == 1 and viid.received == 0
    assert Delivery.objects.get(system=system).status == DeliveryStatus.REJECTED


def test_only_the_estates_own_registry_leaves_and_only_where_granted(estate_a, estate_b, viid):
    _system(estate_a, viid)
    DeviceFactory(estate=estate_b, name="B门")
    VehicleFactory(estate=estate_b, approved=True)
    DeviceFactory(estate=estate_a, name="A门")
    assert registries.registries_sync_all(by="system:test") == 1  # estate B has no destination
    [record] = OutboxRecord.objects.all()
    assert record.estate_id == estate_a.pk and record.payload["name"] == "A门"


def test_the_sync_costs_the_same_queries_for_3_or_30_devices(estate_a, viid):
    _system(estate_a, viid)

    def cost(n):
        DeviceFactory.create_batch(n, estate=estate_a)
        VehicleFactory.create_batch(n, estate=estate_a, approved=True)
        with CaptureQueriesContext(connection) as ctx:
            assert _sync(estate_a) == 2 * n
        return len(ctx)

    assert cost(3) == cost(30)
