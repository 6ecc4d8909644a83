"""The meeting workflow: the one table of allowed transitions.

Pure code (no database) so the table can be checked exhaustively by property tests. Every
status change of a meeting asks ``next_status``; nothing else writes ``Meeting.status``.

The five legally significant acts (notice, open, close, publish results, cancel) and the start
of counting each record who did them (``services.meetings.meeting_event_record``). Actors are
``staff`` (the property company assisting the convenor, or the convenor's members holding a
staff role) and ``system`` (the clock job that opens and closes voting on schedule).

Counting (唱票/计票) sits between the close of the box and the publication: paper and proxy
ballots received before the close are keyed in and confirmed by scrutineers there.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from community.errors import NotAllowed, TransitionRefused


class MeetingStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    NOTICED = "noticed", _("Notice published")
    OPEN = "open", _("Voting open")
    CLOSED = "closed", _("Voting closed")
    COUNTING = "counting", _("Counting paper ballots")
    PUBLISHED = "published", _("Results published")
    CANCELLED = "cancelled", _("Cancelled")


class MeetingAction(models.TextChoices):
    NOTICE = "notice", _("Publish the notice")
    OPEN = "open", _("Open voting")
    CLOSE = "close", _("Close voting")
    COUNT = "count", _("Start counting paper ballots")
    PUBLISH = "publish", _("Publish the results")
    CANCEL = "cancel", _("Cancel the meeting")


class Actor(models.TextChoices):
    STAFF = "staff", _("Staff")
    SYSTEM = "system", _("System")


S, A = MeetingStatus, MeetingAction
STAFF_ONLY = frozenset({Actor.STAFF})
STAFF_OR_CLOCK = frozenset({Actor.STAFF, Actor.SYSTEM})

# (action, from status) -> (to status, actors allowed)
TRANSITIONS: dict[tuple[str, str], tuple[str, frozenset[str]]] = {
    (A.NOTICE, S.DRAFT): (S.NOTICED, STAFF_ONLY),
    (A.OPEN, S.NOTICED): (S.OPEN, STAFF_OR_CLOCK),
    (A.CLOSE, S.OPEN): (S.CLOSED, STAFF_OR_CLOCK),
    (A.COUNT, S.CLOSED): (S.COUNTING, STAFF_ONLY),
    (A.PUBLISH, S.CLOSED): (S.PUBLISHED, STAFF_ONLY),
    (A.PUBLISH, S.COUNTING): (S.PUBLISHED, STAFF_ONLY),
    **{(A.CANCEL, s): (S.CANCELLED, STAFF_ONLY) for s in (S.DRAFT, S.NOTICED, S.OPEN)},
}

ALL_STATUSES = frozenset(MeetingStatus.values)
FINAL_STATUSES = frozenset({S.PUBLISHED, S.CANCELLED})
# Statuses in which the roll's identity may still be corrected (sales and inheritance in the
# window, signers of paper ballots to verify): until the end of counting.
IDENTITY_CORRECTION_STATUSES = frozenset({S.NOTICED, S.OPEN, S.CLOSED, S.COUNTING})
# After the box closes, until publication: the frozen tally is provisional.
AFTER_CLOSE_STATUSES = frozenset({S.CLOSED, S.COUNTING})


def next_status(status: str, action: str, actor: str) -> str:
    """The status after ``action`` by ``actor``; raises TransitionRefused / NotAllowed."""
    if action not in MeetingAction.values:
        raise TransitionRefused(gettext("Unknown action “%(action)s”.") % {"action": action})
    entry = TRANSITIONS.get((action, status))
    if entry is None:
        raise TransitionRefused(
            gettext("A meeting that is “%(status)s” cannot “%(action)s”.")
            % {"status": MeetingStatus(status).label, "action": MeetingAction(action).label},
            code="invalid_transition",
        )
    target, allowed = entry
    if actor not in allowed:
        raise NotAllowed(gettext("“%(action)s” is done by staff.") % {"action": MeetingAction(action).label})
    return target


def allowed_actions(status: str, actor: str) -> list[str]:
    """Actions the actor may take now, in table order (for buttons and the API)."""
    return [a for (a, s), (_t, allowed) in TRANSITIONS.items() if s == status and actor in allowed]
