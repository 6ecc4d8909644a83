"""Audit: the ballot hash chain, voting_verify catching tampering, receipts."""

from __future__ import annotations

import itertools

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from community.voting import services
from community.voting.models import Ballot, MotionResult, RollEntry
from community.voting.selectors import receipt_lookup
from tests.factories import meeting_closed, meeting_open


@pytest.fixture
def voted(build, staff_a):
    owners = [build.owner("100.00")[0] for _ in range(3)]
    meeting = meeting_open(estate=build.estate, by=staff_a)
    motion = meeting.motions.first()
    for owner, choice in zip(owners, ["agree", "agree", "oppose"], strict=True):
        services.ballot_cast_by_owner(user=owner.user, motion=motion, choice=choice)
    services.ballot_cast_by_owner(user=owners[2].user, motion=motion, choice="agree")  # changed
    meeting = meeting_closed(meeting, by=staff_a)
    return meeting, owners


def _verify(meeting):
    return call_command("voting_verify", str(meeting.pk))


def test_ballots_form_one_chain_per_meeting(voted):
    meeting, _ = voted
    ballots = list(Ballot.objects.filter(meeting=meeting).order_by("seq"))
    assert ballots[0].prev_hash == "0" * 64
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(ballots))


def test_voting_verify_passes_on_an_untouched_meeting(voted, capsys):
    meeting, _ = voted
    _verify(meeting)
    assert "chain intact" in capsys.readouterr().out


def test_a_changed_choice_is_caught(voted, capsys):
    meeting, _ = voted
    ballot = Ballot.objects.filter(meeting=meeting, choice="oppose").first()
    Ballot.objects.filter(pk=ballot.pk).update(choice="agree")
    with pytest.raises(CommandError):
        _verify(meeting)
    assert "altered" in capsys.readouterr().err


def test_a_rehashed_forgery_breaks_the_next_link(voted):
    meeting, _ = voted
    ballot = Ballot.objects.filter(meeting=meeting).order_by("seq").first()
    ballot.choice = "oppose"
    ballot.hash = services.ballot_hash(ballot)  # the forger recomputes this row's hash…
    Ballot.objects.filter(pk=ballot.pk).update(choice="oppose", hash=ballot.hash)
    with pytest.raises(CommandError):  # …but the next row still points at the old one
        _verify(meeting)


def test_a_deleted_ballot_is_caught(voted):
    meeting, _ = voted
    Ballot.objects.filter(meeting=meeting, seq=2).delete()
    with pytest.raises(CommandError):
        _verify(meeting)


def test_a_revived_superseded_ballot_is_caught(voted):
    meeting, _ = voted
    old = Ballot.objects.filter(meeting=meeting, superseded=True).get()
    Ballot.objects.filter(meeting=meeting, roll_entry=old.roll_entry, superseded=False).update(
        superseded=True
    )
    Ballot.objects.filter(pk=old.pk).update(superseded=False)
    with pytest.raises(CommandError):
        _verify(meeting)


def test_an_altered_published_result_is_caught(voted):
    meeting, _ = voted
    MotionResult.objects.filter(motion__meeting=meeting).update(agree_owners=1)
    with pytest.raises(CommandError):
        _verify(meeting)


def test_an_altered_roll_area_is_caught(voted):
    meeting, _ = voted
    RollEntry.objects.filter(meeting=meeting).update(area=150)
    with pytest.raises(CommandError):
        _verify(meeting)


def test_a_self_consistent_roll_edit_is_caught(build, staff_a):
    # Entry and unit areas changed together (the per-entry sum check cannot see it) while
    # voting is still open, so the results frozen at close would agree with the forged roll.
    owner, _ = build.owner("100.00")
    build.owner("100.00")
    meeting = meeting_open(estate=build.estate, by=staff_a)
    entry = RollEntry.objects.get(meeting=meeting, members=owner)
    entry.units.update(area=300)
    RollEntry.objects.filter(pk=entry.pk).update(area=300)
    services.ballot_cast_by_owner(user=owner.user, motion=meeting.motions.first(), choice="agree")
    meeting = meeting_closed(meeting, by=staff_a)
    with pytest.raises(CommandError):
        _verify(meeting)


def test_recorded_corrections_keep_the_roll_verifiable(build, staff_a, media):
    from community.voting.models import RollCorrectionKind
    from tests.voting.conftest import pdf
    from tests.voting.helpers import meeting_announced

    build.owner("100.00")
    meeting = meeting_announced(estate=build.estate, by=staff_a)
    entry = meeting.roll.get()
    services.roll_correct(
        roll_entry=entry,
        kind=RollCorrectionKind.AREA,
        roll_unit=entry.units.get(),
        area="98.50",
        reason="按登记簿更正",
        document=pdf(),
        by=staff_a,
    )
    meeting.refresh_from_db()
    _verify(meeting)  # no CommandError


def test_unknown_meeting(db):
    with pytest.raises(CommandError, match="No meeting"):
        call_command("voting_verify", "999999")


def test_receipts_are_unguessable_and_only_their_voter_can_check_them(voted):
    meeting, owners = voted
    ballot = Ballot.objects.filter(meeting=meeting, roll_entry__members__user=owners[0].user).get()
    assert len(ballot.receipt_code) == 19 and ballot.receipt_code == services.receipt_code_for(ballot.hash)
    assert receipt_lookup(owners[0].user, ballot.receipt_code) == ballot
    assert receipt_lookup(owners[0].user, ballot.receipt_code.replace("-", "").lower()) == ballot
    assert receipt_lookup(owners[1].user, ballot.receipt_code) is None
