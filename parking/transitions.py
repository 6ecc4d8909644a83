"""The parking session workflow: the one table of allowed transitions.

Pure code (no database), checked by property tests. ``parking.services`` asks ``next_status``
for every change; nothing else writes ``Session.status``.

A session is opened by an entry read. At the exit it is closed at once when nothing is owed,
or waits for payment; a payment gives the car a grace period to leave (``paid``); a car that
overstays its grace owes the difference (``awaiting_payment`` again). Staff may force-close
any live session, with a reason.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from community.errors import NotAllowed, TransitionRefused


class Status(models.TextChoices):
    OPEN = "open", _("Inside")
    AWAITING_PAYMENT = "awaiting_payment", _("Awaiting payment")
    PAID = "paid", _("Paid (grace to leave)")
    CLOSED = "closed", pgettext_lazy("parking session", "Closed")
    FORCED = "forced", _("Closed by staff")


class Action(models.TextChoices):
    EXIT = "exit", _("Exit")
    BILL = "bill", _("Ask for payment")
    PAY = "pay", _("Pay")
    FORCE_CLOSE = "force_close", _("Close by hand")


class Role(models.TextChoices):
    DEVICE = "device", _("Device")
    PAYER = "payer", _("Payer")
    STAFF = "staff", _("Staff")
    SYSTEM = "system", _("System")


S, A, R = Status, Action, Role

# A car is inside (counted in the lot's occupancy) while its session is live.
LIVE_STATUSES = frozenset({S.OPEN, S.AWAITING_PAYMENT, S.PAID})
FINAL_STATUSES = frozenset({S.CLOSED, S.FORCED})

# (action, from status) -> (to status, roles allowed)
TRANSITIONS: dict[tuple[str, str], tuple[str, frozenset[str]]] = {
    (A.EXIT, S.OPEN): (S.CLOSED, frozenset({R.DEVICE, R.STAFF, R.SYSTEM})),
    (A.EXIT, S.PAID): (S.CLOSED, frozenset({R.DEVICE, R.STAFF, R.SYSTEM})),
    (A.BILL, S.OPEN): (S.AWAITING_PAYMENT, frozenset({R.DEVICE, R.PAYER, R.SYSTEM})),
    (A.BILL, S.PAID): (S.AWAITING_PAYMENT, frozenset({R.DEVICE, R.SYSTEM})),  # grace overstayed
    (A.BILL, S.AWAITING_PAYMENT): (S.AWAITING_PAYMENT, frozenset({R.DEVICE, R.PAYER, R.SYSTEM})),
    (A.PAY, S.AWAITING_PAYMENT): (S.PAID, frozenset({R.PAYER, R.STAFF, R.SYSTEM})),
    **{(A.FORCE_CLOSE, s): (S.FORCED, frozenset({R.STAFF, R.SYSTEM})) for s in LIVE_STATUSES},
}

ALL_STATUSES = frozenset(Status.values)


def next_status(status: str, action: str, roles: frozenset[str] | set[str]) -> str:
    """The status after ``action``; raises TransitionRefused (409) or NotAllowed (403)."""
    if action not in Action.values:
        raise TransitionRefused(_("Unknown action “%(action)s”.") % {"action": action}, code="unknown_action")
    entry = TRANSITIONS.get((action, status))
    if entry is None:
        raise TransitionRefused(
            _("A parking session that is “%(status)s” cannot be “%(action)s”.")
            % {"status": Status(status).label, "action": Action(action).label},
            code="not_allowed_from_status",
        )
    target, allowed = entry
    if not (allowed & set(roles)):
        raise NotAllowed(_("You may not “%(action)s” this session.") % {"action": Action(action).label})
    return target
