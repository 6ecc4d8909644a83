"""The ticket workflow: the one table of allowed transitions.

Pure code (no database) so the table can be checked exhaustively by property tests. The
service layer asks ``next_status`` for every change; nothing else writes ``Ticket.status``.

Roles are relative to a ticket: ``reporter`` (the resident who filed it or their household),
``staff`` (manager / front desk of the ticket's estate), ``assignee`` (the technician the
ticket is assigned to) and ``system`` (periodic jobs).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from community.errors import NotAllowed, ServiceError, TransitionRefused


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
    REASSIGN = "reassign", _("Reassign")
    RETURN = "return", _("Return to dispatch")


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
    # Work in progress handed to another technician, who accepts and starts again; a ticket on
    # hold keeps waiting, now for the new assignee. The SLA clock is not reset.
    (A.REASSIGN, S.IN_PROGRESS): (S.ASSIGNED, frozenset({R.STAFF})),
    (A.REASSIGN, S.ON_HOLD): (S.ON_HOLD, frozenset({R.STAFF})),
    # 退单: the technician cannot take the job; it goes back to dispatch.
    (A.RETURN, S.ASSIGNED): (S.NEW, frozenset({R.ASSIGNEE})),
    (A.ACCEPT, S.ASSIGNED): (S.ASSIGNED, frozenset({R.ASSIGNEE})),  # acknowledge = response
    (A.START, S.ASSIGNED): (S.IN_PROGRESS, frozenset({R.ASSIGNEE, R.STAFF})),  # on site
    # 返修: reopened work goes straight back to the technician who did it.
    (A.START, S.REOPENED): (S.IN_PROGRESS, frozenset({R.ASSIGNEE})),
    (A.HOLD, S.IN_PROGRESS): (S.ON_HOLD, frozenset({R.ASSIGNEE, R.STAFF})),
    (A.RESUME, S.ON_HOLD): (S.IN_PROGRESS, frozenset({R.ASSIGNEE, R.STAFF})),
    (A.RESOLVE, S.IN_PROGRESS): (S.RESOLVED, frozenset({R.ASSIGNEE, R.STAFF})),
    (A.CONFIRM, S.RESOLVED): (S.CLOSED, frozenset({R.REPORTER})),
    (A.CLOSE, S.RESOLVED): (S.CLOSED, frozenset({R.STAFF, R.SYSTEM})),
    (A.REOPEN, S.RESOLVED): (S.REOPENED, frozenset({R.REPORTER})),
    # Closed by staff or the job, not by the resident's confirmation: still theirs to reopen
    # within the window (the service checks who closed it).
    (A.REOPEN, S.CLOSED): (S.REOPENED, frozenset({R.REPORTER})),
    (A.CANCEL, S.NEW): (S.CANCELLED, frozenset({R.REPORTER})),
    # The resident fixed it themselves; the technician is told.
    (A.CANCEL, S.ASSIGNED): (S.CANCELLED, frozenset({R.REPORTER})),
    **{(A.DECLINE, s): (S.DECLINED, frozenset({R.STAFF})) for s in OPEN_STATUSES},
}

ALL_STATUSES = frozenset(Status.values)
# Actions that need a written reason / note from the actor.
NEEDS_REASON = frozenset({A.HOLD, A.DECLINE, A.RESOLVE, A.REOPEN, A.REASSIGN, A.RETURN})
# Actions that need a reason only from some roles: staff closing a resolved ticket says why
# ("住户电话确认"); the auto-close job does not.
NEEDS_REASON_FROM = {A.CLOSE: frozenset({R.STAFF})}


def needs_reason(action: str, roles: frozenset[str] | set[str]) -> bool:
    if action in NEEDS_REASON:
        return True
    from_roles = NEEDS_REASON_FROM.get(action)
    return bool(from_roles and from_roles & set(roles) and Role.SYSTEM not in roles)


def next_status(status: str, action: str, roles: frozenset[str] | set[str]) -> str:
    """The status after ``action``; raises TransitionRefused (not from this status, 409) or
    NotAllowed (not for this actor, 403) otherwise."""
    if action not in Action.values:
        raise ServiceError(_("Unknown action “%(action)s”.") % {"action": action}, code="unknown_action")
    entry = TRANSITIONS.get((action, status))
    if entry is None:
        raise TransitionRefused(
            _("A ticket that is “%(status)s” cannot be “%(action)s”.")
            % {"status": Status(status).label, "action": Action(action).label}
        )
    target, allowed = entry
    if not (allowed & set(roles)):
        raise NotAllowed(_("You may not “%(action)s” this ticket.") % {"action": Action(action).label})
    return target


def allowed_actions(status: str, roles: frozenset[str] | set[str]) -> list[str]:
    """Actions the actor may take now, in table order (for buttons and the API)."""
    return [a for (a, s), (_t, allowed) in TRANSITIONS.items() if s == status and allowed & set(roles)]
