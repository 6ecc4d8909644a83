"""Portal, worker and staff pages through the test client."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from community.tickets import selectors, services
from community.tickets.models import Rating, Ticket
from tests.factories import photo_upload

pytestmark = pytest.mark.django_db


def test_resident_files_confirms_and_rates_on_the_portal(
    household_a, category_a, desk_a, technician_a, client_for
):
    owner, unit = household_a
    client = client_for(owner)
    form = client.get("/portal/tickets/new/").content.decode()
    assert category_a.name in form and unit.label in form
    r = client.post(
        "/portal/tickets/new/",
        {
            "category": category_a.pk,
            "unit": unit.pk,
            "description": "卫生间漏水",
            "priority": "high",
            "photos": [photo_upload()],
        },
    )
    ticket = Ticket.objects.get()
    assert r.status_code == 302 and r.url == f"/portal/tickets/{ticket.pk}/"
    assert ticket.priority == "high" and ticket.photos.count() == 1
    page = client.get(r.url).content.decode()
    assert ticket.number in page and "卫生间漏水" in page

    ticket = services.ticket_assign(ticket=ticket, technician=technician_a, by=desk_a)
    worker = client_for(technician_a)
    assert ticket.number in worker.get("/worker/").content.decode()
    worker.post(f"/worker/tickets/{ticket.pk}/start/", {"version": ticket.version})
    r = worker.post(
        f"/worker/tickets/{ticket.pk}/resolve/",
        {"version": ticket.version + 1, "reason": "已更换水管", "photos": [photo_upload("fixed.jpg")]},
    )
    assert r.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "resolved" and ticket.photos.count() == 2

    client = client_for(owner)
    page = client.get(f"/portal/tickets/{ticket.pk}/").content.decode()
    assert "已更换水管" in page
    client.post(f"/portal/tickets/{ticket.pk}/confirm/", {"version": ticket.version})
    assert Ticket.objects.get(pk=ticket.pk).status == "closed"
    client.post(f"/portal/tickets/{ticket.pk}/rate/", {"score": "4", "comment": "不错"})
    assert Rating.objects.get(ticket=ticket).score == 4


def test_stale_form_shows_a_clear_message(ticket_a, household_a, client_for, desk_a):
    owner, _unit = household_a
    services.ticket_update(
        ticket=ticket_a, by=desk_a, expected_version=1, changes={"description": "卫生间漏水严重"}
    )
    r = client_for(owner).post(f"/portal/tickets/{ticket_a.pk}/cancel/", {"version": 1}, follow=True)
    assert Ticket.objects.get(pk=ticket_a.pk).status == "new"
    text = r.content.decode()
    assert "reload" in text.lower() or "刷新" in text or "重新" in text


def test_illegal_page_action_is_a_message_not_a_500(ticket_a, household_a, client_for):
    owner, _unit = household_a
    r = client_for(owner).post(f"/portal/tickets/{ticket_a.pk}/reopen/", {"reason": "x"}, follow=True)
    assert r.status_code == 200
    assert 'class="alert alert-error"' in r.content.decode()


def test_worker_pages_are_for_staff(household_a, client_for):
    owner, _unit = household_a
    assert client_for(owner).get("/worker/").status_code == 403
    assert client_for(owner).get("/staff/tickets/").status_code == 403


def test_worker_queue_is_ordered_by_deadline(file_ticket, desk_a, technician_a, client_for):
    later = file_ticket(priority="normal")
    sooner = file_ticket(priority="high")
    for t in (later, sooner):
        services.ticket_assign(ticket=t, technician=technician_a, by=desk_a)
    queue = list(selectors.worker_queue(technician_a))
    assert queue == [sooner, later]
    page = client_for(technician_a).get("/worker/").content.decode()
    assert page.index(sooner.number) < page.index(later.number)


def test_dashboard_figures(file_ticket, desk_a, technician_a, household_a, manager_a, client_for):
    owner, _unit = household_a
    now = timezone.now()
    hours = [2, 4, 200]  # resolve times; the last one misses the 72 h SLA
    for h in hours:
        t = file_ticket(now=now - dt.timedelta(hours=h + 1))
        t = services.ticket_assign(ticket=t, technician=technician_a, by=desk_a)
        t = services.ticket_act(ticket=t, action="start", by=technician_a, now=now - dt.timedelta(hours=1))
        t = services.ticket_act(
            ticket=t, action="resolve", by=technician_a, reason="ok", now=now - dt.timedelta(hours=1)
        )
        t = services.ticket_act(ticket=t, action="confirm", by=owner)
        services.ticket_rate(ticket=t, by=owner, score=5 if h < 100 else 2)
    file_ticket()
    data = selectors.dashboard(manager_a, now=now)
    assert {s: n for s, _l, n in data["status_counts"]}["closed"] == 3
    assert data["open_count"] == 1
    assert data["sla_total"] == 3 and data["sla_met"] == 2 and data["sla_compliance"] == 66.7
    assert round(data["median_hours"], 1) == 4.0
    assert data["ratings"][0]["avg"] == 4.0 and data["ratings"][0]["count"] == 3
    page = client_for(manager_a).get("/staff/tickets/").content.decode()
    assert "<svg" in page and "66.7%" in page


@pytest.mark.urls("tests.notifications.urls")
def test_inbox_page_lists_my_notifications(ticket_a, desk_a, technician_a, client_for):
    services.ticket_assign(ticket=ticket_a, technician=technician_a, by=desk_a)
    page = client_for(technician_a).get("/portal/inbox/").content.decode()
    assert ticket_a.number in page
