"""Hikvision ISAPI event notifications: multipart with a face picture, bare JSON and XML,
heartbeats, retransmissions."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from access.models import AccessEvent, Device, RawDeviceMessage
from tests.factories import CredentialFactory, DeviceFactory, ResidentFactory

pytestmark = pytest.mark.django_db
TOKEN = "hik-test-token-000001"
URL = f"/isapi/{TOKEN}/events"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


@pytest.fixture
def hik(estate_a, gate_a):
    return DeviceFactory(estate=estate_a, gate=gate_a, protocol="hikvision", token=TOKEN)


def notification(serial=139, minor=75, **extra):
    ace = {
        "majorEventType": 5,
        "subEventType": minor,
        "employeeNoString": "001",
        "cardNo": "",
        "name": "张三",
        "cardReaderNo": 1,
        "serialNo": serial,
        "frontSerialNo": serial - 1,
        "currentVerifyMode": "cardOrFace",
        "attendanceStatus": "undefined",
        "mask": "no",
    }
    ace.update(extra.pop("ace", {}))
    return {
        "ipAddress": "192.168.1.11",
        "portNo": 80,
        "protocol": "HTTP",
        "macAddress": "a4:d5:c2:24:dd:74",
        "channelID": 1,
        "dateTime": "2026-11-20T13:43:48+08:00",
        "activePostCount": 1,
        "eventType": "AccessControllerEvent",
        "eventState": "active",
        "AccessControllerEvent": ace,
        **extra,
    }


def multipart(document: dict, *, image: bytes | None = JPEG, part_name="event_log") -> tuple[bytes, str]:
    boundary = "MIME_boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{part_name}"\r\n'
        f"Content-Type: application/json\r\n\r\n{json.dumps(document, ensure_ascii=False)}\r\n".encode()
    ]
    if image is not None:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="Picture"; filename="face.jpg"\r\n'
            f"Content-Type: image/jpeg\r\n\r\n".encode()
            + image
            + b"\r\n"
        )
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def post_multipart(client, document, **kwargs):
    body, content_type = multipart(document, **kwargs)
    return client.post(URL, data=body, content_type=content_type)


def test_multipart_face_pass_with_picture_is_stored_with_its_snapshot(hik, device_client, estate_a):
    resident = ResidentFactory(estate=estate_a)
    CredentialFactory(resident=resident, kind="employee_no", value="001")
    response = post_multipart(device_client, notification())
    assert response.status_code == 200
    event = AccessEvent.objects.get()
    assert (event.method, event.result, event.vendor_code, event.idempotency_key) == (
        "face",
        "granted",
        "5/75",
        "hik:139",
    )
    assert event.occurred_at == dt.datetime(2026, 11, 20, 5, 43, 48, tzinfo=dt.UTC)
    assert event.resident == resident
    assert event.snapshot.name and event.snapshot.read() == JPEG


def test_the_same_serial_no_is_stored_once(hik, device_client):
    post_multipart(device_client, notification())
    assert post_multipart(device_client, notification()).status_code == 200
    assert AccessEvent.objects.count() == 1


def test_retransmitted_events_are_stored_flagged_and_not_published(
    hik, device_client, feed, django_capture_on_commit_callbacks
):
    received = feed(f"estate.{hik.estate_id}.access")
    with django_capture_on_commit_callbacks(execute=True):
        post_multipart(device_client, notification(serial=140, isDataRetransmission=True), image=None)
        post_multipart(device_client, notification(serial=141, activePostCount=3), image=None)
    assert list(
        AccessEvent.objects.order_by("idempotency_key").values_list("idempotency_key", "replayed")
    ) == [("hik:140", True), ("hik:141", True)]
    published = [e for m in received() if m["type"] == "access.events" for e in m["events"]]
    assert all(e["replayed"] for e in published)


@pytest.mark.parametrize(
    ("minor", "method", "result"),
    [
        (0x01, "card", "granted"),
        (0x06, "card", "denied"),
        (0x4C, "face", "denied"),
        (0x9C, "qr", "granted"),
    ],
)
def test_minor_codes_map_to_method_and_result(hik, device_client, minor, method, result):
    device_client.post(
        URL,
        data=json.dumps(notification(minor=minor, ace={"cardNo": "123"})),
        content_type="application/json",
    )
    assert AccessEvent.objects.values_list("method", "result").get() == (method, result)


def test_heartbeat_updates_status_only(hik, device_client):
    heartbeat = {
        "ipAddress": "192.168.1.11",
        "dateTime": "2026-11-20T13:44:00+08:00",
        "activePostCount": 1,
        "eventType": "heartBeat",
        "eventState": "inactive",
        "eventDescription": "heartBeat",
    }
    assert (
        device_client.post(URL, data=json.dumps(heartbeat), content_type="application/json").status_code
        == 200
    )
    assert not AccessEvent.objects.exists()
    assert Device.objects.get(pk=hik.pk).online


def test_xml_body(hik, device_client):
    xml = """<?xml version="1.0" encoding="UTF-8"?>
<EventNotificationAlert version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema">
<ipAddress>192.168.1.11</ipAddress><dateTime>2026-11-20T13:43:48+08:00</dateTime><activePostCount>1</activePostCount>
<eventType>AccessControllerEvent</eventType><eventState>active</eventState>
<AccessControllerEvent><majorEventType>5</majorEventType><subEventType>1</subEventType>
<cardNo>44556677</cardNo><serialNo>200</serialNo></AccessControllerEvent></EventNotificationAlert>"""
    assert device_client.post(URL, data=xml.encode(), content_type="application/xml").status_code == 200
    event = AccessEvent.objects.get()
    assert (event.credential_value, event.idempotency_key, event.method) == ("44556677", "hik:200", "card")


def test_unparsable_or_unmapped_event_is_kept_raw_and_answered_200(hik, device_client):
    assert device_client.post(URL, data=b"{broken", content_type="application/json").status_code == 200
    assert (
        post_multipart(device_client, notification(minor=0x15)).status_code == 200
    )  # door unlocked: unmapped
    assert not AccessEvent.objects.exists()
    assert RawDeviceMessage.objects.filter(status="pending").count() == 2
    assert all(TOKEN not in m.path for m in RawDeviceMessage.objects.all())


def test_unknown_token_is_refused(hik, device_client):
    assert (
        device_client.post(
            "/isapi/not-a-token/events", data=b"{}", content_type="application/json"
        ).status_code
        == 401
    )


def test_unapproved_device_keeps_its_events_raw_but_not_its_heartbeats(hik, device_client):
    hik.approved = False
    hik.save()
    for second in range(3):  # a heartbeat every few seconds, each with a new time
        beat = {
            "ipAddress": "192.168.1.11",
            "dateTime": f"2026-11-20T13:44:0{second}+08:00",
            "activePostCount": 1,
            "eventType": "heartBeat",
            "eventState": "inactive",
            "eventDescription": "heartBeat",
        }
        assert (
            device_client.post(URL, data=json.dumps(beat), content_type="application/json").status_code == 403
        )
    assert post_multipart(device_client, notification(serial=300)).status_code == 403
    kept = RawDeviceMessage.objects.get()
    assert kept.status == "rejected" and b'"serialNo": 300' in bytes(kept.body)
    assert not AccessEvent.objects.exists()
