"""History and notifications are stored as a type plus parameters and read in the reader's
language, whoever wrote them and in whatever language they were working."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.utils import translation

from community.accounts.sms import LogSMSBackend
from community.notifications.messages import match_legacy
from community.notifications.models import Notification
from community.tickets import messages, services
from community.tickets.models import TicketEvent


@pytest.fixture(autouse=True)
def clean_outbox():
    LogSMSBackend.outbox.clear()
    yield
    LogSMSBackend.outbox.clear()


def _set_language(user, language):
    user.language = language
    user.save(update_fields=["language"])


def test_assignment_reads_in_each_readers_language(
    ticket_a, desk_a, technician_a, household_a, client_for, django_capture_on_commit_callbacks
):
    owner, _unit = household_a
    _set_language(technician_a, "en")
    _set_language(owner, "zh-hans")
    # The desk works in English; nobody else should get English because of that.
    _set_language(desk_a, "en")
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        services.ticket_assign(ticket=ticket_a, technician=technician_a, by=desk_a)

    stored = Notification.objects.get(recipient=technician_a, verb="ticket.assigned")
    assert (stored.message, stored.params, stored.title) == (messages.ASSIGNED, {"n": ticket_a.number}, "")

    tech_inbox = client_for(technician_a).get("/portal/inbox/").content.decode()
    assert f"Ticket {ticket_a.number} assigned to you" in tech_inbox
    owner_inbox = client_for(owner).get("/portal/inbox/").content.decode()
    assert f"您的工单 {ticket_a.number}" in owner_inbox and "刘师傅" in owner_inbox

    # SMS are built per recipient, in their language.
    texts = {m["phone"]: m["text"] for m in LogSMSBackend.outbox}
    assert texts[str(owner.phone)].startswith(f"您的工单 {ticket_a.number}")

    # The timeline line "assigned to …" too: English for the technician, Chinese for the owner.
    event = TicketEvent.objects.get(ticket=ticket_a, kind="assigned")
    assert (event.message, event.params, event.body) == (messages.ASSIGNED_TO, {"name": "刘师傅"}, "")
    worker_page = client_for(technician_a).get(f"/worker/tickets/{ticket_a.pk}/").content.decode()
    assert "Assigned to 刘师傅" in worker_page
    portal_page = client_for(owner).get(f"/portal/tickets/{ticket_a.pk}/").content.decode()
    assert "已派给 刘师傅" in portal_page and "Assigned to" not in portal_page


def test_api_renders_for_the_caller(ticket_a, desk_a, technician_a, client_for):
    services.ticket_assign(ticket=ticket_a, technician=technician_a, by=desk_a)
    _set_language(technician_a, "en")
    body = client_for(technician_a).get("/api/v1/notifications/").json()
    rows = body["results"] if isinstance(body, dict) else body
    assert rows[0]["title"] == f"Ticket {ticket_a.number} assigned to you"
    assert rows[0]["message"] == messages.ASSIGNED


def test_me_page_sets_the_language(household_a, client_for):
    owner, _unit = household_a
    client = client_for(owner)
    assert 'action="/portal/me/language/"' in client.get("/portal/me/").content.decode()
    r = client.post("/portal/me/language/", {"language": "en", "next": "/portal/"})
    assert r.status_code == 302
    owner.refresh_from_db()
    assert owner.language == "en"
    assert "Log out" in client.get("/portal/me/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    r = client.post("/portal/me/language/", {"language": "klingon"}, follow=True)
    owner.refresh_from_db()
    assert owner.language == "en"


def test_legacy_text_in_either_language_becomes_type_and_params(ticket_a, technician_a, desk_a):
    assert match_legacy("工单 BX-1 已派给您") == (messages.ASSIGNED, {"n": "BX-1"})
    assert match_legacy("Ticket BX-1 rated 4/5") == (messages.RATED, {"n": "BX-1", "score": 4})
    assert match_legacy("师傅下午到") is None

    chinese = Notification.objects.create(
        recipient=technician_a, verb="ticket.assigned", title=f"工单 {ticket_a.number} 已派给您"
    )
    free = Notification.objects.create(recipient=technician_a, verb="ticket.comment", title="随便写的")
    legacy_event = TicketEvent.objects.create(ticket=ticket_a, kind="assigned", body="Assigned to 刘师傅")
    reason = TicketEvent.objects.create(ticket=ticket_a, kind="status", body="等业主在家")

    migration = importlib.import_module("community.tickets.migrations.0003_messages_from_legacy_text")
    migration.forwards(apps, None)

    chinese.refresh_from_db()
    free.refresh_from_db()
    legacy_event.refresh_from_db()
    reason.refresh_from_db()
    assert (chinese.message, chinese.params, chinese.title) == (messages.ASSIGNED, {"n": ticket_a.number}, "")
    assert (free.message, free.title) == ("", "随便写的")
    assert (legacy_event.message, legacy_event.params) == (messages.ASSIGNED_TO, {"name": "刘师傅"})
    assert (reason.message, reason.body) == ("", "等业主在家")
    with translation.override("en"):
        assert chinese.title_text == f"Ticket {ticket_a.number} assigned to you"
        assert free.title_text == "随便写的"  # legacy text, shown as written
    with translation.override("zh-hans"):
        assert legacy_event.text == "已派给 刘师傅"


def test_live_updates_show_the_status_in_the_readers_language(
    ticket_a, household_a, technician_a, desk_a, client_for
):
    # The websocket event is written in the actor's language; the page carries its own labels.
    services.ticket_assign(ticket=ticket_a, technician=technician_a, by=desk_a)
    for user, url in (
        (household_a[0], f"/portal/tickets/{ticket_a.pk}/"),
        (technician_a, f"/worker/tickets/{ticket_a.pk}/"),
    ):
        page = client_for(user).get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert 'id="ticket-status-labels"' in page and '"in_progress": "In progress"' in page
