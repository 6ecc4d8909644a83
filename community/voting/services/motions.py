"""Motions, their attachments and candidates (drafts only), and the classification rules of
Art. 278: matter 9 needs a written justification; a motion's kind may be raised after the
notice, never lowered. A motion with ``seats`` is a candidate list (an election with more
candidates than seats, one motion): ``rules.elect`` counts it."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from community.errors import ServiceError, TransitionRefused, text_within

from .. import rules
from ..models import Candidate, Matter, Meeting, MeetingEventType, Motion, MotionAttachment
from ..transitions import MeetingStatus
from .common import MANAGE, event_record, lock, require_draft, require_permission

MOTION_FIELDS = frozenset({"title", "text", "matter", "position", "justification", "seats"})


def _check_classification(motion: Motion) -> None:
    """Matter 9 ("other major matters") needs a written reason it is none of matters 6–8."""
    if motion.matter == Matter.OTHER and not (motion.justification or "").strip():
        raise ServiceError(
            {
                "justification": [
                    _(
                        "Matter 9 needs a written justification: say why the matter is major and why "
                        "it is none of matters 6–8 (raising maintenance funds; rebuilding or altering "
                        "buildings; changing the use of common parts or running a business on them), "
                        "which need three quarters."
                    )
                ]
            }
        )


@transaction.atomic
def motion_create(
    *,
    meeting: Meeting,
    title: str,
    text: str,
    matter: int,
    by,
    position: int | None = None,
    justification: str = "",
    seats: int | None = None,
) -> Motion:
    require_permission(by, meeting.estate_id, MANAGE)
    meeting = lock(meeting)
    if meeting.status != MeetingStatus.DRAFT:
        raise TransitionRefused(
            _("No motion can be added after the notice is published."), code="after_notice"
        )
    if position is None:
        position = meeting.motions.count() + 1
    motion = Motion(
        meeting=meeting,
        title=title,
        text=text,
        matter=matter,
        position=position,
        justification=justification,
        seats=seats,
    )
    motion.full_clean()
    _check_classification(motion)
    motion.save()
    return motion


@transaction.atomic
def motion_update(*, motion: Motion, by, **fields) -> Motion:
    require_permission(by, motion.meeting.estate_id, MANAGE)
    meeting = lock(motion.meeting)
    require_draft(meeting, _("A motion"))
    unknown = set(fields) - MOTION_FIELDS
    if unknown:
        raise ServiceError(_("These fields cannot be changed: %(f)s") % {"f": ", ".join(sorted(unknown))})
    motion = Motion.objects.get(pk=motion.pk)
    for name, value in fields.items():
        setattr(motion, name, value)
    if motion.seats is None and motion.candidates.exists():
        raise ServiceError(
            {"seats": [_("Remove the candidates before turning the election into a yes/no motion.")]}
        )
    motion.full_clean()
    _check_classification(motion)
    motion.save()
    return motion


@transaction.atomic
def motion_raise_to_special(*, motion: Motion, reason: str, by) -> Motion:
    """Raise an ordinary motion to the special majority (possible after the notice, until voting
    closes). The kind is never lowered: that would let fewer owners decide than announced."""
    require_permission(by, motion.meeting.estate_id, MANAGE)
    meeting = lock(motion.meeting)
    if meeting.status not in (MeetingStatus.DRAFT, MeetingStatus.NOTICED, MeetingStatus.OPEN):
        raise TransitionRefused(_("A motion's kind cannot change after voting closes."), code="closed")
    motion = Motion.objects.select_for_update().get(pk=motion.pk)
    if motion.kind == rules.SPECIAL:
        raise TransitionRefused(_("The motion already needs the special majority."), code="already_special")
    if not (reason or "").strip():
        raise ServiceError({"reason": [_("Give the reason for raising the motion's kind.")]})
    motion.raised_to_special = True
    motion.save(update_fields=["raised_to_special"])
    event_record(
        meeting=meeting,
        type=MeetingEventType.MOTION_RAISED,
        by=by,
        params={"motion": motion.pk, "title": motion.title, "reason": reason.strip()},
    )
    return motion


@transaction.atomic
def motion_delete(*, motion: Motion, by) -> None:
    require_permission(by, motion.meeting.estate_id, MANAGE)
    meeting = lock(motion.meeting)
    require_draft(meeting, _("A motion"))
    motion.delete()


@transaction.atomic
def motion_attachment_add(*, motion: Motion, file, by, name: str = "") -> MotionAttachment:
    require_permission(by, motion.meeting.estate_id, MANAGE)
    meeting = lock(motion.meeting)
    require_draft(meeting, _("A motion's attachments"))
    attachment = MotionAttachment(motion=motion, file=file, name=name or getattr(file, "name", ""))
    attachment.full_clean()
    attachment.save()
    return attachment


@transaction.atomic
def candidate_add(
    *, motion: Motion, name: str, by, statement: str = "", position: int | None = None
) -> Candidate:
    """Put a candidate on an election's list (drafts only: the list is part of the notice)."""
    require_permission(by, motion.meeting.estate_id, MANAGE)
    meeting = lock(motion.meeting)
    require_draft(meeting, _("The list of candidates"))
    motion = Motion.objects.get(pk=motion.pk)
    if not motion.is_election:
        raise ServiceError(
            {"motion": [_("Candidates belong to an election: give the motion its number of seats first.")]},
            code="not_election",
        )
    name = text_within(name, Candidate, "name")
    if not name:
        raise ServiceError({"name": [_("Give the candidate's name.")]})
    if motion.candidates.filter(name=name).exists():
        raise ServiceError({"name": [_("This candidate is already on the list.")]})
    if position is None:
        position = motion.candidates.count() + 1
    candidate = Candidate(motion=motion, name=name, statement=statement or "", position=position)
    candidate.full_clean()
    candidate.save()
    return candidate


@transaction.atomic
def candidate_remove(*, candidate: Candidate, by) -> None:
    require_permission(by, candidate.motion.meeting.estate_id, MANAGE)
    meeting = lock(candidate.motion.meeting)
    require_draft(meeting, _("The list of candidates"))
    candidate.delete()
