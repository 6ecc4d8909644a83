"""Application history and the applicant's notifications, rendered in the reader's language
(both stored as a type plus parameters)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from community.notifications.messages import register

from .models import ApplicationEvent, EventType, ServiceItem
from .transitions import Action, Status


def _label(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def event_text(event: ApplicationEvent, item: ServiceItem) -> str:
    p = event.params
    if event.type == EventType.SUBMITTED:
        return _("Application submitted.")
    if event.type == EventType.MATERIAL_UPLOADED:
        return _("Material added: %(m)s") % {"m": item.material_label(p.get("key", ""))}
    if event.type == EventType.MOVED:
        text = _("%(action)s: now “%(status)s”.") % {
            "action": _label(Action, p.get("action")),
            "status": _label(Status, p.get("to")),
        }
        if p.get("missing"):
            text += " " + _("Missing: %(m)s") % {"m": "、".join(item.material_label(k) for k in p["missing"])}
        if p.get("reason"):
            text += " " + p["reason"]
        return text
    if event.type == EventType.ESCALATED:
        return _("Escalated: the promised time limit is close or passed.")
    if event.type == EventType.CERTIFICATE_ISSUED:
        return _("Certificate %(n)s issued.") % {"n": p.get("number", "")}
    if event.type == EventType.RATED:
        return _("Rated %(n)s stars.") % {"n": p.get("rating")}
    return event.type


# --- Notifications to the applicant ---------------------------------------------------------
# Parameters are data: the application number, the item's and the materials' names as the office
# wrote them; the status is stored as its code and labelled when read.


def _status_label(params: dict) -> dict:
    return {**params, "status": _label(Status, params.get("status"))}


def _missing_list(params: dict) -> dict:
    return {**params, "missing": "、".join(params.get("missing") or [])}


APPLICATION_MOVED = register(
    "affairs.application.moved",
    gettext_noop("Your application %(n)s (%(item)s) is now “%(status)s”"),
    prepare=_status_label,
)
APPLICATION_MISSING = register(
    "affairs.application.missing",
    gettext_noop("Your application %(n)s (%(item)s) needs more materials: %(missing)s"),
    prepare=_missing_list,
)
CERTIFICATE_READY = register(
    "affairs.certificate.ready",
    gettext_noop("Approved: the certificate %(number)s for your application %(n)s is ready"),
)
