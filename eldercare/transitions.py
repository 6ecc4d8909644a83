"""The eldercare workflows: one table of allowed transitions for orders, one for alarms.

Pure code (no database) so both tables can be checked by property tests. Services ask
``order_next`` / ``alarm_next`` for every change; nothing else writes a status.

Order roles are relative to the order: ``requester`` (the booker, the elder, the elder's
contacts), ``worker`` (any care worker of the order's estate, before anyone took it),
``assignee`` (the worker who holds it), ``staff`` (coordinators and managers of the estate)
and ``system`` (periodic jobs). Alarm roles: ``staff`` and ``system``.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from community.errors import NotAllowed, TransitionRefused


class OrderStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a worker")
    ACCEPTED = "accepted", _("Accepted")
    EN_ROUTE = "en_route", _("On the way")
    CHECKED_IN = "checked_in", _("In service")
    COMPLETED = "completed", _("Completed")
    CONFIRMED = "confirmed", _("Confirmed")
    RATED = "rated", _("Rated")
    CANCELLED = "cancelled", _("Cancelled")
    FAILED = "failed", pgettext_lazy("order", "Failed")


class OrderAction(models.TextChoices):
    ACCEPT = "accept", _("Accept")
    ASSIGN = "assign", _("Assign")
    DEPART = "depart", _("Set off")
    CHECK_IN = "check_in", _("Check in")
    CHECK_OUT = "check_out", _("Check out")
    CONFIRM = "confirm", _("Confirm")
    RATE = "rate", _("Rate")
    CANCEL = "cancel", _("Cancel")
    FAIL = "fail", _("Record a failed visit")


class OrderRole(models.TextChoices):
    REQUESTER = "requester", _("Requester")
    WORKER = "worker", _("Care worker")
    ASSIGNEE = "assignee", _("Assigned worker")
    STAFF = "staff", _("Coordinator")
    SYSTEM = "system", _("System")


OS, OA, OR = OrderStatus, OrderAction, OrderRole

# (action, from status) -> (to status, roles allowed)
ORDER_TRANSITIONS: dict[tuple[str, str], tuple[str, frozenset[str]]] = {
    (OA.ACCEPT, OS.PENDING): (OS.ACCEPTED, frozenset({OR.WORKER})),
    (OA.ASSIGN, OS.PENDING): (OS.ACCEPTED, frozenset({OR.STAFF, OR.SYSTEM})),
    (OA.ASSIGN, OS.ACCEPTED): (OS.ACCEPTED, frozenset({OR.STAFF})),  # reassign
    (OA.DEPART, OS.ACCEPTED): (OS.EN_ROUTE, frozenset({OR.ASSIGNEE})),
    (OA.CHECK_IN, OS.ACCEPTED): (OS.CHECKED_IN, frozenset({OR.ASSIGNEE})),
    (OA.CHECK_IN, OS.EN_ROUTE): (OS.CHECKED_IN, frozenset({OR.ASSIGNEE})),
    (OA.CHECK_OUT, OS.CHECKED_IN): (OS.COMPLETED, frozenset({OR.ASSIGNEE})),
    (OA.CONFIRM, OS.COMPLETED): (OS.CONFIRMED, frozenset({OR.REQUESTER, OR.SYSTEM})),
    (OA.RATE, OS.COMPLETED): (OS.RATED, frozenset({OR.REQUESTER})),
    (OA.RATE, OS.CONFIRMED): (OS.RATED, frozenset({OR.REQUESTER})),
    # The requester may withdraw until someone took the job; staff may cancel later, with a reason.
    (OA.CANCEL, OS.PENDING): (OS.CANCELLED, frozenset({OR.REQUESTER, OR.STAFF})),
    (OA.CANCEL, OS.ACCEPTED): (OS.CANCELLED, frozenset({OR.STAFF})),
    (OA.CANCEL, OS.EN_ROUTE): (OS.CANCELLED, frozenset({OR.STAFF})),
    (OA.FAIL, OS.ACCEPTED): (OS.FAILED, frozenset({OR.ASSIGNEE, OR.STAFF})),
    (OA.FAIL, OS.EN_ROUTE): (OS.FAILED, frozenset({OR.ASSIGNEE, OR.STAFF})),
    (OA.FAIL, OS.CHECKED_IN): (OS.FAILED, frozenset({OR.ASSIGNEE, OR.STAFF})),
}

ORDER_OPEN = frozenset({OS.PENDING, OS.ACCEPTED, OS.EN_ROUTE, OS.CHECKED_IN})
ORDER_FINAL = frozenset({OS.RATED, OS.CANCELLED, OS.FAILED})
# Orders that were delivered: they count in statements and settlements.
ORDER_DELIVERED = frozenset({OS.COMPLETED, OS.CONFIRMED, OS.RATED})


class AlarmStatus(models.TextChoices):
    RAISED = "raised", _("Raised")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    ON_SITE = "on_site", _("Someone on site")
    RESOLVED = "resolved", _("Resolved")


class AlarmAction(models.TextChoices):
    ACKNOWLEDGE = "acknowledge", _("Acknowledge")
    ARRIVE = "arrive", _("On site")
    RESOLVE = "resolve", _("Resolve")
    ESCALATE = "escalate", _("Escalate")


class AlarmRole(models.TextChoices):
    STAFF = "care_staff", _("Care staff")
    SYSTEM = "system", _("System")


AS, AA, AR = AlarmStatus, AlarmAction, AlarmRole

ALARM_TRANSITIONS: dict[tuple[str, str], tuple[str, frozenset[str]]] = {
    (AA.ACKNOWLEDGE, AS.RAISED): (AS.ACKNOWLEDGED, frozenset({AR.STAFF})),
    # Someone may reach the elder before anyone pressed "acknowledge": arriving acknowledges.
    (AA.ARRIVE, AS.RAISED): (AS.ON_SITE, frozenset({AR.STAFF})),
    (AA.ARRIVE, AS.ACKNOWLEDGED): (AS.ON_SITE, frozenset({AR.STAFF})),
    (AA.RESOLVE, AS.ACKNOWLEDGED): (AS.RESOLVED, frozenset({AR.STAFF})),
    (AA.RESOLVE, AS.ON_SITE): (AS.RESOLVED, frozenset({AR.STAFF})),
    # Escalation changes who is told, not the state: it stays raised until someone answers.
    (AA.ESCALATE, AS.RAISED): (AS.RAISED, frozenset({AR.SYSTEM})),
}
ALARM_OPEN = frozenset({AS.RAISED, AS.ACKNOWLEDGED, AS.ON_SITE})


def _next(table, status_cls, action_cls, status: str, action: str, roles) -> str:
    if action not in action_cls.values:
        raise TransitionRefused(gettext("Unknown action “%(action)s”.") % {"action": action})
    entry = table.get((action, status))
    if entry is None:
        raise TransitionRefused(
            gettext("Something that is “%(status)s” cannot be “%(action)s”.")
            % {"status": status_cls(status).label, "action": action_cls(action).label},
            code="not_allowed_from_status",
        )
    target, allowed = entry
    if not (allowed & set(roles)):
        raise NotAllowed(gettext("You may not “%(action)s” this.") % {"action": action_cls(action).label})
    return target


def order_next(status: str, action: str, roles) -> str:
    """The order status after ``action``; raises TransitionRefused (409) / NotAllowed (403)."""
    return _next(ORDER_TRANSITIONS, OrderStatus, OrderAction, status, action, roles)


def alarm_next(status: str, action: str, roles) -> str:
    return _next(ALARM_TRANSITIONS, AlarmStatus, AlarmAction, status, action, roles)


def order_actions(status: str, roles) -> list[str]:
    """Actions the actor may take now, in table order (for buttons and the API)."""
    return [a for (a, s), (_t, allowed) in ORDER_TRANSITIONS.items() if s == status and allowed & set(roles)]


def alarm_actions(status: str, roles) -> list[str]:
    return [a for (a, s), (_t, allowed) in ALARM_TRANSITIONS.items() if s == status and allowed & set(roles)]
