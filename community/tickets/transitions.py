"""The ticket workflow: the one table of allowed transitions.

Pure code (no database) so the table can be checked exhaustively by property tests. The
service layer asks ``next_status`` for every change; nothing else writes ``Ticket.status``.

Roles are relative to a ticket: ``reporter`` (the resident who filed it or their household),
``staff`` (manager / front desk of the ticket's estate), ``assignee`` (the technician the
ticket is assigned to) and ``system`` (periodic jobs).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    NEW = "new", _("New")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    ON_HOLD = "on_hold", _("On hold")
    RESOLVED = "resolved", _("Resolved")
    REOPENED = "reopened", _("Reopened")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")
    DECLINED = "declined", _("Declined")


class Action(models.TextChoices):
    ASSIGN = "assign", _("Assign")
    ACCEPT = "accept", _("Accept")
    START = "start", _("Start work")
    HOLD = "hold", _("Put on hold")
    RESUME = "resume", _("Resume")
    RESOLVE = "resolve", _("Resolve")
    CONFIRM = "confirm", _("Confirm")
    REOPEN = "reopen", _("Reopen")
    CANCEL = "cancel", _("Cancel")
    DECLINE = "decline", _("Decline")
    CLOSE = "close", _("Close")


class Role(models.TextChoices):
    REPORTER = "reporter", _("Reporter")
    STAFF = "staff", _("Staff")
    ASSIGNEE = "assignee", _("Assignee")
    SYSTEM = "system", _("System")


S, A, R = Status, Action, Role

# Statuses in which work is still owed to the resident: SLA clocks run (except on hold),
# staff may decline, escalation looks at them.
OPEN_STATUSES = frozenset({S.NEW, S.ASSIGNED, S.IN_PROGRESS, S.ON_HOLD, S.REOPENED})
FINAL_STATUSES = frozenset({S.CLOSED, S.CANCELLED, S.DECLINED})
# Open statuses whose SLA clock runs (on hold pauses it): the ones that can be at risk / overdue.
RUNNING_STATUSES = OPEN_STATUSES - {S.ON_HOLD}

# (action, from status) -> (to status, roles allowed)
TRANSITIONS: dict[tuple[str, str], tuple[str, frozenset[str]]] = {
    (A.ASSIGN, S.NEW): (S.ASSIGNED, frozenset({R.STAFF})),
    (A.ASSIGN, S.ASSIGNED): (S.ASSIGNED, frozenset({R.STAFF})),  # reassign
    (A.ASSIGN, S.REOPENED): (S.ASSIGNED, frozenset({R.STAFF})),
    (A.ACCEPT, S.ASSIGNED): (S.ASSIGNED, frozenset({R.ASSIGNEE})),  # acknowledge
    (A.START, S.ASSIGNED): (S.IN_PROGRESS, frozenset({R.ASSIGNEE, R.STAFF})),
    (A.HOLD, S.IN_PROGRESS): (S.ON_HOLD, frozenset({R.ASSIGNEE, R.STAFF})),
    (A.RESUME, S.ON_HOLD): (S.IN_PROGRESS, frozenset({R.ASSIGNEE, R.STAFF})),
    (A.RESOLVE, S.IN_PROGRESS): (S.RESOLVED, frozenset({R.ASSIGNEE, R.STAFF})),
    (A.CONFIRM, S.RESOLVED): (S.CLOSED, frozenset({R.REPORTER})),
    (A.CLOSE, S.RESOLVED): (S.CLOSED, frozenset({R.STAFF, R.SYSTEM})),
    (A.REOPEN, S.RESOLVED): (S.REOPENED, frozenset({R.REPORTER})),
    (A.CANCEL, S.NEW): (S.CANCELLED, frozenset({R.REPORTER})),
    **{(A.DECLINE, s): (S.DECLINED, frozenset({R.STAFF})) for s in OPEN_STATUSES},
}

ALL_STATUSES = frozenset(Status.values)
# Actions that need a written reason / note from the actor.
NEEDS_REASON = frozenset({A.HOLD, A.DECLINE, A.RESOLVE, A.REOPEN})


class TransitionError(ValidationError):
    """An action not allowed from the ticket's current status (answered as 400)."""


class TransitionForbidden(PermissionDenied):
    """The action exists from this status but not for this actor (answered as 403)."""


def next_status(status: str, action: str, roles: frozenset[str] | set[str]) -> str:
    """The status after ``action``; raises TransitionError / TransitionForbidden otherwise."""
    if action not in Action.values:
        raise TransitionError(_("Unknown action “%(action)s”.") % {"action": action})
    entry = TRANSITIONS.get((action, status))
    if entry is None:
        raise TransitionError(
            _("A ticket that is “%(status)s” cannot be “%(action)s”.")
            % {"status": Status(status).label, "action": Action(action).label}
        )
    target, allowed = entry
    if not (allowed & set(roles)):
        raise TransitionForbidden(
            _("You may not “%(action)s” this ticket.") % {"action": Action(action).label}
        )
    return target


def allowed_actions(status: str, roles: frozenset[str] | set[str]) -> list[str]:
    """Actions the actor may take now, in table order (for buttons and the API)."""
    return [a for (a, s), (_t, allowed) in TRANSITIONS.items() if s == status and allowed & set(roles)]
