"""Every generated text of the ticket app: notification titles and timeline lines.

Stored as a key plus parameters and rendered for the reader (``community.notifications.messages``).
The msgids are the ones the catalogue already translates, so rows written before the change are
recognised by the data migration in either language.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop

from community.notifications.messages import register


def _field_labels(params: dict) -> dict:
    from .models import Ticket

    names = []
    for field in params.get("fields", []):
        try:
            names.append(str(Ticket._meta.get_field(field).verbose_name))
        except Exception:  # a field renamed since: show its code rather than fail the page
            names.append(str(field))
    return {**params, "fields": ", ".join(names)}


# Notifications
CREATED = register("ticket.created", gettext_noop("New ticket %(number)s: %(category)s"))
ASSIGNED = register("ticket.assigned", gettext_noop("Ticket %(n)s assigned to you"))
HANDLED_BY = register("ticket.handled_by", gettext_noop("Your ticket %(n)s is being handled by %(name)s"))
ON_HOLD = register("ticket.on_hold", gettext_noop("Your ticket %(n)s is on hold"))
RESOLVED = register(
    "ticket.resolved", gettext_noop("Your ticket %(n)s is resolved — please confirm and rate")
)
REOPENED = register("ticket.reopened", gettext_noop("Ticket %(n)s was reopened by the resident"))
DECLINED = register("ticket.declined", gettext_noop("Your ticket %(n)s was declined"))
CANCELLED = register("ticket.cancelled", gettext_noop("Ticket %(n)s was cancelled"))
COMMENT_FOR_STAFF = register("ticket.comment", gettext_noop("New comment on ticket %(n)s"))
REPLY_FOR_RESIDENT = register("ticket.reply", gettext_noop("New reply on your ticket %(n)s"))
RATED = register("ticket.rated", gettext_noop("Ticket %(n)s rated %(score)d/5"))
AT_RISK = register("ticket.at_risk", gettext_noop("Ticket %(n)s is at risk of missing its deadline"))
OVERDUE = register("ticket.overdue", gettext_noop("Ticket %(n)s is overdue"))
REASSIGNED_AWAY = register("ticket.reassigned_away", gettext_noop("Ticket %(n)s was handed to someone else"))
RETURNED = register("ticket.returned", gettext_noop("Ticket %(n)s was returned to dispatch"))
NO_RESPONSE = register(
    "ticket.no_response", gettext_noop("Ticket %(n)s: nobody accepted it by the response deadline")
)
NOT_ON_SITE = register(
    "ticket.not_on_site", gettext_noop("Ticket %(n)s: nobody on site by the arrival deadline")
)
LONG_HOLD = register("ticket.long_hold", gettext_noop("Ticket %(n)s has been on hold for %(days)d days"))

# Timeline lines
ASSIGNED_TO = register("ticket.event.assigned_to", gettext_noop("Assigned to %(name)s"))
CHANGED = register("ticket.event.changed", gettext_noop("Changed: %(fields)s"), prepare=_field_labels)

# What legacy TicketEvent.body / Notification.title text may be (data migrations).
LEGACY_EVENT_KEYS = [ASSIGNED_TO, AT_RISK, OVERDUE]
LEGACY_NOTIFICATION_KEYS = [
    CREATED,
    ASSIGNED,
    HANDLED_BY,
    ON_HOLD,
    RESOLVED,
    REOPENED,
    DECLINED,
    CANCELLED,
    COMMENT_FOR_STAFF,
    REPLY_FOR_RESIDENT,
    RATED,
    AT_RISK,
    OVERDUE,
]
