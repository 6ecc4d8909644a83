"""PostgreSQL: the same plate at the entry and exit cameras at once leaves one consistent
session; the same read at two endpoints at once is stored and acted on once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from parking.models import PlateEvent, Session
from parking.plates import normalise_plate
from parking.protocols.base import PlateRead
from parking.services import plate_read_record
from parking.transitions import LIVE_STATUSES

pytestmark = [pytest.mark.django_db(transaction=True)]


def _at_once(calls):
    barrier = threading.Barrier(len(calls))
    errors = []

    def run(call):
        try:
            barrier.wait()
            call()
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return errors


@pytest.fixture
def pg():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL")


@pytest.mark.parametrize("round_", range(3))
def test_entry_and_exit_at_once_leave_one_consistent_session(pg, lanes, round_):
    entry, exit_ = lanes
    plate = f"鄂C7{round_:04d}"
    errors = _at_once(
        [
            lambda: plate_read_record(device=entry.device, read=PlateRead(plate, device_key=f"e{round_}")),
            lambda: plate_read_record(device=exit_.device, read=PlateRead(plate, device_key=f"x{round_}")),
        ]
    )
    assert errors == []
    sessions = list(Session.objects.filter(plate=normalise_plate(plate)))
    # Either order is a consistent story: entry then exit (one closed stay), or exit without
    # entry (closed) then entry (one live stay). Never two live stays, never a crash.
    assert len([s for s in sessions if s.status in LIVE_STATUSES]) <= 1
    assert 1 <= len(sessions) <= 2
    events = PlateEvent.objects.filter(plate=normalise_plate(plate))
    assert events.count() == 2 and all(e.session_id for e in events)


def test_same_read_at_two_endpoints_at_once_is_stored_once(pg, lanes):
    entry, _ = lanes
    read = lambda: plate_read_record(device=entry.device, read=PlateRead("鄂C88888", device_key="4242"))  # noqa: E731
    errors = _at_once([read, read, read])
    assert errors == []
    assert PlateEvent.objects.filter(device_key="4242").count() == 1
    assert Session.objects.filter(plate="鄂C88888").count() == 1
