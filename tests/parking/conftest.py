from __future__ import annotations

import base64
import itertools
import json

import pytest
from django.test import Client

from community.accounts.roles import StaffRole
from parking.models import LaneDirection
from parking.setup_cache import setup_cache_clear
from tests.factories import FeeRuleFactory, LaneFactory, LotFactory, PlateCameraFactory, StaffFactory

ENTRY_TOKEN = "lpr-entry-token-0001"
EXIT_TOKEN = "lpr-exit-token-00001"
_plate_ids = itertools.count(90813)


@pytest.fixture(autouse=True)
def _fresh_setup_cache():
    # Lanes and fee rules are cached per process; a test's rows are gone after it (and SQLite
    # reuses their ids), so every test starts with an empty cache.
    setup_cache_clear()
    yield
    setup_cache_clear()


@pytest.fixture
def security_a(estate_a):
    """Booth staff of estate A."""
    return StaffFactory(estate=estate_a, role=StaffRole.SECURITY, username="guard_a")


@pytest.fixture
def lot(estate_a):
    return LotFactory(estate=estate_a, name="地面停车场", capacity=3)


@pytest.fixture
def fee_rule(lot):
    return FeeRuleFactory(lot=lot)


@pytest.fixture
def entry_lane(lot):
    camera = PlateCameraFactory(estate=lot.estate, token=ENTRY_TOKEN, name="入口相机")
    return LaneFactory(lot=lot, device=camera, direction=LaneDirection.IN)


@pytest.fixture
def exit_lane(lot):
    camera = PlateCameraFactory(estate=lot.estate, token=EXIT_TOKEN, name="出口相机")
    return LaneFactory(lot=lot, device=camera, direction=LaneDirection.OUT)


@pytest.fixture
def lanes(entry_lane, exit_lane, fee_rule):
    return entry_lane, exit_lane


def alarm(
    plate: str,
    *,
    plateid: int | None = None,
    offline: int = 0,
    nested: bool = True,
    sec: int = 1764208800,
    image: bytes | None = None,
) -> dict:
    """An AlarmInfoPlate body as Vzenith firmware sends it (``nested``: isoffline/plateid inside
    PlateResult, as newer firmware does; else at the top of AlarmInfoPlate)."""
    plateid = next(_plate_ids) if plateid is None else plateid
    result = {
        "license": plate,
        "colorType": 5 if len(plate) == 8 else 1,
        "type": 1,
        "confidence": 94,
        "direction": 4,
        "location": {"RECT": {"left": 335, "top": 312, "right": 474, "bottom": 363}},
        "timeStamp": {"Timeval": {"sec": sec, "usec": 638740}},
        "triggerType": 8,
        "imagePath": "picture/0/20261127/1.jpg",
    }
    top = {"channel": 0, "deviceName": "IVS", "ipaddr": "192.168.22.2", "serialno": "0f823866-d2dc45ab"}
    if nested:
        result.update({"plateid": plateid, "isoffline": offline})
    else:
        top.update({"plateid": plateid, "isoffline": offline})
    if image is not None:
        result["imageFile"] = base64.b64encode(image).decode()
    return {"AlarmInfoPlate": {**top, "result": {"PlateResult": result}}}


@pytest.fixture
def camera_client():
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def vz(camera_client):
    """POST a body to a Vzenith endpoint; returns (status, answer dict)."""

    def post(body, *, token=ENTRY_TOKEN, raw: bytes | None = None):
        data = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode()
        response = camera_client.post(f"/lpr/vzenith/{token}", data=data, content_type="application/json")
        try:
            answer = response.json()
        except ValueError:
            answer = None
        return response.status_code, answer

    return post


def response_of(answer: dict) -> dict:
    return answer["Response_AlarmInfoPlate"]
