"""An owner votes on a phone and later sees the published result; a tenant is refused."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from community.accounts.roles import StaffRole
from community.voting import services
from community.voting.models import Ballot
from tests.factories import OccupancyFactory, ResidentFactory, StaffFactory, UserFactory, meeting_open


def _no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def _login(page, live_server, phone: str, next_path: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{live_server.url}{next_path}")
    page.fill('input[name="login"]', phone)
    page.fill('input[name="password"]', "demo12345")
    page.click('form button[type="submit"]')
    expect(page).to_have_url(f"{live_server.url}{next_path}")


def test_owner_votes_on_a_phone_and_later_sees_the_result_tenant_is_refused(
    page, live_server, estate_a, household_a
):
    _owner_user, unit = household_a
    tenant_user = UserFactory(phone="+8613800000303", username="tenant_a")
    OccupancyFactory(
        unit=unit,
        role="tenant",
        resident=ResidentFactory(estate=estate_a, user=tenant_user, phone="+8613800000303"),
    )
    manager = StaffFactory(estate=estate_a, role=StaffRole.MANAGER)
    meeting = meeting_open(
        estate=estate_a, by=manager, motions=(("续聘物业服务企业", 4), ("筹集维修资金", 6))
    )
    detail = f"/portal/voting/{meeting.pk}/"

    # The owner finds the open meeting, fills the whole ballot, reviews it and submits it.
    _login(page, live_server, "13800000101", "/portal/voting/")
    page.click(f'a[data-meeting="{meeting.pk}"]')
    expect(page).to_have_url(f"{live_server.url}{detail}")
    expect(page.locator("[data-on-roll]")).to_be_visible()
    assert _no_horizontal_scroll(page)
    motions = list(meeting.motions.order_by("position"))
    page.check(f'[data-motion="{motions[0].pk}"] input[data-choice="oppose"]')
    page.click("[data-review-ballot]")
    # The unanswered motion is shown as it will count (an abstention) before confirming.
    expect(page.locator(f'[data-confirm-motion="{motions[1].pk}"] [data-shown="abstain"]')).to_be_visible()
    page.click("[data-submit-ballot]")
    expect(page.locator(f'[data-motion="{motions[0].pk}"] [data-my-choice]')).to_have_attribute(
        "data-my-choice", "oppose"
    )
    # Changed: the whole ballot again, both motions answered this time.
    page.check(f'[data-motion="{motions[0].pk}"] input[data-choice="agree"]')
    page.check(f'[data-motion="{motions[1].pk}"] input[data-choice="agree"]')
    page.click("[data-review-ballot]")
    page.click("[data-submit-ballot]")
    expect(page.locator(f'[data-motion="{motions[1].pk}"] [data-my-choice]')).to_have_attribute(
        "data-my-choice", "agree"
    )
    receipt = page.locator(f'[data-motion="{motions[0].pk}"] [data-receipt]').inner_text()
    assert re.fullmatch(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){3}", receipt)
    assert _no_horizontal_scroll(page)
    # The receipt checks out as counted.
    page.goto(f"{live_server.url}/portal/voting/receipt/")
    page.fill('input[name="code"]', receipt)
    page.click('form button[type="submit"]')
    expect(page.locator('[data-receipt-result="counted"]')).to_be_visible()

    # The tenant of the same flat sees why they cannot vote, and a forged POST is refused.
    _login(page, live_server, "13800000303", detail)
    expect(page.locator("[data-not-on-roll]")).to_be_visible()
    expect(page.locator("input[data-choice]")).to_have_count(0)
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.post(
        f"{live_server.url}/portal/voting/{meeting.pk}/ballot/",
        form={f"motion-{motions[0].pk}": "oppose", "confirm": "1", "csrfmiddlewaretoken": token},
        headers={"Referer": f"{live_server.url}{detail}"},
    )
    assert response.status == 403
    assert "data-refused" in response.text()
    assert Ballot.objects.filter(superseded=False).count() == 2

    # Voting closes, the results are published; the owner sees them.
    services.meeting_close(meeting=meeting, by=manager, now=meeting.voting_closes_at)
    services.meeting_publish_results(meeting=meeting, by=manager)
    _login(page, live_server, "13800000101", detail)
    expect(page.locator("[data-results]")).to_be_visible()
    expect(page.locator(f'[data-result-motion="{motions[0].pk}"] [data-outcome="passed"]')).to_be_visible()
    expect(page.locator(f'[data-result-motion="{motions[1].pk}"] [data-outcome="passed"]')).to_be_visible()
    expect(page.locator("[data-published-at]")).not_to_be_empty()
    expect(page.locator("input[data-choice]")).to_have_count(0)
    assert _no_horizontal_scroll(page)
