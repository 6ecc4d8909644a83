"""On a phone: a family member books a meal for her mother, a care worker accepts it, checks in
(geolocation granted) and out, the family member confirms and rates."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.utils import timezone
from playwright.sync_api import expect

from community.accounts.roles import StaffRole
from community.residents.models import Occupancy
from eldercare.models import Order, ServiceCategory, ServiceUnit
from tests.factories import CareStationFactory, ElderFactory, ServiceItemFactory, StaffFactory, consent_all

HOME = {"latitude": 32.629, "longitude": 110.798}


def _login(page, base: str, login: str, next_path: str) -> None:
    page.goto(f"{base}{next_path}")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.fill('input[name="login"]', login)
    page.fill('input[name="password"]', "demo12345")
    page.click('form.form button[type="submit"]')
    expect(page).to_have_url(f"{base}{next_path}")


def _no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_family_books_a_meal_worker_delivers_family_confirms_and_rates(
    browser, browser_context_args, live_server, household_a
):
    _owner, unit = household_a
    estate = unit.building.estate
    mother = Occupancy.objects.get(unit=unit, role="family").resident
    coordinator = StaffFactory(estate=estate, role=StaffRole.ELDERCARE_COORDINATOR)
    StaffFactory(estate=estate, role=StaffRole.ELDERCARE_WORKER, phone="+8613700000777", name="赵秀英")
    elder = ElderFactory(
        estate=estate, resident=mother, home_latitude=Decimal("32.629"), home_longitude=Decimal("110.798")
    )
    consent_all(elder, coordinator)
    station = CareStationFactory(estates=[estate])
    lunch = ServiceItemFactory(
        station=station,
        name="午餐配送",
        category=ServiceCategory.MEALS,
        unit=ServiceUnit.MEAL,
        price=Decimal("15.00"),
        min_minutes=0,
    )
    base = live_server.url
    tomorrow = timezone.localdate() + dt.timedelta(days=1)

    # The family member books tomorrow's lunch.
    family = browser.new_context(**browser_context_args)
    page = family.new_page()
    _login(page, base, "138 0000 0101", "/portal/care/")
    page.click("a.care-big")
    expect(page).to_have_url(f"{base}/portal/care/book/")
    assert _no_horizontal_scroll(page)
    page.select_option("#id_elder", str(elder.pk))
    page.select_option("#id_item", str(lunch.pk))
    page.fill("#id_day", tomorrow.isoformat())
    page.select_option("#id_meal_slot", "lunch")
    page.click('button[type="submit"].care-big')
    order = Order.objects.get()
    expect(page).to_have_url(f"{base}/portal/care/orders/{order.pk}/")
    expect(page.locator("[data-order-status]")).to_have_text("待接单")

    # The worker, location allowed, takes it from the list and delivers.
    worker = browser.new_context(**browser_context_args, geolocation=HOME, permissions=["geolocation"])
    wpage = worker.new_page()
    _login(wpage, base, "137 0000 0777", "/worker/care/")
    assert _no_horizontal_scroll(wpage)
    wpage.click(f'button[data-accept="{order.pk}"]')
    expect(wpage).to_have_url(f"{base}/worker/care/orders/{order.pk}/")
    expect(wpage.locator("[data-order-status]")).to_have_text("已接单")
    expect(wpage.locator('form:not([hidden]) [data-geo-status][data-geo-ready="1"]')).to_have_count(1)
    wpage.click('button[data-action="check_in"]')
    expect(wpage.locator("[data-order-status]")).to_have_text("服务中")
    expect(wpage.locator('form:not([hidden]) [data-geo-status][data-geo-ready="1"]')).to_have_count(1)
    wpage.click('button[data-action="check_out"]')
    expect(wpage.locator("[data-order-status]")).to_have_text("已完成")
    order.refresh_from_db()
    assert (
        order.check_in_method == "geo"
        and order.check_in_distance_m is not None
        and order.check_in_distance_m < 50
    )
    assert order.check_in_accuracy_m is not None

    # The family member confirms and rates.
    page.reload()
    expect(page.locator("[data-order-status]")).to_have_text("已完成")
    page.click("text=确认服务已完成")
    expect(page.locator("[data-order-status]")).to_have_text("已确认")
    page.select_option("#id_rating", "5")
    page.fill("#id_comment", "饭菜热乎，谢谢")
    page.click("text=评价 >> nth=-1")
    expect(page.locator("[data-order-status]")).to_have_text("已评价")
    order.refresh_from_db()
    assert (order.status, order.rating) == ("rated", 5)
    family.close()
    worker.close()
