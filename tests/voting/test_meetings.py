"""Meetings: schedule rules, the transition table, no motion after the notice."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from community.errors import TransitionRefused
from community.voting import services
from community.voting.models import MeetingStatus


def _draft(estate, by, *, opens_in=dt.timedelta(days=20), window=dt.timedelta(days=7)):
    opens = timezone.now() + opens_in
    return services.meeting_create(
        estate=estate, title="业主大会", voting_opens_at=opens, voting_closes_at=opens + window, by=by
    )


@pytest.mark.parametrize(
    "window,ok",
    [
        (dt.timedelta(days=5) - dt.timedelta(seconds=1), False),
        (dt.timedelta(days=5), True),
        (dt.timedelta(days=60), True),
        (dt.timedelta(days=60, seconds=1), False),
    ],
)
def test_voting_window_lasts_5_to_60_days(estate_a, staff_a, window, ok):
    if ok:
        assert _draft(estate_a, staff_a, window=window).pk
    else:
        with pytest.raises(ValidationError) as exc:
            _draft(estate_a, staff_a, window=window)
        assert "voting_closes_at" in exc.value.message_dict


@pytest.mark.parametrize(
    "gap,ok",
    [
        (dt.timedelta(days=15) - dt.timedelta(seconds=1), False),
        (dt.timedelta(days=15), True),
    ],
)
def test_notice_at_least_15_days_before_opening(estate_a, staff_a, gap, ok):
    meeting = _draft(estate_a, staff_a)
    services.motion_create(meeting=meeting, title="续聘物业", text="…", matter=4, by=staff_a)
    now = meeting.voting_opens_at - gap
    if ok:
        assert (
            services.meeting_publish_notice(meeting=meeting, by=staff_a, now=now).status
            == MeetingStatus.NOTICED
        )
    else:
        with pytest.raises(ValidationError) as exc:
            services.meeting_publish_notice(meeting=meeting, by=staff_a, now=now)
        assert "15" in exc.value.message_dict["voting_opens_at"][0]


def test_notice_needs_a_motion(estate_a, staff_a):
    with pytest.raises(ValidationError, match="at least one motion"):
        services.meeting_publish_notice(meeting=_draft(estate_a, staff_a), by=staff_a)


def test_no_motion_added_or_changed_after_the_notice(estate_a, staff_a):
    meeting = _draft(estate_a, staff_a)
    motion = services.motion_create(meeting=meeting, title="续聘物业", text="…", matter=4, by=staff_a)
    services.meeting_publish_notice(meeting=meeting, by=staff_a)
    with pytest.raises(ValidationError, match="after the notice"):
        services.motion_create(meeting=meeting, title="加一项", text="…", matter=9, by=staff_a)
    with pytest.raises(ValidationError, match="after the notice"):
        services.motion_update(motion=motion, matter=6, by=staff_a)
    with pytest.raises(ValidationError, match="after the notice"):
        services.meeting_update(meeting=meeting, title="改名", by=staff_a)
    assert meeting.motions.count() == 1


def test_motion_kind_follows_the_matter(estate_a, staff_a):
    meeting = _draft(estate_a, staff_a)
    assert (
        services.motion_create(meeting=meeting, title="筹集维修资金", text="…", matter=6, by=staff_a).kind
        == "special"
    )
    assert (
        services.motion_create(meeting=meeting, title="选举业委会", text="…", matter=3, by=staff_a).kind
        == "ordinary"
    )
    with pytest.raises(ValidationError):
        services.motion_create(meeting=meeting, title="?", text="…", matter=10, by=staff_a)


def test_attachments_are_checked_for_type_and_size(estate_a, staff_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    meeting = _draft(estate_a, staff_a)
    motion = services.motion_create(meeting=meeting, title="续聘物业", text="…", matter=4, by=staff_a)
    ok = services.motion_attachment_add(
        motion=motion, file=SimpleUploadedFile("合同.pdf", b"%PDF-1.4 x"), by=staff_a
    )
    assert ok.pk
    with pytest.raises(ValidationError):
        services.motion_attachment_add(motion=motion, file=SimpleUploadedFile("run.exe", b"MZ"), by=staff_a)
    big = SimpleUploadedFile("big.pdf", b"0" * (10 * 1024 * 1024 + 1))
    with pytest.raises(ValidationError, match="too large"):
        services.motion_attachment_add(motion=motion, file=big, by=staff_a)


def test_transition_table(estate_a, staff_a):
    meeting = _draft(estate_a, staff_a)
    with pytest.raises(TransitionRefused):
        services.meeting_open(meeting=meeting, by=staff_a)
    with pytest.raises(TransitionRefused):
        services.meeting_publish_results(meeting=meeting, by=staff_a)
    services.meeting_cancel(meeting=meeting, by=staff_a)
    with pytest.raises(TransitionRefused):
        services.meeting_cancel(meeting=meeting, by=staff_a)


def test_voting_cannot_open_early_nor_close_early(estate_a, staff_a):
    meeting = _draft(estate_a, staff_a)
    services.motion_create(meeting=meeting, title="续聘物业", text="…", matter=4, by=staff_a)
    services.meeting_publish_notice(meeting=meeting, by=staff_a)
    with pytest.raises(ValidationError, match="not before"):
        services.meeting_open(meeting=meeting, by=staff_a)
    services.meeting_open(meeting=meeting, by=staff_a, now=meeting.voting_opens_at)
    with pytest.raises(ValidationError, match="not before"):
        services.meeting_close(meeting=meeting, by=staff_a, now=meeting.voting_opens_at)


def test_voting_advance_opens_and_closes_by_the_clock(build, staff_a):
    from django.core.management import call_command

    from community.voting.models import Meeting
    from tests.factories import meeting_noticed, meeting_open

    build.owner()
    due = meeting_noticed(estate=build.estate, by=staff_a)  # opened a day ago on paper
    over = meeting_open(estate=build.estate, by=staff_a, title="已到期")
    Meeting.objects.filter(pk=over.pk).update(
        voting_closes_at=timezone.now() - dt.timedelta(minutes=1),
        voting_opens_at=timezone.now() - dt.timedelta(days=6),
    )
    call_command("voting_advance")
    due.refresh_from_db()
    over.refresh_from_db()
    assert due.status == MeetingStatus.OPEN
    assert over.status == MeetingStatus.CLOSED and over.motions.filter(result__isnull=False).count() == 3


# --- Who did it: the five legally significant acts record their actor -------------------------------


def test_every_transition_records_its_actor_and_the_clock_records_a_system_actor(build, staff_a):
    from community.voting.models import MeetingEvent
    from tests.factories import meeting_noticed

    build.owner()
    meeting = meeting_noticed(estate=build.estate, by=staff_a)
    services.meetings_advance(by=services.CLOCK_ACTOR)
    services.meeting_close(meeting=meeting, by=staff_a, now=meeting.voting_closes_at)
    services.meeting_start_counting(meeting=meeting, by=staff_a)
    services.meeting_publish_results(meeting=meeting, by=staff_a)
    events = list(MeetingEvent.objects.filter(meeting=meeting).order_by("id"))
    assert [(e.type, e.actor, e.system_actor) for e in events] == [
        ("notice", staff_a, ""),
        ("open", None, "system:voting.advance"),
        ("close", staff_a, ""),
        ("count", staff_a, ""),
        ("publish", staff_a, ""),
    ]
    assert events[0].params == {"entries": 1}


def test_a_transition_without_an_actor_is_refused(estate_a, staff_a):
    meeting = _draft(estate_a, staff_a)
    with pytest.raises(ValidationError, match="records who made it"):
        services.meeting_cancel(meeting=meeting, by=None)
    with pytest.raises(ValidationError, match="system:<job>"):
        services.meeting_cancel(meeting=meeting, by="cron")
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.DRAFT


def test_the_clock_may_open_and_close_but_not_publish_the_notice(estate_a, staff_a):
    from community.errors import NotAllowed

    meeting = _draft(estate_a, staff_a)
    services.motion_create(meeting=meeting, title="续聘物业", text="…", matter=4, by=staff_a)
    with pytest.raises(NotAllowed):
        services.meeting_publish_notice(meeting=meeting, by=services.CLOCK_ACTOR)


def test_publication_waits_for_unconfirmed_paper_ballots(build, staff_a, media):
    from community.voting.models import PaperBallot
    from tests.factories import meeting_open

    build.owner()
    meeting = meeting_open(estate=build.estate, by=staff_a)
    services.meeting_close(meeting=meeting, by=staff_a, now=meeting.voting_closes_at)
    services.meeting_start_counting(meeting=meeting, by=staff_a)
    services.paper_ballot_enter(
        meeting=meeting,
        roll_entry=meeting.roll.get(),
        signer_name="业主",
        received_at=meeting.voting_opens_at + dt.timedelta(hours=1),
        scan=SimpleUploadedFile("ballot.pdf", b"%PDF-1.4"),
        choices={},
        by=staff_a,
    )
    with pytest.raises(TransitionRefused, match="scrutineer"):
        services.meeting_publish_results(meeting=meeting, by=staff_a)
    assert PaperBallot.objects.get().status == "pending"


# --- Matter classification --------------------------------------------------------------------------


def test_matter_9_needs_a_written_justification(estate_a, staff_a):
    meeting = _draft(estate_a, staff_a)
    with pytest.raises(ValidationError) as exc:
        services.motion_create(meeting=meeting, title="小区命名", text="…", matter=9, by=staff_a)
    assert "matters 6–8" in exc.value.message_dict["justification"][0]
    motion = services.motion_create(
        meeting=meeting,
        title="小区命名",
        text="…",
        matter=9,
        justification="涉及全体业主，不属第六至八项",
        by=staff_a,
    )
    assert motion.kind == "ordinary"


def test_a_motion_kind_can_be_raised_after_the_notice_but_never_lowered(build, staff_a):
    from tests.factories import meeting_open

    build.owner()
    meeting = meeting_open(estate=build.estate, by=staff_a)
    ordinary = meeting.motions.get(matter=4)
    raised = services.motion_raise_to_special(motion=ordinary, reason="涉及共有部分经营", by=staff_a)
    assert raised.kind == "special" and raised.matter == 4
    with pytest.raises(TransitionRefused, match="already needs"):
        services.motion_raise_to_special(motion=raised, reason="再次", by=staff_a)
    # Lowering is no service at all; a changed matter after the notice is refused.
    with pytest.raises(TransitionRefused, match="after the notice"):
        services.motion_update(motion=meeting.motions.get(matter=6), matter=5, by=staff_a)
