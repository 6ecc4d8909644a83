"""On a phone without signal: the worker's check-in and check-out wait on the phone ("N waiting
to send") and reach the server, in order and once each, when the signal is back — even when the
phone sends one again because the first answer was lost."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from django.utils import timezone
from playwright.sync_api import expect

from community.accounts.roles import StaffRole
from eldercare import services
from eldercare.doorcode import door_code
from eldercare.models import Order
from tests.e2e.helpers import login
from tests.factories import CareStationFactory, ElderFactory, ServiceItemFactory, StaffFactory, consent_all

HOME = {"latitude": 32.629, "longitude": 110.798}


def test_a_check_in_made_offline_is_sent_when_back_online_and_arrives_once(
    browser, browser_context_args, live_server, estate_a
):
    coordinator = StaffFactory(estate=estate_a, role=StaffRole.ELDERCARE_COORDINATOR)
    worker = StaffFactory(
        estate=estate_a, role=StaffRole.ELDERCARE_WORKER, phone="+8613700000778", name="钱桂兰"
    )
    elder = ElderFactory(estate=estate_a, home_latitude=Decimal("32.629"), home_longitude=Decimal("110.798"))
    consent_all(elder, coordinator)
    item = ServiceItemFactory(station=CareStationFactory(estates=[estate_a]), name="助洁", min_minutes=0)
    order = services.order_book(
        elder=elder, item=item, by=coordinator, scheduled_at=timezone.now() + dt.timedelta(minutes=30)
    )
    services.order_accept(order=order, by=worker)

    context = browser.new_context(**browser_context_args, geolocation=HOME, permissions=["geolocation"])
    page = context.new_page()
    base = live_server.url
    login(page, base, "137 0000 0778", f"/worker/care/orders/{order.pk}/")
    expect(page.locator('form:not([hidden]) [data-geo-status][data-geo-ready="1"]')).to_have_count(1)
    outbox = page.locator("[data-care-outbox]")
    expect(outbox).to_be_hidden()

    # With signal, a wrong door code is refused and said so; the worker can try again.
    right = door_code(elder_id=elder.pk, salt=elder.door_code_salt, on=timezone.localdate())
    page.fill("#id_door_code_check_in", "000001" if right == "000000" else "000000")
    page.click('button[data-action="check_in"]')
    expect(outbox.locator("[data-outbox-error]")).to_contain_text("服务器拒绝")
    expect(page.locator('button[data-action="check_in"]')).to_be_enabled()
    order.refresh_from_db()
    assert order.status == "accepted"
    page.fill("#id_door_code_check_in", "")

    # No signal: the tap is kept on the phone and said so; nothing reaches the server.
    context.set_offline(True)
    page.click('button[data-action="check_in"]')
    expect(outbox).to_be_visible()
    expect(outbox.locator("[data-outbox-count]")).to_have_text("1")
    expect(outbox).to_contain_text("待发送")
    page.wait_for_timeout(500)
    order.refresh_from_db()
    assert order.status == "accepted" and order.checked_in_at is None
    queued = json.loads(page.evaluate("localStorage.getItem('care.outbox.v1')"))
    assert len(queued) == 1 and queued[0]["body"]["claimed_at"] and queued[0]["body"]["idempotency_key"]
    key = queued[0]["key"]

    # Still without signal, the visit ends: the check-out is offered and waits behind the check-in.
    page.click('button[data-action="check_out"]')
    expect(outbox.locator("[data-outbox-count]")).to_have_text("2")
    order.refresh_from_db()
    assert order.status == "accepted"

    # The signal is back: both are sent by themselves, in order, and the page shows the visit done.
    context.set_offline(False)
    expect(page.locator("[data-order-status]")).to_have_text("已完成", timeout=15_000)
    expect(outbox).to_be_hidden()
    order.refresh_from_db()
    assert (order.status, order.check_in_key, order.check_in_method) == ("completed", key, "geo")
    assert order.check_in_claimed_at is not None and order.check_in_claimed_at <= order.checked_in_at
    assert order.check_out_claimed_at >= order.check_in_claimed_at and order.check_out_key not in (None, key)
    first_time = order.checked_in_at

    # The phone never heard the answer and sends the same check-in again: stored once.
    page.evaluate("entry => localStorage.setItem('care.outbox.v1', JSON.stringify([entry]))", queued[0])
    page.goto(f"{base}/worker/care/")
    expect(page.locator("[data-care-outbox]")).to_be_hidden(timeout=15_000)
    assert page.evaluate("localStorage.getItem('care.outbox.v1')") == "[]"
    order.refresh_from_db()
    assert (order.status, order.checked_in_at, order.check_in_key) == ("completed", first_time, key)
    assert Order.objects.filter(check_in_key=key).count() == 1
    context.close()
