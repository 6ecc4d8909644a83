"""On a phone: a resident registers a car and pre-registers a visitor's plate; when the visitor
drives up, the entry camera's read opens the barrier."""

from __future__ import annotations

import json
import re
import urllib.request

from playwright.sync_api import expect

from parking.models import LaneDirection, Session, Vehicle
from tests.factories import LaneFactory, LotFactory, PlateCameraFactory

TOKEN = "e2e-lpr-entry-token"


def _no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_resident_registers_a_car_and_a_visitor_plate_that_opens_the_barrier(
    page, live_server, household_a, estate_a
):
    lot = LotFactory(estate=estate_a, name="地面停车场", capacity=10, allow_temporary=False)
    LaneFactory(lot=lot, device=PlateCameraFactory(estate=estate_a, token=TOKEN), direction=LaneDirection.IN)

    page.goto(f"{live_server.url}/portal/parking/")
    page.fill('input[name="login"]', "13800000101")
    page.fill('input[name="password"]', "demo12345")
    page.click('form button[type="submit"]')
    expect(page).to_have_url(f"{live_server.url}/portal/parking/")
    assert _no_horizontal_scroll(page)

    page.fill('#vehicle-form input[name="plate"]', "鄂c 66666")
    page.click('#vehicle-form button[type="submit"]')
    expect(page.locator("#my-vehicles")).to_contain_text("鄂C66666")
    expect(page.locator("#my-vehicles .badge-warn")).to_be_visible()  # waiting for approval
    assert Vehicle.objects.get(plate="鄂C66666").approved is False

    page.click('a[href="/portal/access/passes/new/"]')
    page.fill('input[name="visitor_name"]', "王五")
    page.fill('input[name="plate"]', "湘A12345")
    page.click('form.card button[type="submit"]')
    expect(page).to_have_url(re.compile(r"/portal/access/passes/\d+/$"))

    page.goto(f"{live_server.url}/portal/parking/")
    expect(page.locator("#visitor-plates")).to_contain_text("湘A12345")
    assert _no_horizontal_scroll(page)

    # The visitor drives up: the camera posts its read; the lot takes no temporary cars, so only
    # the pass opens the barrier.
    body = {
        "AlarmInfoPlate": {
            "result": {"PlateResult": {"license": "湘A12345", "plateid": 4711, "isoffline": 0}}
        }
    }
    request = urllib.request.Request(
        f"{live_server.url}/lpr/vzenith/{TOKEN}",
        data=json.dumps(body, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        answer = json.loads(response.read())
    assert answer["Response_AlarmInfoPlate"]["info"] == "ok"
    assert Session.objects.get(plate="湘A12345").kind == "visitor"
