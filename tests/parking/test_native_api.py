"""POST /api/v1/parking/plate-events: the same decision as a camera gets, in JSON."""

from __future__ import annotations

import pytest

from parking.models import PlateEvent, Session
from tests.factories import LaneFactory, PlateCameraFactory

pytestmark = pytest.mark.django_db
TOKEN = "native-lpr-token-0001"
URL = "/api/v1/parking/plate-events"


@pytest.fixture
def native_lane(lot, fee_rule):
    camera = PlateCameraFactory(estate=lot.estate, token=TOKEN, protocol="native")
    return LaneFactory(lot=lot, device=camera, direction="in")


def post(client, body, token=TOKEN):
    return client.post(URL, data=body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")


def test_entry_answers_the_decision(native_lane, camera_client):
    response = post(camera_client, {"plate": "鄂C 12345", "event_id": "n-1", "colour": "blue"})
    assert response.status_code == 200
    body = response.json()
    assert body["open"] is True and body["reason"] == "temporary" and body["duplicate"] is False
    assert body["session"] == Session.objects.get(plate="鄂C12345").pk
    again = post(camera_client, {"plate": "鄂C12345", "event_id": "n-1"}).json()
    assert again["duplicate"] is True
    assert PlateEvent.objects.count() == 1


def test_direction_in_the_message_overrides_the_lane(native_lane, camera_client):
    post(camera_client, {"plate": "鄂C12345", "event_id": "n-2"})
    body = post(camera_client, {"plate": "鄂C12345", "event_id": "n-3", "direction": "out"}).json()
    assert body["open"] is True and body["reason"] == "free"


def test_bad_input_is_a_400_that_says_what_is_wrong(native_lane, camera_client):
    response = post(camera_client, {"event_id": "x", "colour": "purple"})
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert "plate" in fields and "colour" in fields


def test_without_a_device_token_it_is_401(native_lane, camera_client):
    assert post(camera_client, {"plate": "鄂C12345"}, token="wrong-token-000000").status_code == 401


def test_documented_in_the_openapi_schema(client, superuser):
    client.force_login(superuser)  # the schema needs a login in production (issue #15)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "/api/v1/parking/plate-events" in schema
    assert "PlateDecision" in schema
