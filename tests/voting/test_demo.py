"""seed_demo adds a closed meeting with published results and an open one; twice changes nothing."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from community.voting.audit import meeting_verify
from community.voting.demo import CLOSED_TITLE, OPEN_TITLE
from community.voting.models import Ballot, Meeting, RollEntry


@pytest.mark.django_db
def test_seed_demo_adds_a_published_and_an_open_meeting_idempotently():
    call_command("seed_demo", "--no-progress", verbosity=0)
    closed = Meeting.objects.get(title=CLOSED_TITLE)
    open_ = Meeting.objects.get(title=OPEN_TITLE)
    assert closed.status == "published" and closed.results_published_at
    assert open_.status == "open"
    assert RollEntry.objects.filter(meeting=open_, members__user__phone="+8613800000001").exists()
    assert not Ballot.objects.filter(
        meeting=open_, roll_entry__members__user__phone="+8613800000001"
    ).exists()
    assert closed.motions.filter(result__quorum_met=True).count() == 3
    assert meeting_verify(closed).ok and meeting_verify(open_).ok
    counts = (Meeting.objects.count(), Ballot.objects.count(), RollEntry.objects.count())
    call_command("seed_demo", "--no-progress", verbosity=0)
    assert (Meeting.objects.count(), Ballot.objects.count(), RollEntry.objects.count()) == counts
