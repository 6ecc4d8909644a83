"""The fast paths of ingestion: single events outside a transaction, the device token cache,
and snapshot files that never outlive their rows."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from access import device_auth
from access.models import AccessEvent, Device
from access.partitions import partitions_drop_expired
from access.protocols.base import EventIn
from access.services import SNAPSHOT_DIR, access_events_ingest, merge_live_events
from tests.access.conftest import NATIVE_TOKEN

EVENTS = "/api/v1/devices/events"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def body(n: int) -> str:
    at = timezone.now().replace(microsecond=0).isoformat()
    return json.dumps(
        {"event_id": f"fast-{n}", "occurred_at": at, "direction": "in", "method": "face", "result": "granted"}
    )


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.mark.django_db(transaction=True)
def test_single_event_committed_without_a_transaction_is_stored_once_and_published(
    native_device, device_client, feed
):
    # transaction=True: nothing wraps the request, so on PostgreSQL the event is stored by one
    # autocommitted INSERT. It must be committed, counted exactly and published, as in a batch.
    received = feed(f"estate.{native_device.estate_id}.access")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {NATIVE_TOKEN}"}
    sent = body(1)  # the same bytes twice: a retry (body() stamps the current second)
    first = device_client.post(EVENTS, sent, content_type="application/json", **auth)
    again = device_client.post(EVENTS, sent, content_type="application/json", **auth)
    assert first.json() == {"accepted": 1, "duplicates": 0, "rejected": []}
    assert again.json() == {"accepted": 0, "duplicates": 1, "rejected": []}
    assert AccessEvent.objects.filter(device=native_device, idempotency_key="fast-1").count() == 1
    published = [m for m in received() if m["type"] == "access.events"]
    assert [m["total"] for m in published] == [1]
    assert Device.objects.get(pk=native_device.pk).online


@pytest.mark.django_db
def test_a_device_disabled_in_this_process_is_refused_at_once(native_device, native_post):
    assert native_post(EVENTS, json.loads(body(1))).status_code == 200  # now cached
    native_device.enabled = False
    native_device.save()
    assert native_post(EVENTS, json.loads(body(2))).status_code == 403


@pytest.mark.django_db
def test_a_change_made_by_another_process_is_seen_within_the_cache_window(
    native_device, native_post, monkeypatch
):
    assert native_post(EVENTS, json.loads(body(1))).status_code == 200
    # Another process (the admin on the other worker) disables the device: no signal here.
    Device.objects.filter(pk=native_device.pk).update(enabled=False)
    assert native_post(EVENTS, json.loads(body(2))).status_code == 200  # still inside the window
    later = device_auth.time.monotonic() + device_auth.DEVICE_CACHE_SECONDS + 0.1
    monkeypatch.setattr(device_auth.time, "monotonic", lambda: later)
    assert native_post(EVENTS, json.loads(body(3))).status_code == 403
    assert not AccessEvent.objects.filter(idempotency_key="fast-3").exists()


@pytest.mark.django_db
def test_unknown_tokens_are_not_cached(native_device, native_post):
    for n in range(3):
        assert native_post(EVENTS, json.loads(body(n)), token=f"no-such-token-{n:06d}").status_code == 401
    assert len(device_auth._device_cache) <= 1  # only the real device, if it was ever used


@pytest.mark.django_db(transaction=True)
def test_snapshot_files_are_removed_when_their_rows_do_not_land(native_device, media):
    gone = native_device.gate_id + 10_000  # a gate deleted meanwhile: the FK fails at commit
    events = [
        EventIn(
            key="snap-1",
            occurred_at=timezone.now(),
            result="granted",
            method="face",
            gate_id=gone,
            snapshot=ContentFile(JPEG),
        )
    ]
    with pytest.raises(IntegrityError):
        access_events_ingest(device=native_device, events=events)
    assert not AccessEvent.objects.filter(idempotency_key="snap-1").exists()
    assert [p for p in media.rglob("*") if p.is_file()] == []


@pytest.mark.django_db(transaction=True)
def test_stored_snapshots_keep_their_files(native_device, media):
    events = [
        EventIn(
            key="snap-2",
            occurred_at=timezone.now(),
            result="granted",
            method="face",
            snapshot=ContentFile(JPEG),
        )
    ]
    access_events_ingest(device=native_device, events=events)
    stored = AccessEvent.objects.get(idempotency_key="snap-2")
    assert stored.snapshot.name.startswith(f"{SNAPSHOT_DIR}/") and stored.snapshot.read() == JPEG


@pytest.mark.django_db
def test_retention_also_sweeps_snapshot_files_no_row_names(native_device, media, settings):
    settings.ACCESS_LOG_RETENTION_DAYS = 180
    now = timezone.now()
    old = now - dt.timedelta(days=400)
    orphan = default_storage.save(f"{SNAPSHOT_DIR}/{old:%Y/%m}/orphan.jpg", ContentFile(JPEG))
    recent = default_storage.save(f"{SNAPSHOT_DIR}/{now:%Y/%m}/recent.jpg", ContentFile(JPEG))
    result = partitions_drop_expired(now=now)
    assert not default_storage.exists(orphan)
    assert default_storage.exists(recent)
    assert result["deleted_snapshots"] >= 1


def test_queued_live_messages_of_an_estate_merge_into_one():
    a = {"type": "access.events", "events": [{"id": 1}], "total": 1}
    b = {"type": "access.events", "events": [{"id": n} for n in range(2, 60)], "total": 58}
    merged = merge_live_events(a, b)
    assert merged["total"] == 59
    assert [e["id"] for e in merged["events"]] == list(range(10, 60))  # the latest 50, in order
    assert merge_live_events(a, {"type": "device.status", "device": 1}) is None


@pytest.mark.django_db(transaction=True)
def test_events_stored_in_a_transaction_that_rolls_back_are_neither_kept_nor_published(native_device, feed):
    received = feed(f"estate.{native_device.estate_id}.access")
    events = [EventIn(key="rolled-back", occurred_at=timezone.now(), result="granted", method="card")]
    with pytest.raises(RuntimeError), transaction.atomic():
        access_events_ingest(device=native_device, events=events)
        raise RuntimeError("the caller fails after the ingest")
    assert not AccessEvent.objects.filter(idempotency_key="rolled-back").exists()
    assert received() == []
    assert connection.in_atomic_block is False


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's persistent connections")
@pytest.mark.django_db(transaction=True)
def test_a_gate_request_checks_its_connection_without_a_round_trip_and_survives_a_dead_one(
    native_device, native_post, db_health_checks
):
    """Django's health check sends SELECT 1 before each request's first query; the ingest
    looks at the socket instead, and a backend the server ended is still replaced before the
    events are stored (the gate gets its counts, not a 503)."""
    assert native_post(EVENTS, json.loads(body(1))).status_code == 200
    pid = connection.connection.info.backend_pid
    db_health_checks.new_request()
    assert native_post(EVENTS, json.loads(body(2))).json()["accepted"] == 1
    assert db_health_checks.calls == [] and connection.connection.info.backend_pid == pid

    db_health_checks.backend_terminate()
    db_health_checks.new_request()
    assert native_post(EVENTS, json.loads(body(3))).json()["accepted"] == 1
    assert db_health_checks.calls == [] and connection.connection.info.backend_pid != pid
    assert AccessEvent.objects.filter(device=native_device, idempotency_key="fast-3").exists()
