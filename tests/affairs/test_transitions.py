"""The application transition table: every move either lands in a known status for an allowed
role or is refused with a 4xx exception — never anything else."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from community.affairs.transitions import (
    FINAL_STATUSES,
    TRANSITIONS,
    Action,
    Role,
    Status,
    allowed_actions,
    next_status,
)
from community.errors import NotAllowed, TransitionRefused


@given(st.sampled_from(Status.values), st.sampled_from(Action.values), st.sets(st.sampled_from(Role.values)))
def test_every_move_lands_in_a_status_or_is_refused(status, action, roles):
    try:
        target = next_status(status, action, roles)
    except TransitionRefused:
        assert (action, status) not in TRANSITIONS
    except NotAllowed:
        assert (action, status) in TRANSITIONS and not (TRANSITIONS[(action, status)][1] & roles)
    else:
        assert target in Status.values and action in allowed_actions(status, roles)


def test_nothing_leaves_a_final_status():
    for status in FINAL_STATUSES:
        assert allowed_actions(status, set(Role.values)) == []


def test_only_the_office_decides_and_only_the_applicant_resubmits():
    with pytest.raises(NotAllowed):
        next_status(Status.IN_REVIEW, Action.APPROVE, {Role.APPLICANT})
    with pytest.raises(NotAllowed):
        next_status(Status.NEEDS_MATERIALS, Action.RESUBMIT, {Role.OFFICE})
    assert next_status(Status.SUBMITTED, Action.NOTIFY_MISSING, {Role.OFFICE}) == Status.NEEDS_MATERIALS
