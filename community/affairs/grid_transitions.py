"""The one transition table of a grid event (网格事件), pure and property-tested.

report → accept → handle → review → close, as city grid management runs it: the grid worker
accepts and handles, the community office reviews the handling (sending it back when it is not
done) and closes. The reporter may dispute a closure within the reopen window; a matter beyond
the community goes to the street office (街道) as a state of its own, and comes back handled.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from community.errors import NotAllowed, TransitionRefused


class GridStatus(models.TextChoices):
    REPORTED = "reported", pgettext_lazy("grid event", "Reported")
    ACCEPTED = "accepted", pgettext_lazy("grid event", "Accepted")
    HANDLING = "handling", _("Being handled")
    REVIEW = "review", _("Awaiting review")
    CLOSED = "closed", pgettext_lazy("grid event", "Closed")
    DISPUTED = "disputed", _("Disputed")
    ESCALATED = "escalated", _("With the street office")


class GridAction(models.TextChoices):
    ACCEPT = "accept", pgettext_lazy("grid event", "Accept")
    START = "start", _("Start handling")
    SUBMIT = "submit", _("Submit for review")
    APPROVE = "approve", _("Approve and close")
    SEND_BACK = "send_back", _("Send back")
    DISPUTE = "dispute", _("Dispute the closure")
    ESCALATE = "escalate", _("Escalate to the street office")
    RETURN = "return", _("Returned by the street office")


class GridRole(models.TextChoices):
    REPORTER = "reporter", _("Reporter")
    GRID_WORKER = "grid_worker", _("Grid worker")
    OFFICE = "office", _("Community office")


S, A, R = GridStatus, GridAction, GridRole
WORKERS = frozenset({R.GRID_WORKER, R.OFFICE})

GRID_TRANSITIONS: dict[tuple[str, str], tuple[str, frozenset[str]]] = {
    (A.ACCEPT, S.REPORTED): (S.ACCEPTED, WORKERS),
    (A.START, S.ACCEPTED): (S.HANDLING, WORKERS),
    (A.SUBMIT, S.HANDLING): (S.REVIEW, WORKERS),
    (A.APPROVE, S.REVIEW): (S.CLOSED, frozenset({R.OFFICE})),
    (A.SEND_BACK, S.REVIEW): (S.HANDLING, frozenset({R.OFFICE})),
    (A.DISPUTE, S.CLOSED): (S.DISPUTED, frozenset({R.REPORTER})),
    (A.START, S.DISPUTED): (S.HANDLING, WORKERS),
    **{(A.ESCALATE, s): (S.ESCALATED, frozenset({R.OFFICE})) for s in (S.ACCEPTED, S.HANDLING, S.DISPUTED)},
    (A.RETURN, S.ESCALATED): (S.REVIEW, frozenset({R.OFFICE})),
}
GRID_OPEN = frozenset(set(GridStatus.values) - {S.CLOSED})
GRID_NEEDS_REASON = frozenset({A.SEND_BACK, A.DISPUTE, A.ESCALATE, A.SUBMIT})


def grid_next_status(status: str, action: str, roles: frozenset[str] | set[str]) -> str:
    if action not in GridAction.values:
        raise TransitionRefused(_("Unknown action “%(action)s”.") % {"action": action})
    entry = GRID_TRANSITIONS.get((action, status))
    if entry is None:
        raise TransitionRefused(
            _("A grid event that is “%(status)s” cannot be “%(action)s”.")
            % {"status": GridStatus(status).label, "action": GridAction(action).label}
        )
    target, allowed = entry
    if not (allowed & set(roles)):
        raise NotAllowed(_("You may not “%(action)s” this event.") % {"action": GridAction(action).label})
    return target


def grid_allowed_actions(status: str, roles: frozenset[str] | set[str]) -> list[str]:
    return [a for (a, s), (_t, allowed) in GRID_TRANSITIONS.items() if s == status and allowed & set(roles)]
