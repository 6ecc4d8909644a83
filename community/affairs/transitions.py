"""The one transition table of a community-affairs application (pure; property-tested).

An application is submitted by a resident; the office either accepts it for review or sends one
*one-time notice* (一次性告知) listing everything that is missing — never piecemeal. The
resident completes the materials and the application comes back; the office approves (a
certificate is issued where the item produces one) or refuses with a reason. The resident may
withdraw it while the office has not decided.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from community.errors import NotAllowed, TransitionRefused


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    NEEDS_MATERIALS = "needs_materials", _("Materials missing")
    IN_REVIEW = "in_review", _("In review")
    APPROVED = "approved", pgettext_lazy("application", "Approved")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Action(models.TextChoices):
    NOTIFY_MISSING = "notify_missing", _("Tell what is missing (once)")
    RESUBMIT = "resubmit", _("Resubmit with the materials")
    ACCEPT = "accept", _("Accept for review")
    APPROVE = "approve", _("Approve")
    REFUSE = "refuse", _("Refuse")
    WITHDRAW = "withdraw", _("Withdraw")


class Role(models.TextChoices):
    APPLICANT = "applicant", _("Applicant")
    OFFICE = "office", _("Community office")


S, A, R = Status, Action, Role

TRANSITIONS: dict[tuple[str, str], tuple[str, frozenset[str]]] = {
    (A.NOTIFY_MISSING, S.SUBMITTED): (S.NEEDS_MATERIALS, frozenset({R.OFFICE})),
    (A.RESUBMIT, S.NEEDS_MATERIALS): (S.SUBMITTED, frozenset({R.APPLICANT})),
    (A.ACCEPT, S.SUBMITTED): (S.IN_REVIEW, frozenset({R.OFFICE})),
    (A.APPROVE, S.IN_REVIEW): (S.APPROVED, frozenset({R.OFFICE})),
    (A.REFUSE, S.SUBMITTED): (S.REFUSED, frozenset({R.OFFICE})),
    (A.REFUSE, S.IN_REVIEW): (S.REFUSED, frozenset({R.OFFICE})),
    (A.WITHDRAW, S.SUBMITTED): (S.WITHDRAWN, frozenset({R.APPLICANT})),
    (A.WITHDRAW, S.NEEDS_MATERIALS): (S.WITHDRAWN, frozenset({R.APPLICANT})),
    (A.WITHDRAW, S.IN_REVIEW): (S.WITHDRAWN, frozenset({R.APPLICANT})),
}

FINAL_STATUSES = frozenset({S.APPROVED, S.REFUSED, S.WITHDRAWN})
# While the office waits for the resident the promised time limit does not run.
PAUSED_STATUSES = frozenset({S.NEEDS_MATERIALS})
NEEDS_REASON = frozenset({A.NOTIFY_MISSING, A.REFUSE})


def next_status(status: str, action: str, roles: frozenset[str] | set[str]) -> str:
    if action not in Action.values:
        raise TransitionRefused(_("Unknown action “%(action)s”.") % {"action": action})
    entry = TRANSITIONS.get((action, status))
    if entry is None:
        raise TransitionRefused(
            _("An application that is “%(status)s” cannot be “%(action)s”.")
            % {"status": Status(status).label, "action": Action(action).label}
        )
    target, allowed = entry
    if not (allowed & set(roles)):
        raise NotAllowed(_("You may not “%(action)s” this application.") % {"action": Action(action).label})
    return target


def allowed_actions(status: str, roles: frozenset[str] | set[str]) -> list[str]:
    return [a for (a, s), (_t, allowed) in TRANSITIONS.items() if s == status and allowed & set(roles)]
