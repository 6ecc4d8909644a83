"""The native JSON device API: what a device sends, what is stored, what it is answered."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from access.models import AccessEvent, Device, RawDeviceMessage
from tests.access.conftest import NATIVE_TOKEN
from tests.factories import CredentialFactory, DeviceFactory, GateFactory, ResidentFactory

EVENTS = "/api/v1/devices/events"
HEARTBEAT = "/api/v1/devices/heartbeat"

pytestmark = pytest.mark.django_db


def event(n: int, *, at: dt.datetime | None = None, **extra) -> dict:
    at = at or timezone.now().replace(microsecond=0)
    return {
        "event_id": f"e-{n}",
        "occurred_at": at.isoformat(),
        "direction": "in",
        "method": "card",
        "result": "granted",
        **extra,
    }


def test_one_event_is_stored_with_device_gate_and_estate(native_device, native_post):
    response = native_post(EVENTS, event(1))
    assert response.status_code == 200
    assert response.json() == {"accepted": 1, "duplicates": 0, "rejected": []}
    stored = AccessEvent.objects.get()
    assert (stored.device, stored.gate, stored.estate) == (
        native_device,
        native_device.gate,
        native_device.estate,
    )
    assert stored.idempotency_key == "e-1" and stored.result == "granted" and stored.method == "card"
    assert not stored.replayed and not stored.clock_skewed


def test_batch_with_one_malformed_event_keeps_the_good_ones_and_the_raw_message(native_device, native_post):
    batch = {
        "events": [event(1), {"event_id": "e-2", "occurred_at": "yesterday", "result": "maybe"}, event(3)]
    }
    response = native_post(EVENTS, batch)
    assert response.status_code == 200
    body = response.json()
    assert (body["accepted"], body["duplicates"]) == (2, 0)
    assert [(r["index"], r["event_id"]) for r in body["rejected"]] == [(1, "e-2")]
    assert set(body["rejected"][0]["errors"]) == {"occurred_at", "result"}
    assert sorted(AccessEvent.objects.values_list("idempotency_key", flat=True)) == ["e-1", "e-3"]
    raw = RawDeviceMessage.objects.get()
    assert raw.device == native_device and raw.status == "pending" and b'"yesterday"' in bytes(raw.body)
    assert "occurred_at" in raw.error


def test_replayed_batch_is_stored_once_and_counted_as_duplicates(native_device, native_post):
    batch = {"events": [event(n) for n in range(5)]}
    assert native_post(EVENTS, batch).json()["accepted"] == 5
    again = native_post(EVENTS, {"events": batch["events"] + [event(5)]}).json()
    assert again == {"accepted": 1, "duplicates": 5, "rejected": []}
    assert AccessEvent.objects.count() == 6


def test_the_same_event_twice_in_one_batch_is_one_row(native_device, native_post):
    one = event(1)
    answer = native_post(EVENTS, {"events": [one, dict(one)]}).json()
    assert answer == {"accepted": 1, "duplicates": 1, "rejected": []}


def test_more_than_1000_events_is_413_and_stores_nothing(native_device, native_post):
    response = native_post(EVENTS, {"events": [event(n) for n in range(1001)]})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "batch_too_large"
    assert not AccessEvent.objects.exists()


def test_exactly_1000_events_are_accepted(native_device, native_post):
    assert native_post(EVENTS, {"events": [event(n) for n in range(1000)]}).json()["accepted"] == 1000


def test_body_that_is_not_json_is_400_and_kept_raw(native_device, native_post):
    response = native_post(EVENTS, b"\x00not json", raw=True)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"
    assert RawDeviceMessage.objects.get().body == b"\x00not json"


@pytest.mark.parametrize(("token", "status"), [(None, 401), ("wrong-token-xxxxxxxx", 401)])
def test_device_without_a_valid_token_is_refused(native_device, native_post, token, status):
    response = native_post(EVENTS, event(1), token=token)
    assert response.status_code == status
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert not AccessEvent.objects.exists()


def test_unapproved_device_is_refused(estate_a, native_post):
    DeviceFactory(estate=estate_a, token="pending-device-token", approved=False)
    assert native_post(EVENTS, event(1), token="pending-device-token").status_code == 403
    assert not AccessEvent.objects.exists()


def test_a_user_session_is_not_a_device(native_device, client_for, manager_a):
    client = client_for(manager_a)
    response = client.post(EVENTS, data=event(1), content_type="application/json")
    assert response.status_code in (401, 403)


def test_offline_batch_with_old_times_is_stored_flagged_replayed(native_device, native_post):
    old = (timezone.now() - dt.timedelta(days=3)).replace(microsecond=0)
    answer = native_post(EVENTS, {"events": [event(1, at=old), event(2, replayed=True)]}).json()
    assert answer["accepted"] == 2
    assert set(AccessEvent.objects.values_list("idempotency_key", "replayed")) == {
        ("e-1", True),
        ("e-2", True),
    }
    assert AccessEvent.objects.get(idempotency_key="e-1").occurred_at == old


def test_device_clock_ahead_is_flagged_not_rewritten(native_device, native_post):
    ahead = (timezone.now() + dt.timedelta(hours=1)).replace(microsecond=0)
    native_post(EVENTS, event(1, at=ahead))
    stored = AccessEvent.objects.get()
    assert stored.clock_skewed and stored.occurred_at == ahead


def test_naive_time_is_read_in_the_device_time_zone(native_device, native_post):
    native_device.time_zone = "Asia/Shanghai"
    native_device.save()
    native_post(EVENTS, {"event_id": "n1", "occurred_at": "2026-11-20T08:00:00", "result": "denied"})
    assert AccessEvent.objects.get().occurred_at == dt.datetime(2026, 11, 20, 0, 0, tzinfo=dt.UTC)


def test_credential_resolves_to_the_resident(native_device, native_post, estate_a):
    resident = ResidentFactory(estate=estate_a)
    credential = CredentialFactory(resident=resident, value="0012345678")
    native_post(EVENTS, event(1, credential={"type": "card", "value": "0012345678"}))
    stored = AccessEvent.objects.get()
    assert (stored.resident, stored.credential, stored.credential_value) == (
        resident,
        credential,
        "0012345678",
    )


def test_credential_of_another_estate_does_not_resolve(native_device, native_post, estate_b):
    CredentialFactory(resident=ResidentFactory(estate=estate_b), value="555")
    native_post(EVENTS, event(1, credential={"type": "card", "value": "555"}))
    assert AccessEvent.objects.get().resident is None


def test_gate_of_another_estate_is_rejected(native_device, native_post, estate_b, gate_a):
    other = GateFactory(estate=estate_b)
    answer = native_post(EVENTS, {"events": [event(1, gate=other.pk), event(2, gate=gate_a.pk)]}).json()
    assert answer["accepted"] == 1
    assert [(r["index"], r["event_id"], set(r["errors"])) for r in answer["rejected"]] == [
        (0, "e-1", {"gate"})
    ]


def test_heartbeat_marks_the_device_online(native_device, device_client):
    response = device_client.post(
        HEARTBEAT,
        data={"firmware": "1.2"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {NATIVE_TOKEN}",
    )
    assert response.status_code == 200 and response.json()["status"] == "ok"
    device = Device.objects.get(pk=native_device.pk)
    assert device.online and device.last_seen_at is not None
    assert device.state["heartbeat"] == {"firmware": "1.2"}


def test_events_are_published_to_the_estate_feed_after_commit(
    native_device, native_post, feed, django_capture_on_commit_callbacks
):
    received = feed(f"estate.{native_device.estate_id}.access")
    with django_capture_on_commit_callbacks(execute=True):
        native_post(EVENTS, {"events": [event(1), event(2, result="denied")]})
    messages = [m for m in received() if m["type"] == "access.events"]
    assert len(messages) == 1
    assert [e["result"] for e in messages[0]["events"]] == ["granted", "denied"]
    assert messages[0]["events"][0]["gate"] == "南门"


def test_nothing_is_published_for_a_replayed_batch(
    native_device, native_post, feed, django_capture_on_commit_callbacks
):
    one = event(1)
    native_post(EVENTS, one)
    received = feed(f"estate.{native_device.estate_id}.access")
    with django_capture_on_commit_callbacks(execute=True):
        native_post(EVENTS, one)
    assert [m for m in received() if m["type"] == "access.events"] == []


def test_large_replayed_batch_is_stored_once(native_device, native_post):
    batch = {"events": [event(n) for n in range(300)]}
    assert native_post(EVENTS, batch).json() == {"accepted": 300, "duplicates": 0, "rejected": []}
    mixed = {"events": batch["events"][:150] + [event(n) for n in range(300, 330)]}
    assert native_post(EVENTS, mixed).json() == {"accepted": 30, "duplicates": 150, "rejected": []}
    assert AccessEvent.objects.count() == 330
