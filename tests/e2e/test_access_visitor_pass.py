"""A resident on a phone invites a visitor: fills the pass form, sees the QR code to send."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from access.models import VisitorPass


def _no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_resident_creates_a_visitor_pass_and_sees_its_qr(page, live_server, household_a):
    page.goto(f"{live_server.url}/portal/access/")
    page.fill('input[name="login"]', "13800000101")
    page.fill('input[name="password"]', "demo12345")
    page.click('form button[type="submit"]')
    expect(page).to_have_url(f"{live_server.url}/portal/access/")
    assert _no_horizontal_scroll(page)

    page.click('a[href="/portal/access/passes/new/"]')
    page.fill('input[name="visitor_name"]', "李四")
    page.fill('input[name="visitor_phone"]', "13912345678")
    page.fill('input[name="max_entries"]', "2")
    page.fill('input[name="plate"]', "鄂C12345")
    assert _no_horizontal_scroll(page)
    page.click('form.card button[type="submit"]')

    expect(page).to_have_url(re.compile(r"/portal/access/passes/\d+/$"))
    qr = page.locator('[data-testid="visitor-pass-qr"] svg')
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box["width"] >= 150 and box["width"] <= 390  # big enough to scan, fits the phone
    expect(page.locator(".access-facts")).to_contain_text("0 / 2")
    assert _no_horizontal_scroll(page)
    visitor_pass = VisitorPass.objects.get()
    assert visitor_pass.visitor_name == "李四" and visitor_pass.plate == "鄂C12345"

    page.click('.tabbar a[href="/portal/access/"]')
    expect(page.locator(".access-pass")).to_contain_text("李四")
