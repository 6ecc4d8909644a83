"""Reads for the owners' assembly: who sees which meeting, ballots as staff may see them (named
vs secret), receipts, the roll and its corrections. The tally lives in ``tally`` and is
re-exported here, where views, the API, the admin and the audit look for reads."""

from __future__ import annotations

import re

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from community.scoping import my_estate_ids, staff_estate_ids_for_perm

from .models import (
    Ballot,
    Candidate,
    Meeting,
    MeetingEvent,
    MeetingStatus,
    Motion,
    MotionAttachment,
    PaperBallot,
    PaperBallotStatus,
    RollCorrection,
    RollEntry,
    RollUnit,
)
from .tally import (  # noqa: F401 - re-exported: selectors is where reads are looked up
    Figures,
    MotionTally,
    area_sum,
    blank_is_abstention,
    counted_as,
    follows_majority,
    meeting_tally,
    published_tally,
    python_tally,
    recorded_choices,
    roll_totals,
    to_cents,
)

RESIDENT_STATUSES = (
    MeetingStatus.NOTICED,
    MeetingStatus.OPEN,
    MeetingStatus.CLOSED,
    MeetingStatus.COUNTING,
    MeetingStatus.PUBLISHED,
)
RECEIPT_RE = re.compile(r"[A-Z2-7]{16}")


# --- Visibility -----------------------------------------------------------------------------------


def _on_roll(user) -> Exists:
    return Exists(RollEntry.objects.filter(meeting=OuterRef("pk"), members__user=user))


def meetings_for_resident(user) -> QuerySet[Meeting]:
    """Meetings of the estates where the user lives, or whose roll names them; never drafts."""
    if not user.is_authenticated:
        return Meeting.objects.none()
    return (
        Meeting.objects.filter(status__in=RESIDENT_STATUSES)
        .filter(Q(estate_id__in=my_estate_ids(user)) | _on_roll(user))
        .select_related("estate")
    )


# Roles, not membership (#15): staff see an estate's meetings only where one of their roles
# there declares it (managers, the front desk); eldercare, security and technicians see none.
VIEW_MEETING = "voting.view_meeting"
VIEW_BALLOT = "voting.view_ballot"
KEY_PAPER = "voting.add_paperballot"


def staff_estates(user, perm: str = VIEW_MEETING) -> frozenset[int] | None:
    """Estates where the user's roles declare ``perm`` (None: every estate, superusers)."""
    if not (user.is_authenticated and user.is_staff):
        return frozenset()
    return staff_estate_ids_for_perm(user, perm)


def meetings_for_staff(user, perm: str = VIEW_MEETING) -> QuerySet[Meeting]:
    ids = staff_estates(user, perm)
    qs = Meeting.objects.select_related("estate")
    return qs if ids is None else qs.filter(estate_id__in=ids)


def meetings_visible_to(user) -> QuerySet[Meeting]:
    """Staff see the meetings (drafts too) of estates where their role may; residents see
    theirs (API)."""
    if not user.is_authenticated:
        return Meeting.objects.none()
    resident_q = Q(status__in=RESIDENT_STATUSES) & (Q(estate_id__in=my_estate_ids(user)) | _on_roll(user))
    ids = staff_estates(user)
    if ids is None:
        return Meeting.objects.select_related("estate")
    staff_q = Q(estate_id__in=ids) if ids else Q(pk__in=[])
    return Meeting.objects.filter(staff_q | resident_q).select_related("estate")


def is_meeting_staff(user, meeting: Meeting, perm: str = VIEW_MEETING) -> bool:
    ids = staff_estates(user, perm)
    return ids is None or meeting.estate_id in ids


def motions_with_attachments(meeting: Meeting) -> QuerySet[Motion]:
    return meeting.motions.prefetch_related(
        Prefetch("attachments", queryset=MotionAttachment.objects.order_by("id")),
        Prefetch("candidates", queryset=Candidate.objects.order_by("position", "id")),
    ).order_by("position", "id")


def my_roll_entries(meeting: Meeting, user) -> list[RollEntry]:
    """Every roll entry the user belongs to: a person may be in several owner sets."""
    if not user.is_authenticated:
        return []
    return list(
        RollEntry.objects.filter(meeting=meeting, excluded=False, members__user=user)
        .prefetch_related("units")
        .order_by("pk")
    )


