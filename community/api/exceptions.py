"""API exceptions with their own status codes (the error body is built in community.api.errors).

Kept apart from errors.py, which imports DRF's views: parsers and settings-loaded classes import
these without pulling in rest_framework.views (that would be a circular import).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status


class Conflict(exceptions.APIException):
    """409: the request is valid but clashes with the current state (e.g. an illegal transition)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = gettext_lazy("The object was changed by someone else; reload and try again.")


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"
    default_detail = gettext_lazy("The request body is too large.")


class InvalidInput(exceptions.ValidationError):
    """A 400 whose ``error.code`` is ``code`` even when ``detail`` names fields.

    A plain ValidationError with field errors answers ``code: "invalid"``; use this when the
    client should be able to tell this failure apart (e.g. ``mfa_required``).
    """

    def __init__(self, detail=None, code: str | None = None):
        super().__init__(detail, code)
        self.error_code = code
