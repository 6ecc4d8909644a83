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
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

__all__ = ["AlreadyDone", "NotAllowed", "ServiceError", "StaleVersion", "TransitionRefused", "text_within"]


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


def text_within(field: str, value: str, limit: int) -> str:
    """``value`` unchanged, or a ServiceError naming ``field``: text a person typed is refused
    when too long, never silently cut (the reader would act on half a reason)."""
    if len(value) > limit:
        raise ServiceError(
            {field: [_("At most %(max)d characters (this is %(n)d).") % {"max": limit, "n": len(value)}]},
            code="too_long",
        )
    return value
