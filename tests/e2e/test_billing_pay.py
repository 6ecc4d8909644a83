"""On a phone: the owner opens this month's bill, pays it with the demo provider (the server
signs and verifies a real WeChat Pay notification), sees the receipt; the manager sees the
collection rate move."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.utils import timezone
from playwright.sync_api import expect

from community.accounts.roles import StaffRole
from community.billing import services
from tests.factories import AssignmentFactory, ChargeItemFactory, StaffFactory, TariffFactory, UnitFactory


def _login(page, base: str, login: str, next_path: str) -> None:
    page.goto(f"{base}{next_path}")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.fill('input[name="login"]', login)
    page.fill('input[name="password"]', "demo12345")
    page.click('form.form button[type="submit"]')
    expect(page).to_have_url(f"{base}{next_path}")


def test_owner_pays_the_months_bill_and_the_manager_sees_the_rate_move(
    browser, browser_context_args, live_server, household_a
):
    _owner, unit = household_a
    estate = unit.building.estate
    unit.exclusive_area = Decimal("89.50")
    unit.save()
    item = ChargeItemFactory(estate=estate, name="物业费", prepaid=True)
    TariffFactory(item=item, unit_price=Decimal("2.50"), effective_from=dt.date(2020, 1, 1))
    AssignmentFactory(item=item, unit=unit, start_date=dt.date(2024, 1, 1))
    AssignmentFactory(item=item, unit=UnitFactory(building=unit.building, exclusive_area=Decimal("89.50")))
    services.bill_run(estate=estate, on=timezone.localdate(), by="system:e2e")
    StaffFactory(estate=estate, role=StaffRole.MANAGER, username="manager_e2e", phone="+8613900000888")
    base = live_server.url

    manager = browser.new_context(**browser_context_args).new_page()
    _login(manager, base, "manager_e2e", "/staff/billing/")
    month = timezone.localdate().strftime("%Y-%m")
    expect(manager.locator(f'#collection-by-month tr[data-month="{month}"] .rate')).to_have_text("0.0%")

    page = browser.new_context(**browser_context_args).new_page()
    _login(page, base, "138 0000 0101", "/portal/bills/")
    expect(page.get_by_test_id("total-due")).to_contain_text("223.75")
    page.click(f"text=物业费 {month}")
    expect(page.get_by_test_id("amount-due")).to_have_text("¥223.75")
    expect(page.locator(".bill-lines")).to_contain_text("89.5 × 2.5")
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    page.click("form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/portal/bills/receipts/\d+/$"))
    expect(page.get_by_test_id("receipt-number")).to_have_text("SJ00000001")
    expect(page.locator(".receipt")).to_contain_text("223.75")
    page.goto(f"{base}/portal/bills/")
    expect(page.get_by_test_id("total-due")).to_contain_text("0.00")

    manager.reload()
    expect(manager.locator(f'#collection-by-month tr[data-month="{month}"] .rate')).to_have_text("50.0%")
