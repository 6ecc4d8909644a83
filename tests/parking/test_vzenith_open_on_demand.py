"""Staff open a Vzenith lane from the live screen: the camera cannot be reached, so the order
rides in the answer to its next comet poll (``Response_AlarmInfoPlate`` info "ok", the vendor's
barrier answer), once, and only while it is fresh. The poll is the vendor's multipart form;
a JSON ``{"heartbeat": …}`` is accepted too."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from parking.models import BarrierRequest, GateAction, PlateEvent
from parking.services.devices import barrier_requests_expire

from .conftest import ENTRY_TOKEN, EXIT_TOKEN, alarm

pytestmark = pytest.mark.django_db

HEARTBEAT = {"heartbeat": {"countid": 12, "timeStamp": {"Timeval": {"sec": 1764208800, "usec": 0}}}}


# The vendor's heartbeat / comet poll: multipart/form-data text fields (HTTP push protocol 2.5).
BOUNDARY = "------------------------caa771fe4a61f3d9"
FIELDS = {
    "device_name": "IVS",
    "ipaddr": "192.168.109.40",
    "port": "80",
    "user_name": "admin",
    "pass_wd": "admin",
    "serialno": "d85b1269-8f942256",
    "channel_num": "1",
}
MULTIPART_HEARTBEAT = (
    "".join(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
        for k, v in FIELDS.items()
    )
    + f"--{BOUNDARY}--\r\n"
).encode()


def heartbeat(camera_client, token=ENTRY_TOKEN, *, form=True) -> dict:
    if form:
        response = camera_client.post(
            f"/lpr/vzenith/{token}",
            data=MULTIPART_HEARTBEAT,
            content_type=f"multipart/form-data; boundary={BOUNDARY}",
        )
    else:
        response = camera_client.post(
            f"/lpr/vzenith/{token}", data=json.dumps(HEARTBEAT), content_type="application/json"
        )
    assert response.status_code == 200, response.content
    return response.json()["Response_AlarmInfoPlate"]


def test_staff_open_reaches_the_camera_in_its_next_heartbeat_once(
    lanes, vz, camera_client, client_for, security_a, entry_lane
):
    vz(alarm("_无_"))  # a car without a plate waits at the entry
    event = PlateEvent.objects.get()
    assert heartbeat(camera_client)["info"] == "no"  # nothing asked yet
    response = client_for(security_a).post(
        f"/staff/parking/lanes/{entry_lane.pk}/open/", {"reason": "无牌车，业主来访", "event": event.pk}
    )
    assert response.status_code in (200, 302)
    # The other lane's camera is not told to open.
    assert heartbeat(camera_client, EXIT_TOKEN)["info"] == "no"
    assert heartbeat(camera_client)["info"] == "ok"
    assert heartbeat(camera_client, form=False)["info"] == "no"  # once
    delivered = GateAction.objects.get(kind="barrier_call")
    assert delivered.ok and delivered.by == f"user:{security_a.pk}" and delivered.lane == entry_lane
    assert BarrierRequest.objects.get().delivered_at is not None


def test_an_open_the_camera_never_asked_for_is_dropped_and_shown(
    lanes, camera_client, client_for, security_a, entry_lane
):
    client = client_for(security_a)
    client.post(f"/staff/parking/lanes/{entry_lane.pk}/open/", {"reason": "访客"})
    request = BarrierRequest.objects.get()
    # The camera is offline: a minute later the periodic job drops the order and says so.
    assert barrier_requests_expire(now=timezone.now() + dt.timedelta(minutes=1)) == 1
    failed = GateAction.objects.get(kind="barrier_call")
    assert not failed.ok and failed.by == f"user:{security_a.pk}"
    request.refresh_from_db()
    assert request.expired and request.delivered_at is None
    # When it comes back, its heartbeat does not lift the barrier for a car long gone.
    assert heartbeat(camera_client)["info"] == "no"
    assert "open it at the booth" in client.get("/staff/parking/").content.decode()


def test_a_stale_open_is_not_delivered_by_a_late_heartbeat(
    lanes, camera_client, client_for, security_a, entry_lane
):
    client_for(security_a).post(f"/staff/parking/lanes/{entry_lane.pk}/open/", {"reason": "访客"})
    BarrierRequest.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert heartbeat(camera_client)["info"] == "no"
    assert BarrierRequest.objects.get().expired


def test_only_booth_staff_of_the_estate_can_open(lanes, client_for, manager_b, entry_lane, camera_client):
    client_for(manager_b).post(f"/staff/parking/lanes/{entry_lane.pk}/open/", {"reason": "x"})
    assert not BarrierRequest.objects.exists()
    assert heartbeat(camera_client)["info"] == "no"
