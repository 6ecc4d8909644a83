"""Paper and proxy ballots: keyed in by one person (staff at the front desk), confirmed by
another — a scrutineer (监票人), a resident appointed for the meeting, never a staff role.

Returned ballots received before the close are keyed in while voting is open or in the
counting stage after it. A returned ballot takes part in every motion on it (blank items are
recorded as blank). On confirmation its ballots join the chain with the time the ballot was
received, so precedence against the owner's online ballots is by when each was expressed.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from community.errors import AlreadyDone, NotAllowed, ServiceError, TransitionRefused
from community.residents.models import Resident

from ..models import (
    Channel,
    Choice,
    Meeting,
    MeetingEventType,
    PaperBallot,
    PaperBallotStatus,
    ProxyAuthorisation,
    RollEntry,
    Scrutineer,
)
from ..transitions import MeetingStatus
from .answers import answer_for, candidate_ids_of
from .ballots import (
    append,
    check_entry,
    notify_co_owners,
    revoke_proxy_by_own_ballot,
)
from .common import KEY_PAPER, event_record, lock, require_permission

PAPER_STATUSES = frozenset({MeetingStatus.OPEN, MeetingStatus.COUNTING})
SIGNER_MAX = 100


@transaction.atomic
def scrutineer_appoint(*, meeting: Meeting, resident: Resident, by) -> Scrutineer:
    """Record a scrutineer appointed (by the assembly or its convenor) for this meeting."""
    require_permission(by, meeting.estate_id, "voting.add_scrutineer")
    meeting = lock(meeting)
    if meeting.status in (MeetingStatus.PUBLISHED, MeetingStatus.CANCELLED):
        raise TransitionRefused(_("Scrutineers are appointed before the results are published."))
    if resident.estate_id != meeting.estate_id or resident.user_id is None:
        raise ServiceError({"resident": [_("Choose a resident of this estate who has a login.")]})
    if Scrutineer.objects.filter(meeting=meeting, resident=resident).exists():
        raise AlreadyDone(_("This resident is already a scrutineer of this meeting."))
    scrutineer = Scrutineer.objects.create(meeting=meeting, resident=resident, appointed_by=by)
    event_record(
        meeting=meeting,
        type=MeetingEventType.SCRUTINEER,
        by=by,
        params={"resident": resident.pk, "name": resident.name},
    )
    return scrutineer


def is_scrutineer(meeting: Meeting, user) -> bool:
    return (
        bool(user.is_authenticated)
        and Scrutineer.objects.filter(meeting=meeting, resident__user=user).exists()
    )


def _clean_choices(meeting: Meeting, choices: dict) -> dict[str, str | list[int]]:
    """Every motion of the meeting -> what the sheet says: a choice, or for an election the
    chosen candidates' ids (an over-marked list is recorded invalid, an empty one blank)."""
    motions = {str(m.pk): m for m in meeting.motions.order_by("position", "id")}
    given = {str(k): v for k, v in (choices or {}).items()}
    unknown = set(given) - set(motions)
    if unknown:
        raise ServiceError(
            {"choices": [_("These motions are not on this ballot: %(ids)s") % {"ids": sorted(unknown)}]}
        )
    bad = sorted({v for v in given.values() if isinstance(v, str) and v and v not in Choice.values})
    if bad:
        raise ServiceError({"choices": [_("Unknown choice(s): %(c)s") % {"c": ", ".join(bad)}]})
    lists = candidate_ids_of(meeting)
    cleaned: dict[str, str | list[int]] = {}
    for pk, motion in motions.items():
        choice, ids = answer_for(
            motion, given.get(pk) or Choice.BLANK, lists.get(motion.pk, frozenset()), paper=True
        )
        cleaned[pk] = ids if choice == Choice.SELECTED else choice
    return cleaned


def paper_answer(value) -> tuple[str, list[int]]:
    """A stored sheet item as (choice, candidates)."""
    if isinstance(value, list):
        return Choice.SELECTED, [int(v) for v in value]
    return value, []


