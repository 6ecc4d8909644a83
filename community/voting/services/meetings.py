"""Meetings and motions, and the meeting's transitions (one table: ``voting.transitions``).

Notice, open, close, start of counting, publication and cancellation are legally significant
acts: each takes a required ``by`` (a user, or "system:<job>" for the clock) and records it
as a ``MeetingEvent``. Notifications leave after the commit, through the task registered
under ``NOTIFY_ROLL_TASK`` (tasks import services, never the reverse).
"""

from __future__ import annotations

import datetime as dt

from celery import current_app
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from community.errors import ServiceError, TransitionRefused
from community.residents.models import Unit

from .. import selectors
from ..models import (
    Ballot,
    BallotMode,
    CandidateResult,
    Convenor,
    Matter,
    Meeting,
    MeetingEventType,
    MotionResult,
    PaperBallot,
    PaperBallotStatus,
    ScopeEntrance,
)
from ..transitions import MeetingAction, MeetingStatus, next_status
from . import roll
from .common import MANAGE, actor_kind, event_record, lock, require_draft, require_permission

NOTICE_MIN_DAYS = 15
WINDOW_MIN_DAYS = 5
WINDOW_MAX_DAYS = 60
SECONDS_PER_DAY = 86400
NOTIFY_ROLL_TASK = "voting.notify_roll"
CLOCK_ACTOR = "system:voting.advance"
MEETING_FIELDS = (  # in the order forms show them
    "title",
    "description",
    "convenor",
    "ballot_mode",
    "voting_opens_at",
    "voting_closes_at",
    "proxy_principal_limit",
    "scope_buildings",
    "scope_entrances",
)


