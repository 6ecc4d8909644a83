"""Issue 11 on the pages: the manager puts a ticket on hold waiting for parts from the ticket's
staff page (the clock keeps running), then approves the wait (the clock stops); the resident
sees on the phone what the ticket waits for."""

from __future__ import annotations

from playwright.sync_api import expect

from community.accounts.roles import StaffRole
from community.tickets import services
from community.tickets.models import Ticket
from tests.e2e.helpers import login
from tests.factories import CategoryFactory, StaffFactory


def test_manager_holds_for_parts_and_approves_the_wait_the_resident_sees_why(
    browser, browser_context_args, live_server, household_a
):
    owner, unit = household_a
    estate = unit.building.estate
    category = CategoryFactory(estate=estate, name="门窗维修")
    manager = StaffFactory(estate=estate, role=StaffRole.MANAGER, phone="+8613900000556", name="王经理")
    technician = StaffFactory(estate=estate, role=StaffRole.TECHNICIAN, name="刘师傅")
    ticket = services.ticket_create(by=owner, category=category, description="阳台推拉门滑轮坏了", unit=unit)
    ticket = services.ticket_assign(ticket=ticket, technician=technician, by=manager)
    ticket = services.ticket_act(ticket=ticket, action="start", by=technician)
    base = live_server.url

    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = desk.new_page()
    login(page, base, "139 0000 0556", f"/admin/tickets/ticket/{ticket.pk}/change/")
    hold = page.locator('form[data-action="hold"]')
    hold.locator('select[name="hold_reason"]').select_option("parts")
    hold.locator('textarea[name="reason"]').fill("滑轮型号停产，等厂家寄")
    hold.locator('input[type="submit"]').click()
    expect(page.locator(".messagelist")).to_be_visible()
    assert Ticket.objects.get(pk=ticket.pk).on_hold_since is None  # a wait for parts: clock runs
    page.locator('form[data-action="approve_hold"] input[type="submit"]').click()
    expect(page.locator('form[data-action="approve_hold"]')).to_have_count(0)
    desk.close()
    held = Ticket.objects.get(pk=ticket.pk)
    assert (held.status, held.hold_reason) == ("on_hold", "parts") and held.on_hold_since is not None

    phone = browser.new_context(**browser_context_args)
    rpage = phone.new_page()
    login(rpage, base, "138 0000 0101", f"/portal/tickets/{ticket.pk}/")
    expect(rpage.locator("body")).to_contain_text("等待配件或供应商")
    phone.close()
