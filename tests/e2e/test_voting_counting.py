"""Counting after the box closes: the front desk keys in a returned paper ballot in the admin,
a scrutineer (a resident appointed for the meeting) confirms it on a phone, and the published
result includes it."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from playwright.sync_api import expect

from community.accounts.roles import StaffRole
from community.voting import services
from community.voting.models import RollEntry
from tests.factories import (
    OccupancyFactory,
    ResidentFactory,
    StaffFactory,
    UnitFactory,
    UserFactory,
    meeting_open,
)

PASSWORD = "demo12345"


def _login(page, live_server, phone: str, next_path: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{live_server.url}{next_path}")
    page.fill('input[name="login"]', phone)
    page.fill('input[name="password"]', PASSWORD)
    page.click('form button[type="submit"]')
    expect(page).to_have_url(f"{live_server.url}{next_path}")


def test_a_scrutineer_confirms_a_paper_ballot_keyed_by_the_front_desk(
    page, live_server, estate_a, household_a, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path
    owner_user, unit = household_a
    manager = StaffFactory(estate=estate_a, role=StaffRole.MANAGER)
    StaffFactory(estate=estate_a, role=StaffRole.FRONT_DESK, phone="+8613900000301", password=PASSWORD)
    scrutineer_user = UserFactory(phone="+8613800000202", username="scrutineer_a")
    scrutineer = ResidentFactory(
        estate=estate_a, user=scrutineer_user, phone="+8613800000202", name="监票人甲"
    )
    OccupancyFactory(unit=UnitFactory(building=unit.building, number="502"), resident=scrutineer)
    meeting = meeting_open(estate=estate_a, by=manager, motions=(("续聘物业服务企业", 4),))
    services.scrutineer_appoint(meeting=meeting, resident=scrutineer, by=manager)
    services.meeting_close(meeting=meeting, by=manager, now=meeting.voting_closes_at)
    services.meeting_start_counting(meeting=meeting, by=manager)
    entry = RollEntry.objects.get(meeting=meeting, members__user=owner_user)
    motion = meeting.motions.get()

    # The front desk keys in the owner's paper ballot, received before the close.
    add = f"/admin/voting/paperballot/add/?meeting={meeting.pk}"
    _login(page, live_server, "13900000301", add)
    received = timezone.localtime(meeting.voting_opens_at + dt.timedelta(days=1))
    page.fill("#id_roll_entry", str(entry.pk))
    page.fill("#id_signer_name", "owner_a-业主")
    page.fill("#id_received_at_0", received.strftime("%Y-%m-%d"))
    page.fill("#id_received_at_1", received.strftime("%H:%M:%S"))
    scan = tmp_path / "ballot.pdf"
    scan.write_bytes(b"%PDF-1.4 scanned ballot")
    page.set_input_files("#id_scan", str(scan))
    page.select_option(f"#id_motion_{motion.pk}", "agree")
    page.click('input[name="_save"]')
    expect(page.locator(".messagelist .success")).to_be_visible()

    # The scrutineer compares it with the scan on a phone and confirms it.
    scrutiny = f"/portal/voting/{meeting.pk}/scrutiny/"
    _login(page, live_server, "13800000202", scrutiny)
    card = page.locator("[data-paper]")
    expect(card).to_contain_text("owner_a-业主")
    card.locator("[data-confirm-paper]").click()
    expect(page.locator("[data-nothing-pending]")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")

    # Published: the owner sees the result with the paper ballot in it.
    services.meeting_publish_results(meeting=meeting, by=manager)
    _login(page, live_server, "13800000101", f"/portal/voting/{meeting.pk}/")
    result = page.locator(f'[data-result-motion="{motion.pk}"]')
    expect(result.locator("[data-agree-owners]")).to_contain_text("1")
    expect(page.locator(f'[data-motion="{motion.pk}"] [data-my-choice]')).to_have_attribute(
        "data-my-choice", "agree"
    )
