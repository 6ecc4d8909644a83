"""SLA clocks: deadlines move by exactly the time on hold, across midnight and any number of
pauses; the stored deadlines and the escalation job follow them."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from community.tickets import services
from community.tickets.models import Ticket
from community.tickets.sla import Clock, SLAState, at_risk_from, sla_state
from community.tickets.transitions import Status

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
START = dt.datetime(2026, 11, 27, 23, 0, tzinfo=SHANGHAI)

# A timeline of (run seconds, hold seconds) segments, long enough to cross several midnights.
segments = st.lists(st.tuples(st.integers(0, 30 * 3600), st.integers(0, 30 * 3600)), max_size=8)
budgets = st.integers(60, 10 * 24 * 3600).map(lambda s: dt.timedelta(seconds=s))
starts = st.datetimes(
    min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2030, 1, 1), timezones=st.just(SHANGHAI)
)


def _run(clock: Clock, start: dt.datetime, plan) -> tuple[Clock, dt.datetime, int, int]:
    at, ran, held = start, 0, 0
    for run, hold in plan:
        at += dt.timedelta(seconds=run)
        ran += run
        clock = clock.pause(at)
        at += dt.timedelta(seconds=hold)
        held += hold
        clock = clock.resume(at)
    return clock, at, ran, held


@given(starts, segments, budgets)
def test_deadline_moves_by_exactly_the_time_on_hold(start, plan, budget):
    clock, now, ran, held = _run(Clock(started_at=start), start, plan)
    assert clock.paused_seconds == held
    assert clock.active_seconds(now) == ran
    assert clock.due_at(budget) == start + budget + dt.timedelta(seconds=held)
    assert clock.remaining(budget, now) == budget - dt.timedelta(seconds=ran)


@given(starts, segments, budgets, st.integers(0, 48 * 3600))
def test_while_on_hold_the_clock_stands_still(start, plan, budget, wait):
    clock, now, ran, _held = _run(Clock(started_at=start), start, plan)
    paused = clock.pause(now)
    later = now + dt.timedelta(seconds=wait)
    assert paused.active_seconds(later) == ran
    assert paused.state(budget, later) == paused.state(budget, now)
    # The deadline seen while paused is the one the resume will store.
    assert paused.due_at(budget, later) == paused.resume(later).due_at(budget)


@given(starts, budgets, st.integers(0, 20 * 24 * 3600))
def test_state_ok_then_at_risk_then_overdue(start, budget, elapsed):
    clock = Clock(started_at=start)
    now = start + dt.timedelta(seconds=elapsed)
    state = clock.state(budget, now)
    left = budget - dt.timedelta(seconds=elapsed)
    if left <= dt.timedelta(0):
        assert state == SLAState.OVERDUE
    elif left <= budget // 4:
        assert state == SLAState.AT_RISK
    else:
        assert state == SLAState.OK


def test_pause_across_midnight_in_shanghai():
    budget = dt.timedelta(hours=4)
    clock = Clock(started_at=START)  # 23:00
    clock = clock.pause(START + dt.timedelta(minutes=30))  # 23:30 waiting for parts
    clock = clock.resume(START + dt.timedelta(hours=9, minutes=30))  # 08:30 next day
    assert clock.paused_seconds == 9 * 3600
    assert clock.due_at(budget) == dt.datetime(2026, 11, 28, 12, 0, tzinfo=SHANGHAI)
    assert clock.active_seconds(dt.datetime(2026, 11, 28, 9, 0, tzinfo=SHANGHAI)) == 3600


def test_ticket_deadlines_pause_while_on_hold(db, file_ticket, desk_a, technician_a):
    ticket = file_ticket(now=START, priority="normal")  # 72 h to resolve
    assert ticket.resolution_due_at == START + dt.timedelta(hours=72)
    assert ticket.response_due_at == START + dt.timedelta(hours=4)
    ticket = services.ticket_assign(ticket=ticket, technician=technician_a, by=desk_a)
    ticket = services.ticket_act(
        ticket=ticket, action="start", by=technician_a, now=START + dt.timedelta(hours=1)
    )
    ticket = services.ticket_act(
        ticket=ticket,
        action="hold",
        by=technician_a,
        reason="业主出差，约下周",
        hold_reason="resident",
        now=START + dt.timedelta(hours=2),
    )
    ticket = services.ticket_act(
        ticket=ticket, action="resume", by=technician_a, now=START + dt.timedelta(hours=2 + 30)
    )  # a day and a half on hold
    ticket.refresh_from_db()
    assert ticket.paused_seconds == 30 * 3600
    assert ticket.on_hold_since is None
    assert ticket.resolution_due_at == START + dt.timedelta(hours=72 + 30)


def test_on_hold_tickets_are_not_escalated(db, file_ticket, desk_a, technician_a):
    ticket = file_ticket(now=START, priority="urgent")  # 4 h
    services.ticket_assign(ticket=ticket, technician=technician_a, by=desk_a)
    services.ticket_act(ticket=ticket, action="start", by=technician_a, now=START)
    services.ticket_act(
        ticket=ticket, action="hold", by=technician_a, reason="等业主在家", hold_reason="resident", now=START
    )
    assert services.tickets_escalate(by=services.SYSTEM_ESCALATE, now=START + dt.timedelta(days=2)) == 0
    assert Ticket.objects.get(pk=ticket.pk).escalation_level == 0


def test_category_policy_sets_the_budget(db, file_ticket, category_a):
    category_a.sla_policies.create(priority="high", response_minutes=15, resolution_minutes=120)
    ticket = file_ticket(now=START, priority="high")
    assert ticket.response_due_at == START + dt.timedelta(minutes=15)
    assert ticket.resolution_due_at == START + dt.timedelta(hours=2)


# --- One rule: the pure sla_state and the queryset filters agree at every boundary -------------

MICRO = dt.timedelta(microseconds=1)


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    start=starts,
    budget=budgets,
    probe=st.sampled_from(["at_risk", "due"]),
    offset=st.sampled_from(
        [-MICRO, dt.timedelta(0), MICRO, -dt.timedelta(seconds=1), dt.timedelta(seconds=1)]
    ),
    status=st.sampled_from(sorted(Status.values)),
)
def test_the_rule_and_the_queryset_agree_at_every_boundary(file_ticket, start, budget, probe, offset, status):
    ticket = file_ticket(now=START)
    due = start + budget
    at_risk = at_risk_from(due, budget)
    Ticket.objects.filter(pk=ticket.pk).update(resolution_due_at=due, at_risk_at=at_risk, status=status)
    ticket.refresh_from_db()
    now = (at_risk if probe == "at_risk" else due) + offset

    state = ticket.sla_state(now)
    in_overdue = Ticket.objects.overdue(now).filter(pk=ticket.pk).exists()
    in_at_risk = Ticket.objects.at_risk(now).filter(pk=ticket.pk).exists()
    assert in_overdue == (state == SLAState.OVERDUE)
    assert in_at_risk == (state == SLAState.AT_RISK)
    # And the clock arithmetic says the same for a clock that ran the whole time.
    if state is not None:
        assert Clock(started_at=start).state(budget, now) == state


@given(starts, budgets)
def test_at_risk_mark_is_exact(start, budget):
    due = start + budget
    mark = at_risk_from(due, budget)
    assert sla_state(now=mark - MICRO, due_at=due, at_risk_at=mark) == SLAState.OK or mark - MICRO < start
    assert sla_state(now=mark, due_at=due, at_risk_at=mark) in (SLAState.AT_RISK, SLAState.OVERDUE)
    assert sla_state(now=due, due_at=due, at_risk_at=mark) == SLAState.OVERDUE
