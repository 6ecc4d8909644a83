"""The booth's live car-park screen in a real browser: reads that reach it together (the
publisher merges a busy gate's reads into one ``parking.reads`` message) show as rows, newest
on top, with the lot's count of the last one."""

from __future__ import annotations

from playwright.sync_api import expect

from community.accounts.roles import StaffRole
from tests.factories import LotFactory, StaffFactory

from .helpers import login


def _read(n: int, lot, *, opened: bool, inside: int) -> dict:
    return {
        "type": "parking.read",
        "id": n,
        "lot": lot.pk,
        "device": 1,
        "plate": f"湘A0000{n}",
        "direction": "in",
        "opened": opened,
        "reason": "temporary" if opened else "lot_full",
        "amount_due": "0.00",
        "offline": False,
        "clock_skewed": False,
        "needs_staff": False,
        "received_at": "2026-12-03T10:00:0{n}+08:00",
        "occupancy": {"lot": lot.pk, "inside": inside, "capacity": lot.capacity},
    }


def test_booth_staff_see_a_batch_of_reads_as_rows_newest_first(page, live_server, estate_a):
    lot = LotFactory(estate=estate_a, name="地面停车场", capacity=3)
    StaffFactory(estate=estate_a, role=StaffRole.SECURITY, phone="+8613900000301", password="demo12345")
    login(page, live_server.url, "13900000301", "/staff/parking/")
    expect(page.locator("#parking-feed .parking-feed-empty")).to_be_visible()
    page.wait_for_function("typeof window.communityParkingFeed === 'function'")

    reads = [_read(1, lot, opened=True, inside=2), _read(2, lot, opened=True, inside=3)]
    reads.append(_read(3, lot, opened=False, inside=3))
    page.evaluate("(event) => window.communityParkingFeed(event)", {"type": "parking.reads", "reads": reads})

    rows = page.locator("#parking-feed li.parking-row")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("湘A00003")  # the newest on top
    expect(rows.nth(2)).to_contain_text("湘A00001")
    feed = page.locator("#parking-feed")
    expect(rows.nth(0).locator(".badge")).to_have_text(feed.get_attribute("data-label-closed"))
    expect(rows.nth(1).locator(".badge")).to_have_text(feed.get_attribute("data-label-open"))
    labels = page.evaluate("JSON.parse(document.getElementById('parking-labels').textContent)")
    expect(rows.nth(0)).to_contain_text(labels["lot_full"])  # words, not the reason's code
    expect(page.locator("#parking-feed .parking-feed-empty")).to_have_count(0)
    expect(page.locator(f'[data-lot="{lot.pk}"] [data-inside]')).to_have_text("3")

    # A single read (no queue behind it) still arrives as one parking.read.
    page.evaluate("(event) => window.communityParkingFeed(event)", _read(4, lot, opened=True, inside=3))
    expect(rows).to_have_count(4)
    expect(rows.nth(0)).to_contain_text("湘A00004")
