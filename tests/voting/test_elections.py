"""A committee election with more candidates than seats: one candidate-list motion.

Owners choose up to N candidates (portal refuses more; an over-marked paper item is spoiled,
counted as an abstention); each candidate is elected only if the Art. 278 thresholds hold for
them; seats go by votes in order; a tie for the last seat leaves it for a runoff.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from community.accounts.roles import StaffRole
from community.voting import audit, services
from community.voting.models import Ballot, CandidateResult, Choice, Meeting, RollEntry
from community.voting.selectors import meeting_tally, published_tally
from tests.factories import StaffFactory, meeting_closed
from tests.voting.conftest import pdf


def _election_meeting(estate, by, *, seats=2, names=("张三", "李四", "王五"), with_yes_no=True):
    """A meeting whose notice went out 20 days ago and whose voting is open, with an election."""
    now = dt.datetime.now(dt.UTC)
    meeting = Meeting.objects.create(
        estate=estate,
        title="选举业主委员会",
        voting_opens_at=now - dt.timedelta(days=1),
        voting_closes_at=now + dt.timedelta(days=6),
        created_by=by,
    )
    election = services.motion_create(
        meeting=meeting, title="选举第二届业主委员会委员", text="应选2名", matter=3, seats=seats, by=by
    )
    candidates = [services.candidate_add(motion=election, name=n, by=by) for n in names]
    if with_yes_no:
        services.motion_create(meeting=meeting, title="续聘物业", text="…", matter=4, by=by)
    services.meeting_publish_notice(meeting=meeting, by=by, now=now - dt.timedelta(days=20))
    meeting = services.meeting_open(meeting=meeting, by=by)
    return meeting, election, candidates


def _owners(build, n, area="100.00"):
    return [build.owner(area)[0] for _ in range(n)]


def _vote(owner, meeting, election, chosen):
    return services.ballot_submit_by_owner(
        user=owner.user, meeting=meeting, choices={election.pk: [c.pk for c in chosen]}
    )


def test_seats_go_by_votes_to_those_who_pass_and_the_result_is_frozen(build, staff_a):
    owners = _owners(build, 9)
    meeting, election, (zhang, li, wang) = _election_meeting(build.estate, staff_a)
    for owner in owners[:7]:
        _vote(owner, meeting, election, [zhang, li])
    for owner in owners[7:9]:
        _vote(owner, meeting, election, [wang])
    tally = next(t for t in meeting_tally(meeting) if t.motion_id == election.pk)
    # Every owner took part (9 of 9); 张三 and 李四 each have 7 of 9 owners and 700 of 900 m².
    assert (tally.figures.participating_owners, tally.seats) == (9, 2)
    got = {c.name: (c.yes_owners, c.yes_area, c.outcome.elected) for c in tally.candidates}
    assert got == {
        "张三": (7, D("700.00"), True),
        "李四": (7, D("700.00"), True),
        "王五": (2, D("200.00"), False),
    }
    assert tally.decision.passed

    meeting_closed(meeting, by=staff_a)
    frozen = {
        r.candidate.name: (r.elected, r.passed, r.rank)
        for r in CandidateResult.objects.select_related("candidate")
    }
    assert frozen == {"张三": (True, True, 1), "李四": (True, True, 1), "王五": (False, False, None)}
    published = next(t for t in published_tally(meeting) if t.motion_id == election.pk)
    assert [c.outcome.elected for c in published.candidates] == [True, True, False]
    assert audit.meeting_verify(meeting).ok


def test_more_votes_than_others_is_not_enough_without_a_majority(build, staff_a):
    owners = _owners(build, 9)
    meeting, election, (zhang, li, _wang) = _election_meeting(build.estate, staff_a, seats=1)
    for owner in owners[:4]:
        _vote(owner, meeting, election, [zhang])
    for owner in owners[4:7]:
        _vote(owner, meeting, election, [li])
    for owner in owners[7:]:
        services.ballot_submit_by_owner(user=owner.user, meeting=meeting, choices={election.pk: "abstain"})
    tally = next(t for t in meeting_tally(meeting) if t.motion_id == election.pk)
    # 张三 leads with 4 of 9: not more than half. The seat stays empty.
    assert [c.outcome.elected for c in tally.candidates] == [False, False, False]
    assert tally.decision.quorum_met and not tally.decision.passed


def test_a_tie_for_more_seats_than_are_left_elects_none_of_the_tied(build, staff_a):
    owners = _owners(build, 9)
    meeting, election, (a, b, c) = _election_meeting(build.estate, staff_a, names=("甲", "乙", "丙"))
    pairs = [[a, b], [b, c], [a, c]]
    for i, owner in enumerate(owners):
        _vote(owner, meeting, election, pairs[i % 3])
    tally = next(t for t in meeting_tally(meeting) if t.motion_id == election.pk)
    # Each has 6 of 9 owners and 600 of 900 m²: all pass, all tie for two seats — a runoff.
    assert [(x.yes_owners, x.outcome.decision.passed) for x in tally.candidates] == [(6, True)] * 3
    assert [(x.outcome.elected, x.outcome.tied) for x in tally.candidates] == [(False, True)] * 3
    assert not tally.decision.passed


def test_the_portal_refuses_more_candidates_than_seats_and_unknown_candidates(build, staff_a, estate_b):
    owner = _owners(build, 1)[0]
    meeting, election, (zhang, li, wang) = _election_meeting(build.estate, staff_a)
    with pytest.raises(ValidationError, match="at most 2 candidate"):
        _vote(owner, meeting, election, [zhang, li, wang])
    _other, _other_election, (stranger, *_rest) = _election_meeting(estate_b, StaffFactory(estate=estate_b))
    with pytest.raises(ValidationError, match="Choose candidates listed"):
        _vote(owner, meeting, election, [stranger])
    with pytest.raises(ValidationError, match="choose up to 2"):
        services.ballot_submit_by_owner(user=owner.user, meeting=meeting, choices={election.pk: "agree"})
    assert not Ballot.objects.filter(meeting=meeting).exists()


def test_an_empty_list_is_blank_and_the_whole_ballot_still_takes_part(build, staff_a):
    owner = _owners(build, 1)[0]
    meeting, election, _ = _election_meeting(build.estate, staff_a)
    yes_no = meeting.motions.exclude(pk=election.pk).get()
    services.ballot_submit_by_owner(user=owner.user, meeting=meeting, choices={yes_no.pk: "agree"})
    ballot = Ballot.objects.get(motion=election)
    assert (ballot.choice, ballot.candidates) == (Choice.BLANK, [])
    tally = next(t for t in meeting_tally(meeting) if t.motion_id == election.pk)
    assert (tally.figures.abstain_owners, tally.figures.participating_owners) == (1, 1)


def test_an_over_marked_paper_list_is_spoiled_and_counts_as_abstention(build, staff_a, media):
    owner, scrutineer = _owners(build, 2)
    desk = StaffFactory(estate=build.estate, role=StaffRole.FRONT_DESK)
    meeting, election, (zhang, li, wang) = _election_meeting(build.estate, staff_a)
    services.scrutineer_appoint(meeting=meeting, resident=scrutineer, by=staff_a)
    entry = RollEntry.objects.get(meeting=meeting, members=owner)
    at = meeting.voting_opens_at + dt.timedelta(hours=1)
    paper = services.paper_ballot_enter(
        meeting=meeting,
        roll_entry=entry,
        signer_name="业主",
        received_at=at,
        scan=pdf(),
        choices={election.pk: [zhang.pk, li.pk, wang.pk]},
        by=desk,
        now=at,
    )
    assert paper.choices[str(election.pk)] == Choice.INVALID
    services.paper_ballot_confirm(paper=paper, by=scrutineer.user)
    tally = next(t for t in meeting_tally(meeting) if t.motion_id == election.pk)
    assert (tally.figures.abstain_owners, [c.yes_owners for c in tally.candidates]) == (1, [0, 0, 0])
    paper2 = services.paper_ballot_enter(
        meeting=meeting,
        roll_entry=entry,
        signer_name="业主",
        received_at=at + dt.timedelta(hours=1),
        scan=pdf(),
        choices={election.pk: [wang.pk]},
        by=desk,
        now=at + dt.timedelta(hours=2),
    )
    services.paper_ballot_confirm(paper=paper2, by=scrutineer.user)
    tally = next(t for t in meeting_tally(meeting) if t.motion_id == election.pk)
    assert [c.yes_owners for c in tally.candidates] == [0, 0, 1]
    assert audit.meeting_verify(meeting).ok


def test_candidates_are_fixed_by_the_notice(build, staff_a, estate_a):
    build.owner()
    _meeting, election, (zhang, *_rest) = _election_meeting(build.estate, staff_a)
    with pytest.raises(ValidationError, match="after the notice"):
        services.candidate_add(motion=election, name="赵六", by=staff_a)
    with pytest.raises(ValidationError, match="after the notice"):
        services.candidate_remove(candidate=zhang, by=staff_a)


def test_an_election_without_candidates_cannot_be_noticed_and_yes_no_motions_take_none(build, staff_a):
    build.owner()
    meeting = Meeting.objects.create(
        estate=build.estate,
        title="M",
        voting_opens_at=dt.datetime(2030, 1, 20, tzinfo=dt.UTC),
        voting_closes_at=dt.datetime(2030, 1, 27, tzinfo=dt.UTC),
    )
    election = services.motion_create(meeting=meeting, title="选举", text="…", matter=3, seats=3, by=staff_a)
    yes_no = services.motion_create(meeting=meeting, title="续聘", text="…", matter=4, by=staff_a)
    with pytest.raises(ValidationError, match="give the motion its number of seats"):
        services.candidate_add(motion=yes_no, name="张三", by=staff_a)
    with pytest.raises(ValidationError, match="candidates of every election"):
        services.meeting_publish_notice(
            meeting=meeting, by=staff_a, now=dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
        )
    with pytest.raises(ValidationError, match=r"Give the candidate's name\."):
        services.candidate_add(motion=election, name="  ", by=staff_a)
    with pytest.raises(ValidationError, match=r"At most 100 characters \(this is 101\)"):
        services.candidate_add(motion=election, name="张" * 101, by=staff_a)
    services.candidate_add(motion=election, name="张三", by=staff_a)
    with pytest.raises(ValidationError, match="already on the list"):
        services.candidate_add(motion=election, name="张三", by=staff_a)
    services.meeting_publish_notice(meeting=meeting, by=staff_a, now=dt.datetime(2030, 1, 1, tzinfo=dt.UTC))


def test_the_portal_ballot_ticks_candidates_confirms_and_shows_who_was_elected(build, staff_a, client_for):
    from django.urls import reverse

    owner = _owners(build, 1)[0]
    meeting, election, (zhang, li, wang) = _election_meeting(build.estate, staff_a)
    client = client_for(owner.user)
    page = client.get(reverse("portal-voting:detail", args=[meeting.pk])).content.decode()
    assert 'data-seats="2"' in page and f'value="{wang.pk}"' in page
    submit = reverse("portal-voting:submit", args=[meeting.pk])
    review = client.post(submit, {f"motion-{election.pk}": [str(zhang.pk), str(wang.pk)]}).content.decode()
    assert "张三、王五" in review
    # Three ticked for two seats: sent back with the reason, nothing recorded.
    response = client.post(
        submit, {f"motion-{election.pk}": [str(zhang.pk), str(li.pk), str(wang.pk)]}, follow=True
    )
    assert "at most 2 candidate" in response.content.decode()
    assert not Ballot.objects.exists()
    client.post(submit, {f"motion-{election.pk}": [str(zhang.pk), str(wang.pk)], "confirm": "1"})
    ballot = Ballot.objects.get(motion=election)
    assert (ballot.choice, ballot.candidates) == (Choice.SELECTED, sorted([zhang.pk, wang.pk]))
    meeting_closed(meeting, by=staff_a)
    page = client.get(reverse("portal-voting:detail", args=[meeting.pk])).content.decode()
    assert f'data-candidate-result="{zhang.pk}" data-elected="yes"' in page
    assert f'data-candidate-result="{li.pk}" data-elected="no"' in page
    assert audit.meeting_verify(meeting).ok


def test_the_legacy_texts_of_voting_notifications_are_recognised_in_chinese():
    from django.utils import translation

    from community.notifications.messages import match_legacy, render
    from community.voting import messages

    with translation.override("zh-hans"):
        text = render(messages.BALLOT_CHANGED, {"t": "第一次业主大会", "who": "王五", "n": 3})
    assert text != "" and "王五" in text
    assert match_legacy(text, messages.LEGACY_KEYS) == (
        messages.BALLOT_CHANGED,
        {"t": "第一次业主大会", "who": "王五", "n": 3},
    )
