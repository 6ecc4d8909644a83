"""What every voting service shares: the meeting lock, the estate's settings, the actor and the
event record of legally significant acts."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _

from community.errors import NotAllowed, ServiceError, TransitionRefused
from community.scoping import staff_estate_ids_for_perm

from ..models import Meeting, MeetingEvent, VotingSettings
from ..transitions import Actor, MeetingStatus

SYSTEM_PREFIX = "system:"
CENT_PLACES = "0.01"


def lock(meeting: Meeting) -> Meeting:
    """The meeting row, locked: one writer at a time per meeting (status, roll, chain head)."""
    return Meeting.objects.select_for_update().get(pk=meeting.pk)


def voting_settings_for(estate_id: int) -> VotingSettings:
    found = VotingSettings.objects.filter(estate_id=estate_id).first()
    return found or VotingSettings(estate_id=estate_id)


def proxy_limit_for(meeting: Meeting) -> int:
    if meeting.proxy_principal_limit:
        return meeting.proxy_principal_limit
    return voting_settings_for(meeting.estate_id).proxy_principal_limit


def actor_kind(by) -> str:
    """``staff`` for a user, ``system`` for an explicit system actor ("system:<job>")."""
    if isinstance(by, str):
        if by.startswith(SYSTEM_PREFIX) and len(by) > len(SYSTEM_PREFIX):
            return Actor.SYSTEM
        raise ServiceError(_("A system actor is written “system:<job>”."), code="bad_actor")
    if by is None or not isinstance(by, get_user_model()) or not by.pk:
        raise ServiceError(_("Every change to a meeting records who made it."), code="no_actor")
    return Actor.STAFF


# What each kind of act needs (``AppConfig.role_permissions`` says which roles hold it): only
# the roles the issue names manage meetings — managers, assisting the convenor — and the front
# desk keys in paper ballots and proxies. Membership of the estate alone grants nothing.
MANAGE = "voting.change_meeting"
KEY_PAPER = "voting.add_paperballot"
KEY_PROXY = "voting.add_proxyauthorisation"


def require_permission(by, estate_id: int, perm: str) -> None:
    """Refuse a user whose roles in this estate do not declare ``perm`` (the clock passes)."""
    if isinstance(by, str):
        actor_kind(by)
        return
    actor_kind(by)
    ids = staff_estate_ids_for_perm(by, perm)
    if ids is not None and estate_id not in ids:
        raise NotAllowed(_("Your role in this estate does not allow this."), code="role")


def event_record(
    *, meeting: Meeting, type: str, by, params: dict | None = None, at: dt.datetime | None = None
):
    """Record a legally significant act: its type and parameters (rendered when read) and its actor."""
    actor_kind(by)
    return MeetingEvent.objects.create(
        meeting=meeting,
        type=type,
        params=params or {},
        actor=None if isinstance(by, str) else by,
        system_actor=by if isinstance(by, str) else "",
        at=at or timezone.now(),
    )


def require_draft(meeting: Meeting, what: str) -> None:
    if meeting.status != MeetingStatus.DRAFT:
        raise TransitionRefused(
            _("%(what)s cannot be changed after the notice is published.") % {"what": what},
            code="after_notice",
        )
