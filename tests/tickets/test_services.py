"""Ticket services: numbers, the workflow's side effects, conflicts, escalation, auto-close."""

from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from community.errors import AlreadyDone, TransitionRefused
from community.notifications.models import Notification
from community.tickets import services
from community.tickets.models import Kind, Ticket, TicketSettings
from community.tickets.services import StaleTicket
from community.tickets.transitions import Status
from tests.factories import CategoryFactory, StaffFactory

pytestmark = pytest.mark.django_db

# Threads need a database they can share with real locks. SQLite's in-memory test database
# uses shared-cache table locks that fail at once instead of waiting (production SQLite is a
# WAL file with IMMEDIATE transactions, which queue writers); there the sequential conflict
# tests above cover the rule.
needs_shared_database = pytest.mark.skipif(
    connection.vendor == "sqlite" and not connection.settings_dict.get("TEST", {}).get("NAME"),
    reason="in-memory SQLite test database cannot run concurrent transactions",
)


def _resolved(ticket, desk, tech, *, at):
    ticket = services.ticket_assign(ticket=ticket, technician=tech, by=desk)
    ticket = services.ticket_act(ticket=ticket, action="start", by=tech, now=at)
    return services.ticket_act(ticket=ticket, action="resolve", by=tech, reason="已更换阀门", now=at)


def test_numbers_are_readable_per_kind_and_count_per_estate_per_day(
    file_ticket, estate_a, category_b, household_b
):
    today = timezone.localdate()
    first = file_ticket()
    complaint = file_ticket(category=CategoryFactory(estate=estate_a, kind=Kind.COMPLAINT, name="噪音"))
    assert re.fullmatch(rf"BX-{today:%Y%m%d}-0001", first.number)
    assert complaint.number == f"TS-{today:%Y%m%d}-0002"
    user_b, unit_b = household_b
    other = services.ticket_create(by=user_b, category=category_b, description="漏水", unit=unit_b)
    assert other.number == f"BX-{today:%Y%m%d}-0001"  # estate B counts on its own


def test_resident_files_only_for_own_home(file_ticket, household_b):
    _user_b, unit_b = household_b
    with pytest.raises(ValidationError):
        file_ticket(unit=unit_b)
    with pytest.raises(ValidationError):
        file_ticket(unit=None, common_area="")
    assert file_ticket(unit=None, common_area="3栋电梯").location == "3栋电梯"
    assert Ticket.objects.count() == 1


def test_outsider_cannot_file(category_a, household_b):
    user_b, _unit = household_b
    with pytest.raises(PermissionDenied):
        services.ticket_create(by=user_b, category=category_a, description="x", common_area="大门")


def test_full_flow_notifies_the_right_people(
    ticket_a, desk_a, technician_a, household_a, django_capture_on_commit_callbacks
):
    owner, _unit = household_a
    ticket = services.ticket_assign(ticket=ticket_a, technician=technician_a, by=desk_a)
    assert Notification.objects.filter(recipient=technician_a, verb="ticket.assigned").exists()
    assert Notification.objects.filter(recipient=owner, verb="ticket.status").exists()
    ticket = services.ticket_act(ticket=ticket, action="accept", by=technician_a)
    assert ticket.accepted_at is not None and ticket.status == Status.ASSIGNED
    ticket = services.ticket_act(ticket=ticket, action="start", by=technician_a)
    ticket = services.ticket_act(ticket=ticket, action="resolve", by=technician_a, reason="已更换阀门")
    assert Notification.objects.filter(recipient=owner, verb="ticket.resolved").exists()
    ticket = services.ticket_act(ticket=ticket, action="confirm", by=owner)
    rating = services.ticket_rate(ticket=ticket, by=owner, score=5, comment="师傅很专业")
    assert rating.score == 5
    assert Notification.objects.filter(recipient=technician_a, verb="ticket.rated").exists()
    kinds = list(ticket.events.values_list("kind", flat=True))
    assert kinds == ["created", "assigned", "status", "status", "status", "status", "rated"]


