"""One bad event in a device batch is rejected on its own (by index for the native API, kept raw
for ZKTeco), and the valid events beside it are stored (issue 15, item 12)."""

from __future__ import annotations

import json

import pytest

from access.models import AccessEvent, RawDeviceMessage
from tests.factories import DeviceFactory, ResidentFactory

pytestmark = pytest.mark.django_db
SN = "ZKBATCH001"


def _event(event_id: str, **extra) -> dict:
    return {"event_id": event_id, "occurred_at": "2026-11-20T08:00:00+08:00", "result": "granted", **extra}


@pytest.mark.parametrize(
    "bad",
    [
        {"gate": 2**63},
        {"gate": -(2**63) - 1},
        {"occurred_at": "2026-11-20T08:00:00+18:00"},
        {"occurred_at": "2026-11-20T08:00:00-23:59"},
        {"credential": {"type": "employee_no", "value": "9" * 20}},
    ],
    ids=["gate 2**63", "gate below bigint", "offset +18:00", "offset -23:59", "20-digit PIN"],
)
def test_a_bad_event_is_rejected_by_index_and_the_rest_stored(native_device, native_post, bad):
    events = [
        _event("good-1"),
        _event("bad", **bad),
        _event("good-2", occurred_at="2026-11-20T08:00:01+08:00"),
    ]
    response = native_post("/api/v1/devices/events", {"events": events})
    assert response.status_code == 200, response.content
    body = response.json()
    stored = set(AccessEvent.objects.values_list("idempotency_key", flat=True))
    assert {"good-1", "good-2"} <= stored
    if "bad" not in stored:  # a value the platform can store faithfully is not a bad event
        assert [r["index"] for r in body["rejected"]] == [1]
    assert body["accepted"] == len(stored)


def test_a_zkteco_line_with_a_20_digit_pin_does_not_sink_its_batch(estate_a, gate_a, device_client):
    DeviceFactory(estate=estate_a, gate=gate_a, protocol="zkteco", serial_number=SN, token=None)
    resident = ResidentFactory(estate=estate_a)
    body = (
        f"{resident.pk}\t2026-11-20 08:00:00\t0\t15\t0\t0\t0\n"
        f"{'9' * 20}\t2026-11-20 08:00:01\t0\t15\t0\t0\t0\n"
        f"{resident.pk}\t2026-11-20 08:00:02\t0\t15\t0\t0\t0\n"
    )
    response = device_client.post(
        f"/iclock/cdata?SN={SN}&table=ATTLOG&Stamp=1", data=body.encode(), content_type="text/plain"
    )
    assert response.status_code == 200 and response.content == b"OK"
    assert AccessEvent.objects.filter(resident=resident).count() == 2
    assert AccessEvent.objects.count() == 3  # the long PIN is stored as presented, with no resident
    assert not RawDeviceMessage.objects.exists()


def test_a_hikvision_event_with_a_huge_employee_number_is_stored(estate_a, gate_a, device_client):
    token = "hik-batch-token-0001"
    DeviceFactory(estate=estate_a, gate=gate_a, protocol="hikvision", token=token)
    event = {
        "eventType": "AccessControllerEvent",
        "dateTime": "2026-11-20T08:00:00+08:00",
        "AccessControllerEvent": {
            "majorEventType": 5,
            "subEventType": 75,
            "employeeNoString": "9" * 20,
            "serialNo": 7,
        },
    }
    response = device_client.post(
        f"/isapi/{token}/events", data=json.dumps(event), content_type="application/json"
    )
    assert response.status_code == 200
    assert AccessEvent.objects.count() == 1


def test_a_zkteco_line_too_long_to_store_is_kept_raw_and_the_rest_stored(estate_a, gate_a, device_client):
    DeviceFactory(estate=estate_a, gate=gate_a, protocol="zkteco", serial_number=SN, token=None)
    body = (
        "1001\t2026-11-20 08:00:00\t0\t15\t0\t0\t0\n"
        f"{'7' * 65}\t2026-11-20 08:00:01\t0\t15\t0\t0\t0\n"  # a PIN longer than the column
        "1002\t2026-11-20 08:00:02\t0\t15\t0\t0\t0\n"
    )
    response = device_client.post(
        f"/iclock/cdata?SN={SN}&table=ATTLOG&Stamp=1", data=body.encode(), content_type="text/plain"
    )
    assert response.content == b"OK"
    assert sorted(AccessEvent.objects.values_list("credential_value", flat=True)) == ["1001", "1002"]
    kept = RawDeviceMessage.objects.get()
    assert "line 2" in kept.error and kept.status == "pending"
