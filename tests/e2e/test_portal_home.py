"""A resident on a phone: log in with phone + password, see the home, switch language, log out."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.factories import AnnouncementFactory

WEEKDAYS_EN = re.compile(r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday")
WEEKDAYS_ZH = re.compile(r"星期[一二三四五六日]")


def _no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_resident_logs_in_sees_home_switches_language_and_logs_out(page, live_server, household_a):
    _user, unit = household_a
    AnnouncementFactory(
        estate=unit.building.estate, title="关于小区停水的通知", body="周六上午九点至十二点停水。"
    )

    page.goto(f"{live_server.url}/portal/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    assert _no_horizontal_scroll(page)

    page.fill('input[name="login"]', "138 0000 0101")
    page.fill('input[name="password"]', "demo12345")
    page.click('form.form button[type="submit"]')

    expect(page).to_have_url(f"{live_server.url}/portal/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator(".unit-card")).to_contain_text(unit.number)
    expect(page.locator(".unit-card")).to_contain_text("owner_a-家属")
    expect(page.locator(".announcements")).to_contain_text("关于小区停水的通知")
    expect(page.locator(".hero-date")).to_have_text(WEEKDAYS_ZH)
    page.click("text=关于小区停水的通知")
    expect(page.locator(".announcement-body")).to_contain_text("停水")
    assert _no_horizontal_scroll(page)
    assert page.locator(".tabbar").is_visible()
    assert page.evaluate("typeof window.communitySocket") == "function"

    page.click('.tabbar a[href="/portal/me/"]')
    expect(page).to_have_url(f"{live_server.url}/portal/me/")
    page.click('.lang-switch button[value="en"]')
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert _no_horizontal_scroll(page)

    page.click('.tabbar a[href="/portal/"]')
    expect(page.locator(".hero-date")).to_have_text(WEEKDAYS_EN)
    expect(page.locator("#my-homes")).to_have_text("My homes")

    page.click('.tabbar a[href="/portal/me/"]')
    page.click(".logout-form button")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.goto(f"{live_server.url}/portal/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/portal/"))