def test_rating_rules(ticket_a, desk_a, technician_a, household_a):
    owner, _unit = household_a
    with pytest.raises(TransitionRefused):
        services.ticket_rate(ticket=ticket_a, by=owner, score=5)
    ticket = _resolved(ticket_a, desk_a, technician_a, at=timezone.now())
    ticket = services.ticket_act(ticket=ticket, action="confirm", by=owner)
    with pytest.raises(ValidationError):
        services.ticket_rate(ticket=ticket, by=owner, score=6)
    with pytest.raises(PermissionDenied):
        services.ticket_rate(ticket=ticket, by=desk_a, score=1)
    services.ticket_rate(ticket=ticket, by=owner, score=4)
    with pytest.raises(AlreadyDone):
        services.ticket_rate(ticket=ticket, by=owner, score=3)


def test_reopen_only_within_the_window(file_ticket, desk_a, technician_a, household_a):
    owner, _unit = household_a
    resolved_at = timezone.now() - dt.timedelta(days=8)
    late = _resolved(file_ticket(), desk_a, technician_a, at=resolved_at)
    with pytest.raises(TransitionRefused, match="7"):
        services.ticket_act(ticket=late, action="reopen", by=owner, reason="又漏了")
    fresh = _resolved(file_ticket(), desk_a, technician_a, at=timezone.now() - dt.timedelta(days=6))
    reopened = services.ticket_act(ticket=fresh, action="reopen", by=owner, reason="又漏了")
    assert reopened.status == Status.REOPENED
    assert reopened.resolution_due_at > timezone.now()
    assert Notification.objects.filter(recipient=technician_a, verb="ticket.reopened").exists()


def test_decline_needs_a_reason_and_staff(ticket_a, desk_a, household_a, technician_a):
    owner, _unit = household_a
    with pytest.raises(ValidationError):
        services.ticket_act(ticket=ticket_a, action="decline", by=desk_a, reason="")
    with pytest.raises(PermissionDenied):
        services.ticket_act(ticket=ticket_a, action="decline", by=owner, reason="x")
    with pytest.raises(PermissionDenied):  # technicians fix, they do not triage
        services.ticket_act(ticket=ticket_a, action="decline", by=technician_a, reason="x")
    ticket = services.ticket_act(ticket=ticket_a, action="decline", by=desk_a, reason="属于业主自用部分")
    assert ticket.status == Status.DECLINED
    assert Notification.objects.filter(recipient=owner, verb="ticket.declined").exists()


def test_assign_only_to_staff_of_the_estate(ticket_a, desk_a, technician_b, household_a):
    owner, _unit = household_a
    with pytest.raises(ValidationError):
        services.ticket_assign(ticket=ticket_a, technician=technician_b, by=desk_a)
    with pytest.raises(ValidationError):
        services.ticket_assign(ticket=ticket_a, technician=owner, by=desk_a)


def test_second_save_with_the_same_version_is_a_conflict(ticket_a, desk_a, manager_a):
    seen = ticket_a.version
    services.ticket_update(
        ticket=ticket_a, by=desk_a, expected_version=seen, changes={"priority": "high"}, reason="楼下进水"
    )
    with pytest.raises(StaleTicket):
        services.ticket_update(
            ticket=ticket_a, by=manager_a, expected_version=seen, changes={"description": "改了描述"}
        )
    ticket = Ticket.objects.get(pk=ticket_a.pk)
    assert ticket.priority == "high" and ticket.description != "改了描述"  # the first save is kept
    with pytest.raises(StaleTicket):
        services.ticket_act(ticket=ticket, action="decline", by=manager_a, reason="x", expected_version=seen)


@needs_shared_database
@pytest.mark.django_db(transaction=True)
def test_concurrent_saves_one_wins_one_conflicts(estate_a, household_a):
    owner, unit = household_a
    category = CategoryFactory(estate=estate_a)
    staff = [StaffFactory(estate=estate_a, role="front_desk") for _ in range(2)]
    ticket = services.ticket_create(by=owner, category=category, description="漏水", unit=unit)
    barrier = threading.Barrier(2)
    results = []

    def save(user, priority):
        try:
            barrier.wait(timeout=10)
            services.ticket_update(
                ticket=Ticket.objects.get(pk=ticket.pk),
                by=user,
                expected_version=1,
                changes={"priority": priority},
                reason="电话核实",
            )
            results.append("ok")
        except StaleTicket:
            results.append("conflict")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=save, args=(s, p)) for s, p in zip(staff, ["high", "low"], strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) == ["conflict", "ok"]
    assert Ticket.objects.get(pk=ticket.pk).version == 2


