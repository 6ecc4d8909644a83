"""Issue 11 for tickets: work handed over, returned and restarted; the response and arrival
deadlines escalate; holds have reasons; staff closes say why; a breach stays on the record."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from community.accounts.roles import StaffRole
from community.errors import NotAllowed, ServiceError, TransitionRefused
from community.notifications.models import Notification
from community.tickets import messages, selectors, services
from community.tickets.models import Ticket, TicketSettings
from community.tickets.resources import TicketResource
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db
ESCALATE = services.SYSTEM_ESCALATE


@pytest.fixture
def technician_2(estate_a):
    return StaffFactory(estate=estate_a, role=StaffRole.TECHNICIAN, username="tech_a2", name="陈师傅")


def _in_progress(ticket, desk, tech, now=None):
    ticket = services.ticket_assign(ticket=ticket, technician=tech, by=desk)
    ticket = services.ticket_act(ticket=ticket, action="accept", by=tech, now=now)
    return services.ticket_act(ticket=ticket, action="start", by=tech, now=now)


def test_reassign_work_in_progress_keeps_the_clock(ticket_a, desk_a, technician_a, technician_2):
    ticket = _in_progress(ticket_a, desk_a, technician_a)
    due = ticket.resolution_due_at
    with pytest.raises(ServiceError):  # a reason is needed
        services.ticket_act(ticket=ticket, action="reassign", by=desk_a, assignee=technician_2)
    with pytest.raises(NotAllowed):  # technicians do not hand work to each other
        services.ticket_act(
            ticket=ticket, action="reassign", by=technician_a, assignee=technician_2, reason="x"
        )
    ticket = services.ticket_act(
        ticket=ticket, action="reassign", by=desk_a, assignee=technician_2, reason="刘师傅调去抢修"
    )
    assert (ticket.status, ticket.assignee, ticket.accepted_at) == ("assigned", technician_2, None)
    assert ticket.resolution_due_at == due  # the SLA clock is not reset
    assert Notification.objects.filter(recipient=technician_2, message=messages.ASSIGNED).exists()
    assert Notification.objects.filter(recipient=technician_a, message=messages.REASSIGNED_AWAY).exists()
    ticket = services.ticket_act(ticket=ticket, action="start", by=technician_2)
    assert ticket.status == "in_progress"


def test_reassign_on_hold_stays_on_hold(ticket_a, desk_a, technician_a, technician_2):
    ticket = _in_progress(ticket_a, desk_a, technician_a)
    ticket = services.ticket_act(
        ticket=ticket, action="hold", by=technician_a, reason="等业主", hold_reason="resident"
    )
    ticket = services.ticket_act(
        ticket=ticket, action="reassign", by=desk_a, assignee=technician_2, reason="换人"
    )
    assert (ticket.status, ticket.assignee, ticket.hold_reason) == ("on_hold", technician_2, "resident")
    assert ticket.on_hold_since is not None


def test_technician_returns_a_job_to_dispatch(ticket_a, desk_a, technician_a):
    ticket = services.ticket_assign(ticket=ticket_a, technician=technician_a, by=desk_a)
    with pytest.raises(ServiceError):
        services.ticket_act(ticket=ticket, action="return", by=technician_a)
    ticket = services.ticket_act(ticket=ticket, action="return", by=technician_a, reason="缺少高空作业证")
    assert (ticket.status, ticket.assignee) == ("new", None)
    assert Notification.objects.filter(recipient=desk_a, message=messages.RETURNED).exists()


def test_reopened_work_goes_back_to_its_technician(ticket_a, desk_a, technician_a, household_a, manager_a):
    owner, _unit = household_a
    ticket = _in_progress(ticket_a, desk_a, technician_a)
    ticket = services.ticket_act(ticket=ticket, action="resolve", by=technician_a, reason="换了阀门")
    ticket = services.ticket_act(ticket=ticket, action="reopen", by=owner, reason="又漏了")
    assert "start" in selectors.actions_for(technician_a, ticket)
    Notification.objects.all().delete()
    # The first at-risk alert of reopened work reaches the desk as well as the technician.
    assert services.tickets_escalate(by=ESCALATE, now=ticket.at_risk_at + dt.timedelta(seconds=1)) == 1
    assert Notification.objects.filter(recipient=technician_a, message=messages.AT_RISK).exists()
    assert Notification.objects.filter(recipient=desk_a, message=messages.AT_RISK).exists()
    ticket = services.ticket_act(ticket=Ticket.objects.get(pk=ticket.pk), action="start", by=technician_a)
    assert ticket.status == "in_progress"
    reopens = selectors.dashboard(manager_a)["reopens"]
    assert reopens == [{"technician": "刘师傅", "category": "水电维修", "count": 1}]


def test_a_reopen_counts_against_the_technician_whose_work_came_back_even_after_a_hand_over(
    ticket_a, desk_a, technician_a, technician_2, household_a, manager_a
):
    owner, _unit = household_a
    ticket = _in_progress(ticket_a, desk_a, technician_a)
    ticket = services.ticket_act(ticket=ticket, action="resolve", by=technician_a, reason="换了阀门")
    ticket = services.ticket_act(ticket=ticket, action="reopen", by=owner, reason="又漏了")
    # The manager gives the 返修 to someone else: the reopen stays 刘师傅's on the dashboard.
    services.ticket_act(ticket=ticket, action="assign", by=desk_a, assignee=technician_2, reason="换人返修")
    reopens = selectors.dashboard(manager_a)["reopens"]
    assert reopens == [{"technician": "刘师傅", "category": "水电维修", "count": 1}]


def test_urgent_unanswered_ticket_alerts_at_the_response_deadline_not_181_minutes(
    file_ticket, desk_a, manager_a, technician_a
):
    filed = timezone.now() - dt.timedelta(hours=5)
    ticket = Ticket.objects.get(pk=file_ticket(now=filed).pk)
    Ticket.objects.filter(pk=ticket.pk).update(priority="urgent")
    ticket.priority = "urgent"
    services.apply_deadlines(ticket, now=filed)
    ticket.save()
    assert ticket.response_due_at == filed + dt.timedelta(minutes=30)
    assert ticket.arrival_due_at == filed + dt.timedelta(minutes=30)
    # Dispatch is not a response: assigned but nobody accepted.
    services.ticket_assign(ticket=ticket, technician=technician_a, by=desk_a, expected_version=None)
    assert services.tickets_escalate(by=ESCALATE, now=filed + dt.timedelta(minutes=29)) == 0
    assert (
        services.tickets_escalate(by=ESCALATE, now=filed + dt.timedelta(minutes=31)) == 2
    )  # response, arrival
    assert services.tickets_escalate(by=ESCALATE, now=filed + dt.timedelta(minutes=40)) == 0
    for who in (desk_a, manager_a):
        assert Notification.objects.filter(recipient=who, message=messages.NO_RESPONSE).count() == 1
        assert Notification.objects.filter(recipient=who, message=messages.NOT_ON_SITE).count() == 1
    assert Ticket.objects.get(pk=ticket.pk).breached


def test_arrival_target_is_per_estate(estate_a, file_ticket):
    TicketSettings.objects.create(estate=estate_a, arrival_high_minutes=45)
    now = timezone.now()
    ticket = file_ticket(now=now, priority="high")
    assert ticket.arrival_due_at == now + dt.timedelta(minutes=45)


def test_staff_close_needs_a_reason_and_the_resident_may_still_reopen(
    ticket_a, desk_a, technician_a, household_a
):
    owner, _unit = household_a
    ticket = _in_progress(ticket_a, desk_a, technician_a)
    ticket = services.ticket_act(ticket=ticket, action="resolve", by=technician_a, reason="已修复")
    with pytest.raises(ServiceError):
        services.ticket_act(ticket=ticket, action="close", by=desk_a)
    ticket = services.ticket_act(ticket=ticket, action="close", by=desk_a, reason="住户电话确认")
    assert ticket.status == "closed"
    ticket = services.ticket_act(ticket=ticket, action="reopen", by=owner, reason="其实还在漏")
    assert ticket.status == "reopened"


def test_a_confirmed_ticket_is_not_reopened(ticket_a, desk_a, technician_a, household_a):
    owner, _unit = household_a
    ticket = _in_progress(ticket_a, desk_a, technician_a)
    ticket = services.ticket_act(ticket=ticket, action="resolve", by=technician_a, reason="已修复")
    ticket = services.ticket_act(ticket=ticket, action="confirm", by=owner)
    with pytest.raises(TransitionRefused):
        services.ticket_act(ticket=ticket, action="reopen", by=owner, reason="又坏了")


def test_reopen_window_cannot_outlast_the_auto_close(estate_a):
    with pytest.raises(ValidationError):
        TicketSettings(estate=estate_a, auto_close_days=3, reopen_days=7).full_clean()


def test_holds_waiting_for_the_resident_pause_waiting_for_parts_does_not(
    file_ticket, desk_a, technician_a, manager_a, household_a, client_for
):
    owner, _unit = household_a
    start = timezone.now() - dt.timedelta(days=61)
    parts = _in_progress(file_ticket(now=start), desk_a, technician_a, now=start)
    parts = services.ticket_act(
        ticket=parts, action="hold", by=technician_a, reason="等厂家配件", hold_reason="parts", now=start
    )
    assert parts.on_hold_since is None  # the clock keeps running
    # The resident sees what it waits for.
    page = client_for(owner).get(f"/portal/tickets/{parts.pk}/").content.decode()
    assert "等待配件或供应商" in page
    with pytest.raises(NotAllowed):
        services.ticket_hold_approve(ticket=parts, by=desk_a)
    # Sixty days on hold: the manager hears of it once.
    assert services.tickets_escalate(by=ESCALATE, now=timezone.now()) >= 1
    assert Notification.objects.filter(recipient=manager_a, message=messages.LONG_HOLD).count() == 1
    services.tickets_escalate(by=ESCALATE, now=timezone.now())
    assert Notification.objects.filter(recipient=manager_a, message=messages.LONG_HOLD).count() == 1
    assert Ticket.objects.get(pk=parts.pk).breached  # the running clock passed its deadline
    approved = services.ticket_hold_approve(ticket=parts, by=manager_a)
    assert approved.on_hold_since is not None

    waiting = _in_progress(file_ticket(), desk_a, technician_a)
    waiting = services.ticket_act(
        ticket=waiting, action="hold", by=technician_a, reason="业主出差", hold_reason="resident"
    )
    assert waiting.on_hold_since is not None
    with pytest.raises(ServiceError):
        services.ticket_act(
            ticket=_in_progress(file_ticket(), desk_a, technician_a),
            action="hold",
            by=technician_a,
            reason="x",
        )


def test_priority_downgrade_needs_a_reason_and_a_breach_stays(ticket_a, desk_a, manager_a):
    Ticket.objects.filter(pk=ticket_a.pk).update(
        resolution_due_at=timezone.now() - dt.timedelta(hours=1),
        at_risk_at=timezone.now() - dt.timedelta(hours=5),
    )
    ticket = Ticket.objects.get(pk=ticket_a.pk)
    with pytest.raises(ServiceError):
        services.ticket_update(
            ticket=ticket, by=desk_a, expected_version=ticket.version, changes={"priority": "low"}
        )
    ticket = services.ticket_update(
        ticket=ticket,
        by=desk_a,
        expected_version=ticket.version,
        changes={"priority": "low"},
        reason="业主说不急",
    )
    assert ticket.resolution_due_at > timezone.now()  # the new deadline is in the future …
    assert ticket.breached  # … but the breach stays, and reports count it
    assert Ticket.objects.filter(breached=True).count() == 1
    # Resolved within the new deadline, it still counts as a miss on the dashboard.
    technician = StaffFactory(estate=ticket.estate, role=StaffRole.TECHNICIAN, name="赵师傅")
    ticket = services.ticket_assign(ticket=ticket, technician=technician, by=desk_a)
    ticket = services.ticket_act(ticket=ticket, action="start", by=technician)
    services.ticket_act(ticket=ticket, action="resolve", by=technician, reason="已修")
    figures = selectors.dashboard(manager_a)
    assert (figures["breached"], figures["sla_total"], figures["sla_met"]) == (1, 1, 0)
    exported = TicketResource().export(queryset=Ticket.objects.filter(pk=ticket.pk)).dict[0]
    assert exported[str(TicketResource.fields["breached"].column_name)] in ("yes", "是")


def test_resident_cancels_an_assigned_ticket_and_the_technician_is_told(
    ticket_a, desk_a, technician_a, household_a
):
    owner, _unit = household_a
    ticket = services.ticket_assign(ticket=ticket_a, technician=technician_a, by=desk_a)
    ticket = services.ticket_act(ticket=ticket, action="cancel", by=owner)
    assert ticket.status == "cancelled"
    assert Notification.objects.filter(recipient=technician_a, message=messages.CANCELLED).exists()


def test_normal_priority_on_business_hours_urgent_stays_round_the_clock(estate_a, file_ticket, calendar_2026):
    TicketSettings.objects.create(estate=estate_a, business_hours=True)
    # Wednesday 17:00, the eve of the National Day holidays (Oct 1–7, 2026): one working hour
    # left that day, the other three on Thursday Oct 8.
    filed = dt.datetime(2026, 9, 30, 17, 0, tzinfo=timezone.get_current_timezone())
    normal = file_ticket(now=filed, priority="normal")  # respond within 4 working hours
    assert normal.response_due_at == dt.datetime(2026, 10, 8, 11, 0, tzinfo=timezone.get_current_timezone())
    urgent = Ticket.objects.get(pk=file_ticket(now=filed).pk)
    urgent.priority = "urgent"
    services.apply_deadlines(urgent, now=filed)
    assert urgent.response_due_at == filed + dt.timedelta(minutes=30)
