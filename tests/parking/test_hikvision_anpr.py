"""Hikvision ANPR: EventNotificationAlert multipart (XML + JPEGs), spool while the database is
away, barrier calls recorded."""

from __future__ import annotations

import pytest
from django.db import OperationalError

from access.models import RawDeviceMessage
from parking import spool
from parking.models import GateAction, Lane, LaneDirection, PlateEvent, Session
from tests.factories import LaneFactory, PlateCameraFactory

pytestmark = pytest.mark.django_db
TOKEN = "hik-anpr-token-000001"
URL = f"/isapi/{TOKEN}/anpr"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def anpr_xml(
    plate="浙A12345", uuid="8f1c0d3e-0001", colour="blue", retransmission="false", event_type="ANPR"
) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<EventNotificationAlert version="2.0" xmlns="http://www.hikvision.com/ver20/XMLSchema">
<ipAddress>192.168.1.64</ipAddress><portNo>80</portNo><protocol>HTTP</protocol>
<macAddress>a4:d5:c2:24:dd:74</macAddress><channelID>1</channelID>
<dateTime>2026-11-20T13:43:48+08:00</dateTime><activePostCount>1</activePostCount>
<eventType>{event_type}</eventType><eventState>active</eventState><eventDescription>ANPR</eventDescription>
<channelName>入口</channelName>
<ANPR><country>3</country><licensePlate>{plate}</licensePlate><line>1</line><direction>forward</direction>
<confidenceLevel>98</confidenceLevel><plateType>92TypeCivil</plateType><plateColor>{colour}</plateColor>
<licenseBright>0</licenseBright><vehicleType>vehicle</vehicleType><detectDir>8</detectDir></ANPR>
<UUID>{uuid}</UUID><picNum>2</picNum><isDataRetransmission>{retransmission}</isDataRetransmission>
</EventNotificationAlert>"""


def multipart(xml: str, images=(JPEG, JPEG)) -> tuple[bytes, str]:
    boundary = "MIME_boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="anpr.xml"; filename="anpr.xml"\r\n'
        f"Content-Type: text/xml\r\n\r\n{xml}\r\n".encode()
    ]
    for i, image in enumerate(images):
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{"licensePlatePicture" if i == 0 else "detectionPicture"}.jpg"; '
            f'filename="{i}.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'.encode()
            + image
            + b"\r\n"
        )
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


@pytest.fixture
def hik_lane(lot, fee_rule):
    camera = PlateCameraFactory(estate=lot.estate, token=TOKEN, protocol="hikvision", name="海康入口")
    return LaneFactory(lot=lot, device=camera, direction=LaneDirection.IN)


def post(client, xml, **kwargs):
    body, content_type = multipart(xml, **kwargs)
    return client.post(URL, data=body, content_type=content_type)


def test_anpr_multipart_is_stored_with_its_picture_and_opens_a_session(hik_lane, camera_client):
    response = post(camera_client, anpr_xml())
    assert response.status_code == 200
    event = PlateEvent.objects.get()
    assert (event.plate, event.colour, event.confidence, event.device_key) == (
        "浙A12345",
        "blue",
        98,
        "8f1c0d3e-0001",
    )
    assert event.image.read() == JPEG
    assert Session.objects.get().plate == "浙A12345"


def test_the_same_notification_twice_is_stored_once(hik_lane, camera_client):
    post(camera_client, anpr_xml())
    post(camera_client, anpr_xml())
    assert PlateEvent.objects.count() == 1
    assert Session.objects.count() == 1


def test_retransmitted_notification_is_history(hik_lane, camera_client):
    post(camera_client, anpr_xml(retransmission="true"))
    event = PlateEvent.objects.get()
    assert event.offline and not event.opened


def test_a_notification_we_cannot_read_is_kept_raw_and_acknowledged(hik_lane, camera_client):
    response = post(camera_client, anpr_xml(event_type="VMD"))
    assert response.status_code == 200
    assert "not an ANPR" in RawDeviceMessage.objects.get().error
    assert not PlateEvent.objects.exists()


def test_database_down_spools_to_disk_answers_200_and_ingests_later(
    hik_lane, camera_client, monkeypatch, tmp_path, settings
):
    settings.PARKING_SPOOL_DIR = tmp_path
    from parking import device_views

    def database_away(**kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(device_views, "plate_read_record", database_away)
    response = post(camera_client, anpr_xml(uuid="spooled-1"))
    assert response.status_code == 200
    assert len(list(tmp_path.glob("*.req"))) == 1
    assert not PlateEvent.objects.exists()

    monkeypatch.undo()
    assert spool.spool_ingest() == 1
    event = PlateEvent.objects.get()
    assert event.device_key == "spooled-1" and event.offline and not event.opened
    assert not list(tmp_path.glob("*.req"))


def test_barrier_call_failure_is_recorded_for_staff(
    hik_lane, camera_client, django_capture_on_commit_callbacks
):
    # Nothing listens on this port: the call fails, and staff see why.
    Lane.objects.filter(pk=hik_lane.pk).update(
        barrier_url="http://127.0.0.1:9", barrier_username="admin", barrier_password="x"
    )
    with django_capture_on_commit_callbacks(execute=True):
        post(camera_client, anpr_xml())
    action = GateAction.objects.get(kind="barrier_call")
    assert not action.ok
    assert "unreachable" in action.detail
    from community.accounts.roles import StaffRole
    from tests.factories import StaffFactory

    guard = StaffFactory(estate=hik_lane.lot.estate, role=StaffRole.SECURITY, username="gate_guard")
    camera_client.force_login(guard, backend="django.contrib.auth.backends.ModelBackend")
    assert "unreachable" in camera_client.get("/staff/parking/").content.decode()


def test_barrier_call_with_digest_auth_succeeds(hik_lane, camera_client, django_capture_on_commit_callbacks):
    """A fake camera that asks for Digest authentication and accepts the PUT."""
    import hashlib
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    seen = []

    class Camera(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_PUT(self):
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            auth = self.headers.get("Authorization", "")
            if not auth.startswith("Digest "):
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Digest realm="IP Camera", nonce="abc", qop="auth"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            fields = dict(p.strip().split("=", 1) for p in auth[7:].split(","))
            fields = {k: v.strip('"') for k, v in fields.items()}
            ha1 = hashlib.md5(b"admin:IP Camera:secret").hexdigest()
            ha2 = hashlib.md5(f"PUT:{fields['uri']}".encode()).hexdigest()
            expected = hashlib.md5(
                f"{ha1}:abc:{fields['nc']}:{fields['cnonce']}:auth:{ha2}".encode()
            ).hexdigest()
            ok = fields.get("response") == expected
            seen.append((self.path, body, ok))
            self.send_response(200 if ok else 401)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = HTTPServer(("127.0.0.1", 0), Camera)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        Lane.objects.filter(pk=hik_lane.pk).update(
            barrier_url=f"http://127.0.0.1:{server.server_port}",
            barrier_username="admin",
            barrier_password="secret",
        )
        with django_capture_on_commit_callbacks(execute=True):
            post(camera_client, anpr_xml())
    finally:
        server.shutdown()
    assert seen and seen[-1][0] == "/ISAPI/Parking/channels/1/barrierGate" and seen[-1][2]
    assert b"<ctrlMode>open</ctrlMode>" in seen[-1][1]
    assert GateAction.objects.get(kind="barrier_call").ok


# --- replaying kept notifications (access's admin "replay") ---------------------------------------


def _kept_anpr(device, xml: str):
    from access.inbound import Inbound
    from access.services import raw_message_keep

    body, content_type = multipart(xml)
    return raw_message_keep(
        device=device,
        protocol="hikvision",
        inbound=Inbound("POST", "/isapi/<token>/anpr", "", content_type, body),
        error="parser could not read it then",
    )


def test_a_kept_anpr_notification_replays_through_the_anpr_parser_once(hik_lane, manager_a):
    from access.models import RawStatus
    from access.replay import raw_message_replay

    message = raw_message_replay(
        message=_kept_anpr(hik_lane.device, anpr_xml("浙A54321", uuid="replay-1")), by=manager_a
    )
    assert message.status == RawStatus.PROCESSED, message.error
    event = PlateEvent.objects.get(plate="浙A54321")
    # History: the car passed long ago; its stay opens at the camera's time, no barrier lifts.
    assert event.offline and not event.opened and event.device_key == "replay-1"
    assert event.device_time.isoformat() == "2026-11-20T05:43:48+00:00"
    assert Session.objects.get(plate="浙A54321").status == "open"
    again = _kept_anpr(hik_lane.device, anpr_xml("浙A54321", uuid="replay-1"))
    assert raw_message_replay(message=again, by=manager_a).status == RawStatus.PROCESSED
    assert PlateEvent.objects.filter(plate="浙A54321").count() == 1


def test_a_face_terminals_kept_event_still_replays_through_access(estate_a, manager_a):
    from access.inbound import Inbound
    from access.models import AccessEvent, RawStatus
    from access.replay import raw_message_replay
    from access.services import raw_message_keep
    from tests.factories import DeviceFactory, GateFactory

    terminal = DeviceFactory(
        estate=estate_a,
        gate=GateFactory(estate=estate_a, name="南门"),
        protocol="hikvision",
        token="hik-face-terminal-01",
    )
    body = (
        b'{"eventType": "AccessControllerEvent", "dateTime": "2026-11-20T08:00:00+08:00", '
        b'"AccessControllerEvent": {"majorEventType": 5, "subEventType": 1, "serialNo": 9, "cardNo": "123456"}}'
    )
    kept = raw_message_keep(
        device=terminal,
        protocol="hikvision",
        inbound=Inbound("POST", "/isapi/<token>/events", "", "application/json", body),
        error="then unknown",
    )
    assert raw_message_replay(message=kept, by=manager_a).status == RawStatus.PROCESSED
    assert AccessEvent.objects.get().vendor_code == "5/1"
    assert not PlateEvent.objects.exists()
