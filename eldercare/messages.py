"""Every notification title eldercare sends, stored as a key plus parameters and rendered in
the reader's language (``community.notifications.messages``).

Parameters are data (an order number, an elder's name) or codes (an alarm kind, an outcome)
that ``prepare`` turns into labels when read. The msgids are the texts the catalogue already
translated, so ``match_legacy_title`` recognises titles stored before, in either language
(migration 0004 converts them).
"""

from __future__ import annotations

import re

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from community.notifications.messages import match_legacy, register

from .models import AlarmKind, AlarmOutcome


def _label(choices, code) -> str:
    try:
        return str(choices(code).label)
    except ValueError:  # a code removed since: show it rather than fail the reader's page
        return str(code)


def _kind_label(params: dict) -> dict:
    return {**params, "kind": _label(AlarmKind, params.get("kind"))}


def _outcome_label(params: dict) -> dict:
    return {**params, "outcome": _label(AlarmOutcome, params.get("outcome"))}


ORDER_ASSIGNED = register("care.order.assigned", gettext_noop("New care visit assigned: %(number)s"))
ALARM_RAISED = register("care.alarm.raised", gettext_noop("%(kind)s: %(elder)s"), prepare=_kind_label)
ALARM_ESCALATED = register(
    "care.alarm.escalated", gettext_noop("Unanswered alarm: %(kind)s, %(elder)s"), prepare=_kind_label
)
ALARM_RESOLVED = register(
    "care.alarm.resolved",
    gettext_noop("Alarm for %(elder)s resolved: %(outcome)s"),
    prepare=_outcome_label,
)

# (key, template, the coded parameter, its choices) of the titles whose parameter is a code.
_CODED = [
    (ALARM_RAISED, "%(kind)s: %(elder)s", "kind", AlarmKind),
    (ALARM_ESCALATED, "Unanswered alarm: %(kind)s, %(elder)s", "kind", AlarmKind),
    (ALARM_RESOLVED, "Alarm for %(elder)s resolved: %(outcome)s", "outcome", AlarmOutcome),
]


def match_legacy_title(text: str) -> tuple[str, dict] | None:
    """``(key, params)`` for a title eldercare stored as text before, in any language."""
    found = match_legacy(text, [ORDER_ASSIGNED])
    if found:
        return found
    text = (text or "").strip()
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for key, template, coded, choices in _CODED:
                translated = gettext(template)
                for code, label in choices.choices:
                    pattern = re.escape(translated)
                    pattern = pattern.replace(re.escape(f"%({coded})s"), re.escape(str(label)))
                    pattern = pattern.replace(re.escape("%(elder)s"), "(?P<elder>.+?)")
                    m = re.fullmatch(pattern, text, re.DOTALL)
                    if m:
                        return key, {coded: code, "elder": m.group("elder")}
    return None