def _when(value: dt.datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def meeting_schedule_errors(
    *, voting_opens_at: dt.datetime, voting_closes_at: dt.datetime, notice_at: dt.datetime | None
) -> dict[str, list[str]]:
    """Field errors of a schedule: the window is 5–60 days; the notice ≥ 15 days before opening."""
    errors: dict[str, list[str]] = {}
    if voting_opens_at is None or voting_closes_at is None:
        return {"voting_opens_at": [_("Both the opening and the closing time are required.")]}
    window = voting_closes_at - voting_opens_at
    if window < dt.timedelta(days=WINDOW_MIN_DAYS) or window > dt.timedelta(days=WINDOW_MAX_DAYS):
        errors["voting_closes_at"] = [
            _("The voting window must last between %(min)d and %(max)d days; it lasts %(days)s days.")
            % {
                "min": WINDOW_MIN_DAYS,
                "max": WINDOW_MAX_DAYS,
                "days": f"{window.total_seconds() / SECONDS_PER_DAY:g}",
            }
        ]
    if notice_at is not None and voting_opens_at - notice_at < dt.timedelta(days=NOTICE_MIN_DAYS):
        errors["voting_opens_at"] = [
            _("Voting can open no earlier than %(days)d days after the notice is published (%(earliest)s).")
            % {"days": NOTICE_MIN_DAYS, "earliest": _when(notice_at + dt.timedelta(days=NOTICE_MIN_DAYS))}
        ]
    return errors


def _check_scope(meeting: Meeting, buildings) -> None:
    if any(b.estate_id != meeting.estate_id for b in buildings):
        raise ServiceError({"scope_buildings": [_("Choose buildings of the meeting's estate.")]})


def _clean_entrances(meeting: Meeting, entrances) -> list[tuple[int, str]]:
    """(building, entrance) pairs naming an entrance that has units in the meeting's estate."""
    pairs = []
    for building, entrance in entrances or ():
        building_id = getattr(building, "pk", building)
        entrance = str(entrance or "").strip()
        pairs.append((building_id, entrance))
    pairs = sorted(set(pairs))
    known = set(
        Unit.objects.filter(building__estate_id=meeting.estate_id, building_id__in={b for b, _e in pairs})
        .exclude(entrance="")
        .values_list("building_id", "entrance")
        .distinct()
    )
    unknown = [pair for pair in pairs if pair not in known]
    if unknown:
        raise ServiceError(
            {"scope_entrances": [_("Choose entrances of the meeting's estate that have units.")]},
            code="bad_scope",
        )
    return pairs


def _set_entrances(meeting: Meeting, pairs: list[tuple[int, str]]) -> None:
    ScopeEntrance.objects.filter(meeting=meeting).delete()
    ScopeEntrance.objects.bulk_create(
        [ScopeEntrance(meeting=meeting, building_id=b, entrance=e) for b, e in pairs]
    )


def committee_elected(estate_id: int) -> bool:
    """Whether the estate's owners have elected a committee: a published meeting in which a
    matter-3 motion (electing the owners' committee) passed."""
    return MotionResult.objects.filter(
        motion__meeting__estate_id=estate_id,
        motion__meeting__status=MeetingStatus.PUBLISHED,
        motion__matter=Matter.COMMITTEE,
        passed=True,
    ).exists()


def _check_convenor(meeting: Meeting) -> None:
    """The owners' committee convenes; the preparatory group only the first assembly, before
    any committee has been elected (the street office forms the group, never convenes)."""
    if meeting.convenor not in Convenor.values:
        raise ServiceError(
            {"convenor": [_("The assembly is convened by the owners' committee or the preparatory group.")]}
        )
    if meeting.convenor == Convenor.PREPARATORY_GROUP and committee_elected(meeting.estate_id):
        raise ServiceError(
            {
                "convenor": [
                    _(
                        "This estate has elected an owners' committee: the committee convenes the "
                        "assembly; the preparatory group convenes only the first one."
                    )
                ]
            },
            code="committee_exists",
        )


@transaction.atomic
def meeting_create(
    *,
    estate,
    title: str,
    voting_opens_at: dt.datetime,
    voting_closes_at: dt.datetime,
    by,
    convenor: str = Convenor.OWNERS_COMMITTEE,
    ballot_mode: str = BallotMode.NAMED,
    description: str = "",
    proxy_principal_limit: int | None = None,
    scope_buildings=(),
    scope_entrances=(),
) -> Meeting:
    require_permission(by, estate.pk, "voting.add_meeting")
    errors = meeting_schedule_errors(
        voting_opens_at=voting_opens_at, voting_closes_at=voting_closes_at, notice_at=None
    )
    if errors:
        raise ServiceError(errors)
    meeting = Meeting(
        estate=estate,
        title=title,
        description=description,
        convenor=convenor,
        ballot_mode=ballot_mode,
        voting_opens_at=voting_opens_at,
        voting_closes_at=voting_closes_at,
        proxy_principal_limit=proxy_principal_limit,
        created_by=by,
    )
    meeting.full_clean()
    _check_convenor(meeting)
    _check_scope(meeting, scope_buildings or ())
    entrances = _clean_entrances(meeting, scope_entrances)
    meeting.save()
    if scope_buildings:
        meeting.scope_buildings.set(scope_buildings)
    _set_entrances(meeting, entrances)
    return meeting


@transaction.atomic
def meeting_update(*, meeting: Meeting, by, **fields) -> Meeting:
    require_permission(by, meeting.estate_id, MANAGE)
    meeting = lock(meeting)
    require_draft(meeting, _("The meeting"))
    unknown = set(fields) - set(MEETING_FIELDS)
    if unknown:
        raise ServiceError(_("These fields cannot be changed: %(f)s") % {"f": ", ".join(sorted(unknown))})
    scope = fields.pop("scope_buildings", None)
    entrances = fields.pop("scope_entrances", None)
    for name, value in fields.items():
        setattr(meeting, name, value)
    errors = meeting_schedule_errors(
        voting_opens_at=meeting.voting_opens_at, voting_closes_at=meeting.voting_closes_at, notice_at=None
    )
    if errors:
        raise ServiceError(errors)
    meeting.full_clean()
    _check_convenor(meeting)
    if entrances is not None:
        entrances = _clean_entrances(meeting, entrances)
    meeting.save()
    if scope is not None:
        _check_scope(meeting, scope)
        meeting.scope_buildings.set(scope)
    if entrances is not None:
        _set_entrances(meeting, entrances)
    return meeting


# --- Transitions ------------------------------------------------------------------------------------


def _move(meeting: Meeting, action: str, by) -> str:
    require_permission(by, meeting.estate_id, MANAGE)
    return next_status(meeting.status, action, actor_kind(by))


def _not_before(now: dt.datetime, at: dt.datetime, message: str) -> None:
    """The clock's own bound: an act scheduled for ``at`` is refused before it."""
    if now < at:
        raise TransitionRefused(message % {"at": _when(at)}, code="too_early")


def _schedule_notify(meeting: Meeting, kind: str) -> None:
    """Roll notifications after the commit, by task name: this module never imports the tasks.
    delay_on_commit keeps the task (ops HeldTask) when Redis is down at that moment."""
    current_app.tasks[NOTIFY_ROLL_TASK].delay_on_commit(meeting.pk, kind)


@transaction.atomic
def meeting_publish_notice(*, meeting: Meeting, by, now: dt.datetime | None = None) -> Meeting:
    """Publish the notice (公告) and freeze the roll as of the notice date."""
    now = now or timezone.now()
    meeting = lock(meeting)
    status = _move(meeting, MeetingAction.NOTICE, by)
    if not meeting.motions.exists():
        raise ServiceError(_("Add at least one motion before publishing the notice."), code="no_motion")
    bare = meeting.motions.filter(seats__isnull=False, candidates__isnull=True).values_list(
        "title", flat=True
    )
    if bare:
        raise ServiceError(
            _("Add the candidates of every election before publishing the notice: %(titles)s")
            % {"titles": "、".join(bare)},
            code="no_candidates",
        )
    errors = meeting_schedule_errors(
        voting_opens_at=meeting.voting_opens_at, voting_closes_at=meeting.voting_closes_at, notice_at=now
    )
    if errors:
        raise ServiceError(errors)
    on = timezone.localtime(now).date()
    undecided = roll.duplicates_undecided(meeting, on)
    if undecided:
        raise ServiceError(
            _(
                "The roll holds %(n)d group(s) of records that may be the same person (same ID number, "
                "or same name and phone). Record a decision on each before publishing the notice."
            )
            % {"n": len(undecided)},
            code="duplicates",
        )
    meeting.status = status
    meeting.notice_published_at = now
    meeting.save(update_fields=["status", "notice_published_at"])
    entries = roll.roll_build(meeting, on)
    event_record(meeting=meeting, type=MeetingEventType.NOTICE, by=by, at=now, params={"entries": entries})
    _schedule_notify(meeting, "notice")
    return meeting


@transaction.atomic
def meeting_open(*, meeting: Meeting, by, now: dt.datetime | None = None) -> Meeting:
    now = now or timezone.now()
    meeting = lock(meeting)
    status = _move(meeting, MeetingAction.OPEN, by)
    _not_before(now, meeting.voting_opens_at, _("Voting opens at %(at)s, not before."))
    meeting.status = status
    meeting.save(update_fields=["status"])
    event_record(meeting=meeting, type=MeetingEventType.OPEN, by=by, at=now)
    return meeting


def results_freeze(meeting: Meeting, now: dt.datetime) -> None:
    """Store each motion's tally as it stands (MotionResult), with the chain's head."""
    head = (
        Ballot.objects.filter(meeting=meeting).order_by("-seq").values_list("hash", flat=True).first() or ""
    )
    for tally in selectors.meeting_tally(meeting):
        MotionResult.objects.update_or_create(
            motion_id=tally.motion_id,
            defaults={**tally.result_fields(), "chain_head": head, "computed_at": now},
        )
        for candidate in tally.candidates:
            CandidateResult.objects.update_or_create(
                candidate_id=candidate.candidate_id, defaults=candidate.result_fields()
            )


@transaction.atomic
def meeting_close(*, meeting: Meeting, by, now: dt.datetime | None = None) -> Meeting:
    """Close the box and freeze each motion's result (provisional while paper is being counted)."""
    now = now or timezone.now()
    meeting = lock(meeting)
    status = _move(meeting, MeetingAction.CLOSE, by)
    _not_before(now, meeting.voting_closes_at, _("Voting closes at %(at)s, not before."))
    meeting.status = status
    meeting.save(update_fields=["status"])
    results_freeze(meeting, now)
    event_record(meeting=meeting, type=MeetingEventType.CLOSE, by=by, at=now)
    return meeting


@transaction.atomic
def meeting_start_counting(*, meeting: Meeting, by, now: dt.datetime | None = None) -> Meeting:
    """Enter the counting stage: paper and proxy ballots received before the close are keyed in."""
    now = now or timezone.now()
    meeting = lock(meeting)
    meeting.status = _move(meeting, MeetingAction.COUNT, by)
    meeting.save(update_fields=["status"])
    event_record(meeting=meeting, type=MeetingEventType.COUNT, by=by, at=now)
    return meeting


@transaction.atomic
def meeting_publish_results(*, meeting: Meeting, by, now: dt.datetime | None = None) -> Meeting:
    """Publish (公示) the results, recounted with every confirmed paper ballot."""
    now = now or timezone.now()
    meeting = lock(meeting)
    status = _move(meeting, MeetingAction.PUBLISH, by)
    pending = PaperBallot.objects.filter(meeting=meeting, status=PaperBallotStatus.PENDING).count()
    if pending:
        raise TransitionRefused(
            _("%(n)d returned ballot(s) still wait for a scrutineer's confirmation.") % {"n": pending},
            code="unconfirmed_paper",
        )
    meeting.status = status
    meeting.results_published_at = now
    meeting.save(update_fields=["status", "results_published_at"])
    results_freeze(meeting, now)
    event_record(meeting=meeting, type=MeetingEventType.PUBLISH, by=by, at=now)
    _schedule_notify(meeting, "results")
    return meeting


@transaction.atomic
def meeting_cancel(*, meeting: Meeting, by, reason: str = "", now: dt.datetime | None = None) -> Meeting:
    now = now or timezone.now()
    meeting = lock(meeting)
    meeting.status = _move(meeting, MeetingAction.CANCEL, by)
    meeting.save(update_fields=["status"])
    event_record(meeting=meeting, type=MeetingEventType.CANCEL, by=by, at=now, params={"reason": reason})
    return meeting


def meetings_advance(*, by: str = CLOCK_ACTOR, now: dt.datetime | None = None) -> tuple[int, int]:
    """Open meetings whose voting time has come and close those whose time is up.

    Each step is its own service call (own transaction and checks), so one meeting that
    cannot move does not hold back the others. Returns (opened, closed).
    """
    now = now or timezone.now()
    opened = closed = 0
    for meeting in Meeting.objects.filter(status=MeetingStatus.NOTICED, voting_opens_at__lte=now):
        meeting_open(meeting=meeting, by=by, now=now)
        opened += 1
    for meeting in Meeting.objects.filter(status=MeetingStatus.OPEN, voting_closes_at__lte=now):
        meeting_close(meeting=meeting, by=by, now=now)
        closed += 1
    return opened, closed
