"""On a phone: a resident files a ticket with a photo, the technician resolves it, the resident
confirms and rates."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from community.accounts.roles import StaffRole
from community.tickets import services
from community.tickets.models import Rating, Ticket
from tests.e2e.helpers import login
from tests.factories import CategoryFactory, StaffFactory, photo_upload


def _no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_resident_files_technician_resolves_resident_confirms_and_rates(
    browser, browser_context_args, live_server, household_a
):
    _owner, unit = household_a
    estate = unit.building.estate
    category = CategoryFactory(estate=estate, name="水电维修")
    desk = StaffFactory(estate=estate, role=StaffRole.FRONT_DESK)
    technician = StaffFactory(estate=estate, role=StaffRole.TECHNICIAN, phone="+8613900000777", name="刘师傅")
    photo = photo_upload("leak.jpg", size=(800, 600), exif=True).read()
    base = live_server.url

    # The resident files the ticket with a photo.
    resident = browser.new_context(**browser_context_args)
    page = resident.new_page()
    login(page, base, "138 0000 0101", "/portal/tickets/")
    page.click(".app-main a.btn-primary")
    expect(page).to_have_url(f"{base}/portal/tickets/new/")
    assert _no_horizontal_scroll(page)
    page.select_option("#id_category", str(category.pk))
    page.select_option("#id_unit", str(unit.pk))
    page.fill("#id_description", "卫生间水管漏水，楼下天花板在渗水")
    page.set_input_files(
        "#id_photos", files=[{"name": "leak.jpg", "mimeType": "image/jpeg", "buffer": photo}]
    )
    expect(page.locator("[data-photo-previews] img")).to_have_count(1)
    page.click('#ticket-create button[type="submit"]')
    ticket = Ticket.objects.get()
    expect(page).to_have_url(f"{base}/portal/tickets/{ticket.pk}/")
    expect(page.locator(".page-title")).to_have_text("水电维修")
    expect(page.locator("body")).to_contain_text(ticket.number)
    expect(page.locator(".ticket-photos img")).to_have_count(1)
    # The photo really loads (through the authorised view, not a public /media/ URL).
    page.wait_for_function(
        "() => { const i = document.querySelector('.ticket-photos img');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    assert _no_horizontal_scroll(page)

    # The front desk assigns it (in the admin; here through the service).
    services.ticket_assign(ticket=ticket, technician=technician, by=desk)

    # The technician starts and resolves it from the worker pages.
    worker = browser.new_context(**browser_context_args)
    wpage = worker.new_page()
    login(wpage, base, "139 0000 0777", "/worker/")
    wpage.click(f"text={ticket.number}")
    expect(wpage).to_have_url(f"{base}/worker/tickets/{ticket.pk}/")
    assert _no_horizontal_scroll(wpage)
    wpage.click('button[data-action="start"]')
    expect(wpage.locator("[data-ticket-status]")).to_have_class(re.compile(r"\bstatus-in_progress\b"))
    wpage.fill("#resolve-reason", "更换了进水管的密封圈，已试水无渗漏")
    wpage.set_input_files(
        "#resolve-photos",
        files=[
            {"name": "fixed.png", "mimeType": "image/png", "buffer": photo_upload("f.png", fmt="PNG").read()}
        ],
    )
    wpage.click('button[data-action="resolve"]')
    expect(wpage.locator("[data-ticket-status]")).to_have_class(re.compile(r"\bstatus-resolved\b"))
    # The dashboard on the same phone: the status chart takes the full width, readable.
    wpage.goto(f"{base}/staff/tickets/")
    assert wpage.locator(".bar-chart").bounding_box()["width"] >= 300
    assert _no_horizontal_scroll(wpage)
    worker.close()

    # The resident sees the resolution, confirms it and gives four stars.
    page.reload()
    expect(page.locator("body")).to_contain_text("更换了进水管的密封圈")
    page.click('button[data-action="confirm"]')
    expect(page.locator("[data-ticket-status]")).to_have_class(re.compile(r"\bstatus-closed\b"))
    page.click('label[for="score-4"]')
    page.fill("#rating-comment", "师傅很专业")
    page.click(".rating-form button[type=submit]")
    expect(page.locator(".rating-stars")).to_have_text("★★★★☆")
    assert _no_horizontal_scroll(page)
    resident.close()

    ticket.refresh_from_db()
    assert ticket.status == "closed"
    assert ticket.photos.count() == 2
    assert Rating.objects.get(ticket=ticket).score == 4
