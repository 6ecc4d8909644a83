"""Kept raw Vzenith messages replay through the same parser and service as the live endpoint
(access's replay, as for gates): stored once, as history, never lifting a barrier."""

from __future__ import annotations

import json

import pytest

from access.inbound import Inbound
from access.models import AccessAudit, Protocol, RawStatus
from access.replay import raw_message_replay
from access.services import raw_message_keep
from parking.models import PlateEvent, Session

from .conftest import alarm

pytestmark = pytest.mark.django_db


def _kept(device, body: bytes, error="parser could not read it then"):
    return raw_message_keep(
        device=device,
        protocol=Protocol.VZENITH,
        inbound=Inbound("POST", "/lpr/vzenith/<token>", "", "application/json", body),
        error=error,
    )


def test_a_kept_read_replays_once_as_history(lanes, manager_a):
    entry, _exit = lanes
    message = _kept(entry.device, json.dumps(alarm("湘A20001", plateid=5150), ensure_ascii=False).encode())
    message = raw_message_replay(message=message, by=manager_a)
    assert message.status == RawStatus.PROCESSED, message.error
    event = PlateEvent.objects.get(plate="湘A20001")
    assert event.offline and not event.opened and event.device_key == "5150"
    assert Session.objects.get(plate="湘A20001").status == "open"  # the car did come in
    assert AccessAudit.objects.filter(raw_message=message, by_user=manager_a).exists()
    # Replayed again (or the camera's offline store sends the same plateid): stored once.
    again = _kept(entry.device, json.dumps(alarm("湘A20001", plateid=5150), ensure_ascii=False).encode())
    assert raw_message_replay(message=again, by=manager_a).status == RawStatus.PROCESSED
    assert PlateEvent.objects.filter(plate="湘A20001").count() == 1
    assert Session.objects.filter(plate="湘A20001").count() == 1


def test_a_body_still_not_understood_stays_kept_with_the_reason(lanes, manager_a):
    entry, _exit = lanes
    message = raw_message_replay(message=_kept(entry.device, b'{"AlarmInfoPlate": {"result": '), by=manager_a)
    assert message.status != RawStatus.PROCESSED
    assert "JSON" in message.error and message.attempts == 1
    assert not PlateEvent.objects.exists()
