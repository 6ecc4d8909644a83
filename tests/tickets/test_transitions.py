"""The transition table: no sequence of actions leaves it; illegal moves raise clearly."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from community.errors import NotAllowed, TransitionRefused
from community.tickets import services
from community.tickets.models import Ticket
from community.tickets.transitions import (
    ALL_STATUSES,
    FINAL_STATUSES,
    OPEN_STATUSES,
    TRANSITIONS,
    Action,
    Role,
    Status,
    allowed_actions,
    needs_reason,
    next_status,
)

actions = st.sampled_from(Action.values)
role_sets = st.frozensets(st.sampled_from(Role.values), min_size=0, max_size=4)


@given(st.lists(st.tuples(actions, role_sets), max_size=40))
def test_no_sequence_of_actions_leaves_the_table(steps):
    status = Status.NEW
    for action, roles in steps:
        entry = TRANSITIONS.get((action, status))
        try:
            new = next_status(status, action, roles)
        except NotAllowed:
            assert entry is not None and not (entry[1] & roles)
            continue
        except TransitionRefused:
            assert entry is None
            continue
        assert entry is not None and entry[1] & roles
        assert new == entry[0]
        assert new in ALL_STATUSES
        status = new
    assert status in ALL_STATUSES


@given(st.sampled_from(sorted(FINAL_STATUSES)), actions, role_sets)
def test_final_states_have_no_way_out_but_the_residents_reopen(status, action, roles):
    if (status, action) == (Status.CLOSED, Action.REOPEN) and Role.REPORTER in roles:
        assert next_status(status, action, roles) == Status.REOPENED
        return
    with pytest.raises((TransitionRefused, NotAllowed)):
        next_status(status, action, roles)


@given(st.sampled_from(sorted(ALL_STATUSES)), actions, role_sets)
def test_reassign_and_return_keep_or_release_the_work(status, action, roles):
    """Handing over never finishes a ticket; 退单 only from "assigned", back to dispatch."""
    entry = TRANSITIONS.get((action, status))
    if entry is None or not entry[1] & roles:
        return
    target = next_status(status, action, roles)
    if action == Action.REASSIGN:
        assert status in (Status.IN_PROGRESS, Status.ON_HOLD) and target in OPEN_STATUSES
        assert roles & {Role.STAFF}
        # In progress: the new technician accepts and starts again; on hold stays on hold.
        assert target == (Status.ASSIGNED if status == Status.IN_PROGRESS else Status.ON_HOLD)
    if action == Action.RETURN:
        assert (status, target) == (Status.ASSIGNED, Status.NEW) and Role.ASSIGNEE in roles
    if action == Action.CANCEL:
        assert status in (Status.NEW, Status.ASSIGNED) and Role.REPORTER in roles


@given(actions, role_sets)
def test_every_action_that_hands_over_or_refuses_needs_a_reason(action, roles):
    if action in (Action.REASSIGN, Action.RETURN, Action.HOLD, Action.DECLINE):
        assert needs_reason(action, roles)
    if action == Action.CLOSE:
        assert needs_reason(action, roles) == (Role.STAFF in roles and Role.SYSTEM not in roles)


def test_every_status_is_reachable_and_the_table_is_the_documented_one():
    reachable, frontier = {Status.NEW}, [Status.NEW]
    while frontier:
        current = frontier.pop()
        for (action, source), (target, _roles) in TRANSITIONS.items():
            if source == current and target not in reachable:
                reachable.add(target)
                frontier.append(target)
    assert reachable == ALL_STATUSES
    assert TRANSITIONS[(Action.REOPEN, Status.RESOLVED)] == (Status.REOPENED, frozenset({Role.REPORTER}))
    assert TRANSITIONS[(Action.CANCEL, Status.NEW)] == (Status.CANCELLED, frozenset({Role.REPORTER}))
    for status in OPEN_STATUSES:
        assert TRANSITIONS[(Action.DECLINE, status)][0] == Status.DECLINED
    # The resident may cancel until work starts; the technician is told.
    assert TRANSITIONS[(Action.CANCEL, Status.ASSIGNED)] == (Status.CANCELLED, frozenset({Role.REPORTER}))
    assert (Action.CANCEL, Status.IN_PROGRESS) not in TRANSITIONS
    # 返修: the assignee starts a reopened ticket directly.
    assert TRANSITIONS[(Action.START, Status.REOPENED)] == (Status.IN_PROGRESS, frozenset({Role.ASSIGNEE}))


def test_illegal_move_message_names_the_state_and_the_action():
    with pytest.raises(TransitionRefused) as info:
        next_status(Status.CLOSED, Action.RESOLVE, {Role.STAFF})
    assert "Closed" in info.value.messages[0] or "已关闭" in info.value.messages[0]


def test_resident_cannot_decline_and_staff_cannot_confirm():
    with pytest.raises(NotAllowed):
        next_status(Status.NEW, Action.DECLINE, {Role.REPORTER})
    with pytest.raises(NotAllowed):
        next_status(Status.RESOLVED, Action.CONFIRM, {Role.STAFF})
    assert allowed_actions(Status.RESOLVED, {Role.REPORTER}) == [Action.CONFIRM, Action.REOPEN]


# The same property through the services on a real ticket: whatever users try, the stored
# status is always the table's answer and a refused action changes nothing.
ACTORS = ["owner", "desk", "tech"]


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.sampled_from(ACTORS), actions), min_size=1, max_size=12))
def test_services_follow_the_table(steps, household_a, desk_a, technician_a, category_a):
    owner, unit = household_a
    people = {"owner": owner, "desk": desk_a, "tech": technician_a}
    ticket = services.ticket_create(by=owner, category=category_a, description="漏水", unit=unit)
    for who, action in steps:
        before = Ticket.objects.get(pk=ticket.pk)
        try:
            after = services.ticket_act(
                ticket=before, action=action, by=people[who], reason="原因", assignee=technician_a
            )
        except (ValidationError, PermissionDenied):
            assert Ticket.objects.get(pk=ticket.pk).status == before.status
            assert Ticket.objects.get(pk=ticket.pk).version == before.version
            continue
        assert after.status == TRANSITIONS[(action, before.status)][0]
        assert after.version == before.version + 1
        assert after.status in ALL_STATUSES
