"""Stored messages are a type plus parameters, rendered when read, in the reader's language.

A notification title or a ticket-history line is never stored as translated text: the writer's
language is not the reader's. An app registers each message once, with its English msgid (the
catalogue holds the Chinese), and stores ``(key, params)``; ``render`` builds the text in the
active language, ``render_for`` in a given user's (SMS, websocket pushes, built per recipient).

    TICKET_ASSIGNED = register("ticket.assigned", gettext_noop("Ticket %(n)s assigned to you"))
    notification_send(recipients=[tech], verb="ticket.assigned",
                      message=TICKET_ASSIGNED, params={"n": ticket.number})

Parameters are data (numbers, names), never translated text. Where a parameter is itself a
code to translate (a status, a list of field names), a ``prepare`` function turns the stored
codes into labels at read time.

Rows written before this existed hold plain text; ``match_legacy`` recognises the text of a
known message in either language and recovers its parameters (the data migrations use it);
anything else stays legacy text, shown as written.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

__all__ = ["Message", "language_of", "match_legacy", "register", "render", "render_for"]


@dataclass(frozen=True)
class Message:
    key: str
    template: str  # the English msgid, %-style named parameters
    prepare: Callable[[dict], dict] | None = None

    def __str__(self) -> str:
        return self.key


_REGISTRY: dict[str, Message] = {}


def register(key: str, template: str, *, prepare: Callable[[dict], dict] | None = None) -> str:
    """Declare a message; returns its key (what callers store)."""
    existing = _REGISTRY.get(key)
    if existing is not None and existing.template != template:
        raise ValueError(f"message {key!r} registered twice with different texts")
    _REGISTRY[key] = Message(key=key, template=template, prepare=prepare)
    return key


def render(key: str, params: dict | None = None, *, fallback: str = "") -> str:
    """The message in the active language; ``fallback`` (legacy text) for an unknown key."""
    message = _REGISTRY.get(key or "")
    if message is None:
        return fallback
    params = dict(params or {})
    if message.prepare is not None:
        params = message.prepare(params)
    try:
        return gettext(message.template) % params
    except (KeyError, TypeError, ValueError):
        # A row written by an older version of the message: show the English text as is
        # rather than fail the reader's page.
        return fallback or message.template


def language_of(user) -> str:
    """The user's language preference; the site default (zh-hans) when they chose none."""
    return (getattr(user, "language", "") or "") or settings.LANGUAGE_CODE


def render_for(user, key: str, params: dict | None = None, *, fallback: str = "") -> str:
    with translation.override(language_of(user)):
        return render(key, params, fallback=fallback)


# --- Legacy text -------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"%\((\w+)\)([sd])")


def _pattern(template: str) -> re.Pattern:
    parts, last, seen = [], 0, set()
    for m in _PLACEHOLDER.finditer(template):
        parts.append(re.escape(template[last : m.start()]))
        name = m.group(1)
        if name in seen:  # a parameter used twice ("the %(year)s calendar … in %(year)s") is the same text
            parts.append(rf"(?P={name})")
        else:
            parts.append(rf"(?P<{name}>\d+)" if m.group(2) == "d" else rf"(?P<{name}>.+?)")
            seen.add(name)
        last = m.end()
    parts.append(re.escape(template[last:]))
    return re.compile("^" + "".join(parts) + "$", re.DOTALL)


def match_legacy(text: str, keys: list[str] | None = None) -> tuple[str, dict] | None:
    """``(key, params)`` when ``text`` is a registered message in any configured language."""
    text = (text or "").strip()
    if not text:
        return None
    candidates = [_REGISTRY[k] for k in (keys or _REGISTRY) if k in _REGISTRY]
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for message in candidates:
                if message.prepare is not None:
                    continue  # its parameters are codes, not recoverable from the labels
                m = _pattern(gettext(message.template)).match(text)
                if m is None:
                    continue
                params = {
                    name: int(value) if _is_int_param(message.template, name) else value
                    for name, value in m.groupdict().items()
                }
                return message.key, params
    return None


def _is_int_param(template: str, name: str) -> bool:
    return f"%({name})d" in template