@needs_shared_database
@pytest.mark.django_db(transaction=True)
def test_concurrent_filings_get_distinct_numbers(estate_a, household_a):
    owner, unit = household_a
    category = CategoryFactory(estate=estate_a)
    barrier = threading.Barrier(4)
    numbers, errors = [], []

    def file():
        try:
            barrier.wait(timeout=10)
            numbers.append(
                services.ticket_create(by=owner, category=category, description="漏水", unit=unit).number
            )
        except Exception as exc:  # collected, asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=file) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert sorted(n[-4:] for n in numbers) == ["0001", "0002", "0003", "0004"]


def test_escalation_notifies_assignee_then_manager_once_per_level(ticket_a, desk_a, technician_a, manager_a):
    ticket = services.ticket_assign(ticket=ticket_a, technician=technician_a, by=desk_a)
    # Accepted and on site at once: only the resolution deadline is left to escalate.
    ticket = services.ticket_act(ticket=ticket, action="accept", by=technician_a, now=ticket.created_at)
    ticket = services.ticket_act(ticket=ticket, action="start", by=technician_a, now=ticket.created_at)
    due = ticket.resolution_due_at
    budget = due - ticket.sla_started_at
    assert services.tickets_escalate(by=services.SYSTEM_ESCALATE, now=due - budget * 0.5) == 0
    assert services.tickets_escalate(by=services.SYSTEM_ESCALATE, now=due - budget * 0.1) == 1
    assert (
        services.tickets_escalate(by=services.SYSTEM_ESCALATE, now=due - budget * 0.05) == 0
    )  # same level: no second message
    assert Notification.objects.filter(recipient=technician_a, verb="ticket.at_risk").count() == 1
    assert (
        not Notification.objects.filter(recipient=manager_a)
        .filter(verb__startswith="ticket.overdue")
        .exists()
    )
    assert services.tickets_escalate(by=services.SYSTEM_ESCALATE, now=due + dt.timedelta(minutes=1)) == 1
    assert services.tickets_escalate(by=services.SYSTEM_ESCALATE, now=due + dt.timedelta(hours=1)) == 0
    assert Notification.objects.filter(recipient=technician_a, verb="ticket.overdue").count() == 1
    assert Notification.objects.filter(recipient=manager_a, verb="ticket.overdue").count() == 1
    assert Ticket.objects.get(pk=ticket.pk).escalation_level == 2
    assert ticket.events.filter(kind="escalated", is_internal=True).count() == 2


def test_escalation_command_runs(ticket_a, capsys):
    Ticket.objects.filter(pk=ticket_a.pk).update(
        resolution_due_at=timezone.now() - dt.timedelta(hours=1),
        at_risk_at=timezone.now() - dt.timedelta(hours=2),
        responded_at=timezone.now(),
        arrived_at=timezone.now(),
    )
    call_command("tickets_escalate")
    assert "escalated 1" in capsys.readouterr().out
    assert Ticket.objects.get(pk=ticket_a.pk).escalation_level == 2


def test_auto_close_after_the_estate_setting(file_ticket, desk_a, technician_a, estate_a, capsys):
    now = timezone.now()
    old = _resolved(file_ticket(), desk_a, technician_a, at=now - dt.timedelta(days=8))
    recent = _resolved(file_ticket(), desk_a, technician_a, at=now - dt.timedelta(days=3))
    assert services.tickets_auto_close(by=services.SYSTEM_AUTO_CLOSE, now=now) == 1
    assert Ticket.objects.get(pk=old.pk).status == Status.CLOSED
    assert Ticket.objects.get(pk=recent.pk).status == Status.RESOLVED
    TicketSettings.objects.create(estate=estate_a, auto_close_days=2, reopen_days=2)
    call_command("tickets_auto_close")
    assert "closed 1" in capsys.readouterr().out
    assert Ticket.objects.get(pk=recent.pk).status == Status.CLOSED
    last = Ticket.objects.get(pk=recent.pk).events.last()
    assert last.actor is None and last.system_actor == "system:tickets_auto_close"  # closed by the job


def test_internal_notes_need_staff(ticket_a, household_a, desk_a):
    owner, _unit = household_a
    with pytest.raises(PermissionDenied):
        services.ticket_comment(ticket=ticket_a, by=owner, body="x", internal=True)
    note = services.ticket_comment(ticket=ticket_a, by=desk_a, body="业主脾气急", internal=True)
    assert note.is_internal
