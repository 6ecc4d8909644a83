"""seed_demo's parking part: a lot with a Vzenith camera at token demo-lpr-token, spaces,
permits and a month of stays; seeding twice changes nothing."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from parking.models import Lot, Permit, PlateEvent, Session, Space

pytestmark = pytest.mark.django_db


def test_seed_demo_builds_a_working_car_park_once(client):
    call_command("seed_demo", "--no-progress", stdout=io.StringIO())
    counts = (Lot.objects.count(), Space.objects.count(), Permit.objects.count(), Session.objects.count())
    assert counts[0] == 2 and counts[1] >= 60 and counts[2] > 0 and counts[3] > 300
    assert Session.objects.filter(status="open").exists()
    call_command("seed_demo", "--no-progress", stdout=io.StringIO())
    assert (
        Lot.objects.count(),
        Space.objects.count(),
        Permit.objects.count(),
        Session.objects.count(),
    ) == counts

    body = {"AlarmInfoPlate": {"result": {"PlateResult": {"license": "陕C54321", "plateid": 1}}}}
    response = client.post(
        "/lpr/vzenith/demo-lpr-token", data=json.dumps(body), content_type="application/json"
    )
    assert response.json()["Response_AlarmInfoPlate"]["info"] == "ok"
    assert PlateEvent.objects.filter(plate="陕C54321").exists()
