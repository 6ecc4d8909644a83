"""The order and alarm transition tables (pure): property tests over every status and role."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from community.errors import NotAllowed, TransitionRefused
from eldercare.transitions import (
    ALARM_TRANSITIONS,
    ORDER_FINAL,
    ORDER_TRANSITIONS,
    AlarmAction,
    AlarmRole,
    AlarmStatus,
    OrderAction,
    OrderRole,
    OrderStatus,
    alarm_next,
    order_actions,
    order_next,
)

order_roles = st.sets(st.sampled_from(OrderRole.values))


@given(
    status=st.sampled_from(OrderStatus.values), action=st.sampled_from(OrderAction.values), roles=order_roles
)
def test_order_moves_follow_the_table_exactly(status, action, roles):
    entry = ORDER_TRANSITIONS.get((action, status))
    if entry is None:
        with pytest.raises(TransitionRefused):
            order_next(status, action, roles)
    elif not entry[1] & roles:
        with pytest.raises(NotAllowed):
            order_next(status, action, roles)
    else:
        assert order_next(status, action, roles) == entry[0]


@given(status=st.sampled_from(sorted(ORDER_FINAL)), roles=order_roles)
def test_final_orders_never_move(status, roles):
    assert order_actions(status, roles) == []


@given(statuses=st.lists(st.sampled_from(OrderAction.values), max_size=12))
def test_a_requester_alone_can_never_complete_a_visit(statuses):
    # Only the assigned worker checks out: a family member cannot mark work done.
    status = OrderStatus.PENDING
    for action in statuses:
        try:
            status = order_next(status, action, {OrderRole.REQUESTER})
        except (TransitionRefused, NotAllowed):
            continue
        assert status not in (OrderStatus.ACCEPTED, OrderStatus.CHECKED_IN, OrderStatus.COMPLETED)


def test_requester_cancels_only_before_accept():
    assert order_next("pending", "cancel", {"requester"}) == "cancelled"
    with pytest.raises(NotAllowed):
        order_next("accepted", "cancel", {"requester"})
    assert order_next("accepted", "cancel", {"staff"}) == "cancelled"


def test_the_happy_path():
    path = [
        ("accept", "worker", "accepted"),
        ("depart", "assignee", "en_route"),
        ("check_in", "assignee", "checked_in"),
        ("check_out", "assignee", "completed"),
        ("confirm", "requester", "confirmed"),
        ("rate", "requester", "rated"),
    ]
    status = "pending"
    for action, role, expected in path:
        status = order_next(status, action, {role})
        assert status == expected


@given(
    status=st.sampled_from(AlarmStatus.values),
    action=st.sampled_from(AlarmAction.values),
    roles=st.sets(st.sampled_from(AlarmRole.values)),
)
def test_alarm_moves_follow_the_table_exactly(status, action, roles):
    entry = ALARM_TRANSITIONS.get((action, status))
    if entry is None:
        with pytest.raises(TransitionRefused):
            alarm_next(status, action, roles)
    elif not entry[1] & roles:
        with pytest.raises(NotAllowed):
            alarm_next(status, action, roles)
    else:
        assert alarm_next(status, action, roles) == entry[0]


@given(actions=st.lists(st.sampled_from(AlarmAction.values), max_size=10))
def test_a_resolved_alarm_stays_resolved_and_escalation_never_answers(actions):
    status = AlarmStatus.RAISED
    for action in actions:
        before = status
        try:
            status = alarm_next(status, action, {AlarmRole.STAFF, AlarmRole.SYSTEM})
        except TransitionRefused:
            continue
        if before == AlarmStatus.RESOLVED:
            raise AssertionError("a resolved alarm moved")
        if action == AlarmAction.ESCALATE:
            assert status == AlarmStatus.RAISED