@transaction.atomic
def paper_ballot_enter(
    *,
    meeting: Meeting,
    roll_entry: RollEntry,
    signer_name: str,
    received_at: dt.datetime,
    scan,
    choices: dict,
    by,
    proxy: ProxyAuthorisation | None = None,
    now: dt.datetime | None = None,
) -> PaperBallot:
    """Key in a returned ballot sheet (pending until a scrutineer confirms it)."""
    now = now or timezone.now()
    require_permission(by, meeting.estate_id, KEY_PAPER)
    meeting = lock(meeting)
    if meeting.status not in PAPER_STATUSES:
        raise TransitionRefused(
            _("Returned ballots are entered while voting is open or during counting."), code="not_counting"
        )
    if received_at is None or not (meeting.voting_opens_at <= received_at < meeting.voting_closes_at):
        raise ServiceError(
            {"received_at": [_("Only ballots received while voting was open can be counted.")]}
        )
    if received_at > now:
        raise ServiceError({"received_at": [_("The received-at time cannot be in the future.")]})
    signer_name = (signer_name or "").strip()
    if not signer_name or len(signer_name) > SIGNER_MAX:
        raise ServiceError({"signer_name": [_("Give the signer's name as written on the ballot.")]})
    if not scan:
        raise ServiceError({"scan": [_("Upload the scan of the ballot.")]})
    check_entry(meeting, roll_entry)
    if proxy is not None and (proxy.principal_id != roll_entry.pk or proxy.revoked_at is not None):
        raise ServiceError({"proxy": [_("The authorisation is not this owner's, or it was revoked.")]})
    paper = PaperBallot(
        meeting=meeting,
        roll_entry=roll_entry,
        proxy=proxy,
        signer_name=signer_name,
        received_at=received_at,
        scan=scan,
        choices=_clean_choices(meeting, choices),
        entered_by=by,
    )
    paper.full_clean(exclude=["meeting", "roll_entry", "entered_by", "proxy"])
    paper.save()
    return paper


def _pending(paper: PaperBallot, by) -> tuple[Meeting, PaperBallot]:
    meeting = lock(paper.meeting)
    paper = PaperBallot.objects.select_for_update().get(pk=paper.pk)
    if paper.status != PaperBallotStatus.PENDING:
        raise AlreadyDone(_("This ballot was already confirmed or rejected."))
    if meeting.status not in PAPER_STATUSES:
        raise TransitionRefused(_("Returned ballots are confirmed while voting is open or during counting."))
    if getattr(by, "is_staff", False) or not is_scrutineer(meeting, by):
        raise NotAllowed(
            _("Only a scrutineer of this meeting confirms returned ballots."), code="not_scrutineer"
        )
    if paper.entered_by_id == by.pk:
        raise NotAllowed(
            _("A ballot is confirmed by someone other than the person who keyed it."), code="same_person"
        )
    return meeting, paper


@transaction.atomic
def paper_ballot_confirm(*, paper: PaperBallot, by, now: dt.datetime | None = None) -> PaperBallot:
    """A scrutineer confirms a keyed ballot: its choices join the chain, expressed at receipt."""
    now = now or timezone.now()
    meeting, paper = _pending(paper, by)
    entry = RollEntry.objects.select_for_update().get(pk=paper.roll_entry_id)
    check_entry(meeting, entry)
    if (
        paper.proxy_id
        and ProxyAuthorisation.objects.filter(pk=paper.proxy_id, revoked_at__isnull=False).exists()
    ):
        raise ServiceError(
            _("The proxy's authorisation was revoked: this ballot cannot count."), code="revoked"
        )
    channel = Channel.PROXY if paper.proxy_id else Channel.PAPER
    motions = {str(m.pk): m for m in meeting.motions.all()}
    for motion_id, value in paper.choices.items():
        choice, candidates = paper_answer(value)
        append(
            meeting=meeting,
            motion=motions[motion_id],
            entry=entry,
            choice=choice,
            candidates=candidates,
            channel=channel,
            by=paper.entered_by,
            cast_at=paper.received_at,
            proxy=paper.proxy,
            paper=paper,
        )
    if channel == Channel.PAPER:
        revoke_proxy_by_own_ballot(entry, by, now)
    paper.status = PaperBallotStatus.CONFIRMED
    paper.confirmed_by, paper.confirmed_at = by, now
    paper.save(update_fields=["status", "confirmed_by", "confirmed_at"])
    notify_co_owners(entry=entry, by=by, cast_by_name=paper.signer_name, motions=len(paper.choices))
    return paper


@transaction.atomic
def paper_ballot_reject(
    *, paper: PaperBallot, reason: str, by, now: dt.datetime | None = None
) -> PaperBallot:
    """A scrutineer rejects a keyed ballot (wrong signer, unreadable): it stays on record, uncounted."""
    now = now or timezone.now()
    _meeting, paper = _pending(paper, by)
    if not (reason or "").strip():
        raise ServiceError({"reason": [_("Give the reason for rejecting the ballot.")]})
    paper.status = PaperBallotStatus.REJECTED
    paper.confirmed_by, paper.confirmed_at = by, now
    paper.rejection_reason = reason.strip()
    paper.save(update_fields=["status", "confirmed_by", "confirmed_at", "rejection_reason"])
    return paper
