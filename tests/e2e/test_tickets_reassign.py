"""The manager hands a ticket in progress to another technician from the staff pages (the
admin queue); the new technician finds it on the phone worker page and takes it on."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from community.accounts.roles import StaffRole
from community.tickets import services
from community.tickets.models import Ticket
from tests.e2e.helpers import login
from tests.factories import CategoryFactory, StaffFactory


def test_manager_reassigns_work_in_progress_and_the_new_technician_sees_it(
    browser, browser_context_args, live_server, household_a
):
    owner, unit = household_a
    estate = unit.building.estate
    category = CategoryFactory(estate=estate, name="水电维修")
    manager = StaffFactory(estate=estate, role=StaffRole.MANAGER, phone="+8613900000555", name="王经理")
    first = StaffFactory(estate=estate, role=StaffRole.TECHNICIAN, name="刘师傅")
    second = StaffFactory(estate=estate, role=StaffRole.TECHNICIAN, phone="+8613900000888", name="陈师傅")
    ticket = services.ticket_create(by=owner, category=category, description="客厅插座冒火花", unit=unit)
    ticket = services.ticket_assign(ticket=ticket, technician=first, by=manager)
    ticket = services.ticket_act(ticket=ticket, action="start", by=first)
    base = live_server.url

    # The manager, at a desk: the ticket queue, select the ticket, hand it over with a reason.
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = desk.new_page()
    login(page, base, "139 0000 0555", "/admin/tickets/ticket/")
    page.check(f'input[name="_selected_action"][value="{ticket.pk}"]')
    page.select_option('select[name="action"]', "assign_selected")
    page.select_option('select[name="assignee"]', str(second.pk))
    page.fill('input[name="reason"]', "刘师傅临时调去3栋抢修")
    page.click('button[name="index"]')
    expect(page.locator(".messagelist")).to_contain_text("1")
    desk.close()

    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee) == ("assigned", second)

    # The new technician, on the phone: the ticket is in their queue; they accept and start.
    phone = browser.new_context(**browser_context_args)
    wpage = phone.new_page()
    login(wpage, base, "139 0000 0888", "/worker/")
    expect(wpage.locator("body")).to_contain_text(ticket.number)
    wpage.click(f"text={ticket.number}")
    expect(wpage).to_have_url(f"{base}/worker/tickets/{ticket.pk}/")
    expect(wpage.locator("body")).to_contain_text("刘师傅临时调去3栋抢修")
    wpage.click('button[data-action="start"]')
    expect(wpage.locator("[data-ticket-status]")).to_have_class(re.compile(r"\bstatus-in_progress\b"))
    phone.close()

    assert Ticket.objects.get(pk=ticket.pk).status == "in_progress"
