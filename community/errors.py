"""The exceptions services raise: our own, never DRF's.

Services are called from the API, the admin, portal views, Celery tasks and management
commands, so they speak in terms none of those own. Each class carries the HTTP status the
API answers with (``community.api.errors`` maps them into the one error envelope); the admin
and the portal show the message on the form (``community.admin_services``), because every
refusal is a Django ``ValidationError`` or ``PermissionDenied`` underneath.

=========================  ======  ==============================================================
class                      status  when
=========================  ======  ==============================================================
``ServiceError``           400     the input breaks a rule ("give a reason", "not in this estate")
``TransitionRefused``      409     the move does not exist from the object's current state
``StaleVersion``           409     the object changed since the actor loaded it
``AlreadyDone``            409     a one-time act was already done (accepted, rated, taken)
``NotAllowed``             403     the move exists, but not for this actor
=========================  ======  ==============================================================

Raise them with a translated message and, where the client must tell failures apart, a
``code``: ``raise TransitionRefused(_("…"), code="not_open")``. A dict message
(``{"reason": [_("Give the reason.")]}``) names the fields, as with ``ValidationError``.

Text a person typed that is longer than its field allows is refused, naming the field and both
lengths, never cut to fit: ``text_within(value, Model, "field")`` (the limit from the model's
``max_length``, or ``limit=``; the error under ``key=`` or the field's name), and
``text_too_long(value, limit)``, the message alone, for callers that gather every problem into
one errors dict first. It is the one wording of that rule; do not spell another.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

__all__ = [
    "AlreadyDone",
    "NotAllowed",
    "ServiceError",
    "StaleVersion",
    "TransitionRefused",
    "text_limit",
    "text_too_long",
    "text_within",
]


class ServiceError(ValidationError):
    """A service refused the request: bad input or a domain rule. Answered 400."""

    http_status = 400
    default_code = "invalid"

    def __init__(self, message, code: str | None = None, params=None):
        super().__init__(message, code=code or self.default_code, params=params)


class TransitionRefused(ServiceError):
    """The action is not possible from the object's current state. Answered 409."""

    http_status = 409
    default_code = "transition_refused"


class StaleVersion(ServiceError):
    """Optimistic locking: someone else changed the object first. Answered 409."""

    http_status = 409
    default_code = "stale"


class AlreadyDone(ServiceError):
    """A one-time act already happened (an order already accepted, a ticket already rated). 409."""

    http_status = 409
    default_code = "already_done"


class NotAllowed(PermissionDenied):
    """The actor may not do this (the action exists for others). Answered 403."""

    http_status = 403
    default_code = "permission_denied"

    def __init__(self, message="", code: str | None = None):
        super().__init__(message)
        self.code = code or self.default_code


def text_limit(model, field: str) -> int:
    """The model's ``max_length`` for ``field``: the column is the one source of the limit."""
    limit = model._meta.get_field(field).max_length
    if limit is None:
        raise TypeError(f"{model.__name__}.{field} has no max_length: pass limit=")
    return limit


def text_too_long(value: str | None, limit: int) -> str | None:
    """The message refusing ``value`` when it is longer than ``limit`` characters, else None.

    For callers that gather every problem into one errors dict before raising (ticket filing,
    device event fields); ``text_within`` is built on it. Characters, not bytes: a Chinese note
    of 200 characters fits a ``max_length=200`` column whatever its UTF-8 size."""
    n = len(value or "")
    if n <= limit:
        return None
    return _("At most %(max)d characters (this is %(n)d).") % {"max": limit, "n": n}


def text_within(
    value: str | None,
    model=None,
    field: str | None = None,
    *,
    limit: int | None = None,
    key: str | None = None,
) -> str:
    """``value`` stripped, or a ServiceError (code ``too_long``) naming the field when it is
    longer than allowed: text a person typed is refused when too long, naming both lengths,
    never cut short silently (the reader would act on half a reason).

    The limit is ``model``'s ``max_length`` for ``field``, or ``limit`` when given (a text
    column without one, or a rule stricter than the column). The error names ``key`` (the
    name the form or API uses) or else ``field``::

        note = text_within(note, Order, "note")
        reason = text_within(reason, Order, "cancel_reason", key="reason")
        comment = text_within(comment, field="comment", limit=500)
    """
    name = key or field
    if name is None:
        raise TypeError("text_within needs the field (or key) the error names")
    if limit is None:
        if model is None or field is None:
            raise TypeError("text_within needs a model and field, or a limit")
        limit = text_limit(model, field)
    elif (
        model is not None
        and (column := model._meta.get_field(field).max_length) is not None
        and limit > column
    ):
        # A limit looser than the column would let the database refuse (or SQLite keep) the rest.
        raise TypeError(f"limit={limit} is above {model.__name__}.{field}'s max_length {column}")
    value = (value or "").strip()
    if (message := text_too_long(value, limit)) is not None:
        raise ServiceError({name: [ValidationError(message, code="too_long")]}, code="too_long")
    return value