def my_current_ballots(user, *, meeting: Meeting | None = None) -> QuerySet[Ballot]:
    qs = Ballot.objects.filter(superseded=False, roll_entry__members__user=user)
    if meeting is not None:
        qs = qs.filter(meeting=meeting)
    return qs.select_related("motion", "meeting").order_by("-cast_at")


def entry_current_ballots(entry: RollEntry) -> QuerySet[Ballot]:
    return Ballot.objects.filter(roll_entry=entry, superseded=False).select_related("motion")


def my_ballot_history(user, *, meeting: Meeting) -> QuerySet[Ballot]:
    return (
        Ballot.objects.filter(meeting=meeting, roll_entry__members__user=user)
        .select_related("motion")
        .order_by("-seq")
    )


def receipt_lookup(user, code: str) -> Ballot | None:
    """The user's own ballot with this receipt code (others' codes find nothing)."""
    code = "".join((code or "").split()).upper().replace("-", "")
    # Receipt codes are 16 base32 characters; anything else (a NUL byte, a 10 kB string) is
    # no receipt, and must not reach the database (PostgreSQL refuses NUL in text: a 500).
    if not RECEIPT_RE.fullmatch(code):
        return None
    code = "-".join(code[i : i + 4] for i in range(0, 16, 4))
    return (
        Ballot.objects.filter(receipt_code=code, roll_entry__members__user=user)
        .select_related("motion", "meeting")
        .first()
    )


def roll_for_display(meeting: Meeting) -> QuerySet[RollEntry]:
    """Every entry, removed units and emptied entries included: the published roll hides nothing."""
    return meeting.roll.prefetch_related(
        Prefetch("units", queryset=RollUnit.objects.order_by("label"))
    ).order_by("excluded", "name", "pk")


def roll_corrections(meeting: Meeting) -> QuerySet[RollCorrection]:
    """All corrections of the roll, shown on the published roll page."""
    return RollCorrection.objects.filter(meeting=meeting).select_related("roll_entry").order_by("at", "id")


def meeting_events(meeting: Meeting) -> QuerySet[MeetingEvent]:
    """The legally significant acts, oldest first; the type renders in the reader's language."""
    return MeetingEvent.objects.filter(meeting=meeting).select_related("actor").order_by("at", "id")


def paper_ballots(meeting: Meeting) -> QuerySet[PaperBallot]:
    return (
        PaperBallot.objects.filter(meeting=meeting)
        .select_related("roll_entry", "meeting")
        .order_by("received_at", "id")
    )


def paper_ballots_pending(meeting: Meeting) -> QuerySet[PaperBallot]:
    return (
        PaperBallot.objects.filter(meeting=meeting, status=PaperBallotStatus.PENDING)
        .select_related("roll_entry", "entered_by", "meeting")
        .order_by("received_at", "id")
    )


def staff_ballots(meeting: Meeting) -> QuerySet[Ballot]:
    return (
        Ballot.objects.filter(meeting=meeting)
        .select_related("motion", "roll_entry", "cast_by")
        .order_by("seq")
    )


def choice_visible_to_staff(meeting: Meeting) -> bool:
    """Named meetings, once the results are published: staff see who voted what. Before
    publication nobody on the staff lists or searches named choices (#15: a technician
    listing 807 named ballots while voting was open); secret meetings: only who took part."""
    return not meeting.is_secret and meeting.status == MeetingStatus.PUBLISHED


def paper_choices_visible(paper: PaperBallot, user) -> bool:
    """A keyed sheet's choices: to the person who keyed it, or to everyone with access once
    the results are published (named meetings). Scrutineers read them in the portal."""
    if paper.entered_by_id == getattr(user, "pk", None):
        return True
    return choice_visible_to_staff(paper.meeting)


def results_visible_to_residents(meeting: Meeting) -> bool:
    return meeting.status == MeetingStatus.PUBLISHED


def voting_is_open(meeting: Meeting, now=None) -> bool:
    now = now or timezone.now()
    return meeting.status == MeetingStatus.OPEN and meeting.voting_opens_at <= now < meeting.voting_closes_at
