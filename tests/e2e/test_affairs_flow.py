"""On a phone: a resident applies for a residence certificate, is told once what is missing,
completes it, receives the certificate, and its QR code's page verifies it."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from community.accounts.roles import StaffRole
from community.affairs import services
from community.affairs.models import Application
from community.affairs.transitions import Action
from tests.factories import AffairsItemFactory, StaffFactory

PDF = {"name": "id.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%scan\n"}


def _login(page, base: str, login: str, next_path: str) -> None:
    page.goto(f"{base}{next_path}")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.fill('input[name="login"]', login)
    page.fill('input[name="password"]', "demo12345")
    page.click('form.form button[type="submit"]')
    expect(page).to_have_url(f"{base}{next_path}")


def test_resident_applies_is_told_once_completes_and_the_certificate_verifies(
    browser, browser_context_args, live_server, household_a
):
    _owner, unit = household_a
    estate = unit.building.estate
    item = AffairsItemFactory(estate=estate)
    office = StaffFactory(estate=estate, role=StaffRole.COMMUNITY_OFFICE)
    base = live_server.url

    context = browser.new_context(**browser_context_args)
    page = context.new_page()
    _login(page, base, "138 0000 0101", "/portal/affairs/")
    page.click(f"a[href='/portal/affairs/items/{item.pk}/apply/']")
    page.set_input_files("#id_m_id_card", files=[PDF])
    page.click('#affairs-apply button[type="submit"]')
    application = Application.objects.get()
    expect(page).to_have_url(f"{base}/portal/affairs/{application.pk}/")
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")

    # The office tells everything that is missing, at once.
    services.application_move(
        application=application,
        action=Action.NOTIFY_MISSING,
        missing=["lease"],
        reason="请上传租赁合同",
        by=office,
    )
    page.reload()
    notice = page.locator("#one-time-notice")
    expect(notice).to_contain_text("房产证或租赁合同")
    expect(notice).to_contain_text("请上传租赁合同")

    page.set_input_files("#up_lease", files=[{**PDF, "name": "lease.pdf"}])
    page.click('#affairs-upload button[type="submit"]')
    page.click("button[data-action='resubmit']")
    expect(page.locator("#one-time-notice")).to_have_count(0)

    application.refresh_from_db()
    services.application_move(application=application, action=Action.ACCEPT, by=office)
    services.application_move(application=application, action=Action.APPROVE, by=office)
    page.reload()
    expect(page.locator("#certificate")).to_contain_text(application.certificate.number)
    pdf = page.request.get(f"{base}/portal/affairs/{application.pk}/certificate.pdf")
    assert pdf.ok and pdf.body().startswith(b"%PDF")

    # Anyone scanning the QR code lands on the public check, without logging in.
    stranger = browser.new_context(**browser_context_args).new_page()
    stranger.goto(f"{base}{page.locator('#verify-link').get_attribute('href')}")
    expect(stranger.locator("#verify-result")).to_have_class(re.compile("alert-success"))
    expect(stranger.locator("body")).to_contain_text(application.certificate.number)
