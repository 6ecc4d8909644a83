"""Application history rendered in the reader's language (stored as a type plus parameters)."""

from __future__ import annotations

from django.utils.translation import gettext as _

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
