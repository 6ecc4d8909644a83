"""A camera with a wrong clock: decisions go by the server's time, the camera's time is kept as
it sent it, and the read is flagged so staff set the clock (never rewritten)."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

import pytest
from django.utils import timezone

from parking.models import PlateEvent, Session

from .conftest import EXIT_TOKEN, alarm, response_of

pytestmark = pytest.mark.django_db

HOUR = 3600


@pytest.mark.parametrize("off_by", [-3 * HOUR, 26 * HOUR], ids=["3h-behind", "a-day-ahead"])
def test_a_skewed_camera_is_decided_by_server_time_and_flagged(lanes, vz, off_by, client_for, security_a):
    before = timezone.now()
    _s, answer = vz(alarm("湘A12345", sec=int(time.time()) + off_by))
    assert response_of(answer)["info"] == "ok"
    event = PlateEvent.objects.get(plate="湘A12345")
    assert event.clock_skewed is True
    # Kept as the camera sent it...
    assert abs((event.device_time - before).total_seconds() - off_by) < 5
    # ...and the stay starts at the server's time.
    session = Session.objects.get(plate="湘A12345")
    assert before <= session.entered_at <= timezone.now()
    # Within the free minutes by the server's clock: nothing to pay, whatever the camera says.
    _s, answer = vz(alarm("湘A12345", sec=int(time.time()) + off_by), token=EXIT_TOKEN)
    assert response_of(answer)["info"] == "ok"
    session.refresh_from_db()
    assert session.fee == Decimal("0.00") and session.status == "closed"
    page = client_for(security_a).get("/staff/parking/").content.decode()
    assert "camera clock wrong" in page or "相机时钟不准" in page


def test_a_camera_on_time_is_not_flagged(lanes, vz):
    vz(alarm("湘A12346", sec=int(time.time()) - 3))
    assert PlateEvent.objects.get(plate="湘A12346").clock_skewed is False


def test_an_offline_record_is_old_by_nature_but_not_from_the_future(lanes, vz):
    vz(alarm("湘A12347", offline=1, sec=int(time.time()) - 5 * HOUR))
    assert PlateEvent.objects.get(plate="湘A12347").clock_skewed is False
    vz(alarm("湘A12348", offline=1, sec=int(time.time()) + 5 * HOUR))
    event = PlateEvent.objects.get(plate="湘A12348")
    assert event.clock_skewed is True
    # A stay never starts in the future: the replayed entry is placed at the server's time.
    session = Session.objects.get(plate="湘A12348")
    assert session.entered_at <= timezone.now() < event.device_time - dt.timedelta(hours=4)
