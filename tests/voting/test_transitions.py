"""The meeting's one transition table, checked exhaustively (pure code, no database)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from community.errors import NotAllowed, TransitionRefused
from community.voting.transitions import (
    ALL_STATUSES,
    FINAL_STATUSES,
    TRANSITIONS,
    Actor,
    MeetingAction,
    MeetingStatus,
    allowed_actions,
    next_status,
)

S = MeetingStatus


@given(
    st.sampled_from(sorted(ALL_STATUSES)),
    st.sampled_from(MeetingAction.values),
    st.sampled_from(Actor.values),
)
def test_next_status_follows_the_table_and_nothing_else(status, action, actor):
    entry = TRANSITIONS.get((action, status))
    if entry is None:
        with pytest.raises(TransitionRefused):
            next_status(status, action, actor)
    elif actor not in entry[1]:
        with pytest.raises(NotAllowed):
            next_status(status, action, actor)
    else:
        assert next_status(status, action, actor) == entry[0]


@given(st.sampled_from(sorted(FINAL_STATUSES)), st.sampled_from(Actor.values))
def test_published_and_cancelled_are_final(status, actor):
    assert allowed_actions(status, actor) == []


def test_every_status_is_reachable_from_draft():
    seen, frontier = {S.DRAFT}, [S.DRAFT]
    while frontier:
        here = frontier.pop()
        for (_action, status), (target, _actors) in TRANSITIONS.items():
            if status == here and target not in seen:
                seen.add(target)
                frontier.append(target)
    assert seen == ALL_STATUSES


def test_counting_sits_between_the_close_and_the_publication():
    assert next_status(S.CLOSED, MeetingAction.COUNT, Actor.STAFF) == S.COUNTING
    assert next_status(S.COUNTING, MeetingAction.PUBLISH, Actor.STAFF) == S.PUBLISHED
    with pytest.raises(TransitionRefused):
        next_status(S.COUNTING, MeetingAction.CANCEL, Actor.STAFF)  # ballots are in: no cancelling


def test_the_clock_only_opens_and_closes():
    clock = {a for (a, _s), (_t, actors) in TRANSITIONS.items() if Actor.SYSTEM in actors}
    assert clock == {MeetingAction.OPEN, MeetingAction.CLOSE}
