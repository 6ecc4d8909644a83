"""One error body for the whole API.

``{"error": {"code": "...", "message": "...", "fields": {...}}}``: ``code`` is a stable
machine-readable string, ``message`` a human sentence (translated), ``fields`` maps a field to
its problems for validation errors and is ``{}`` otherwise. Every 4xx the API answers has
this shape: DRF exceptions, Django's ValidationError / Http404 / PermissionDenied, deleting a
protected row (409), a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (413), and unknown
``/api/v1/`` paths (see ``community.api.views.not_found``).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, RequestDataTooBig, TooManyFieldsSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers
from rest_framework.views import exception_handler as drf_exception_handler

from community.api.exceptions import Conflict, InvalidInput, PayloadTooLarge
from community.errors import NotAllowed, ServiceError

__all__ = [
    "Conflict",
    "ErrorSerializer",
    "InvalidInput",
    "PayloadTooLarge",
    "error_body",
    "exception_handler",
]


def _django_detail(exc: DjangoValidationError):
    """Django's ValidationError as DRF detail, keeping each message's code."""

    def details(errors):
        return [
            exceptions.ErrorDetail(message, code=error.code or "invalid")
            for error in errors
            for message in error
        ]

    if hasattr(exc, "error_dict"):
        return {
            ("non_field_errors" if field == "__all__" else field): details(errors)
            for field, errors in exc.error_dict.items()
        }
    return details(exc.error_list)


def _flatten(detail) -> list[str] | dict:
    if isinstance(detail, list):
        flat: list[str] = []
        for item in detail:
            flat.extend(_flatten(item) if not isinstance(item, dict) else [str(item)])
        return flat
    if isinstance(detail, dict):
        return {str(k): _flatten(v) for k, v in detail.items()}
    return [str(detail)]


def _first_code(detail) -> str | None:
    """The code of the first ErrorDetail found, to say *what* failed in ``error.code``."""
    if isinstance(detail, dict):
        detail = list(detail.values())
    if isinstance(detail, list):
        for item in detail:
            if (code := _first_code(item)) is not None:
                return code
        return None
    return getattr(detail, "code", None)


def _messages(exc: DjangoValidationError) -> str:
    return " ".join(str(m) for m in exc.messages)


def _translate(exc):
    """Our domain exceptions, Django's and the database's to the DRF exception with the right status."""
    if isinstance(exc, ServiceError) and exc.http_status == 409:
        return Conflict(_messages(exc), code=getattr(exc, "code", None) or exc.default_code)
    if isinstance(exc, NotAllowed):
        return exceptions.PermissionDenied(str(exc) or None, code=exc.code)
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(_django_detail(exc))
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, PermissionDenied):
        # Keep the service's reason ("only the reporter can rate"); fall back to the generic text.
        return exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, ProtectedError | RestrictedError):
        return Conflict(
            _("This object is still in use by other records and cannot be deleted."), code="protected"
        )
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge()
    if isinstance(exc, TooManyFieldsSent):
        return exceptions.ValidationError(_("The request has too many fields."), code="too_many_fields")
    return exc


def error_body(*, code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def exception_handler(exc, context):
    exc = _translate(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # not an API error: a real 500, left to Django's logging and error page
    detail = exc.detail
    fields: dict = {}
    if isinstance(exc, exceptions.ValidationError):
        code = getattr(exc, "error_code", None) or "invalid"
        if isinstance(detail, dict):
            non_field = detail.get("non_field_errors")
            fields = {k: _flatten(v) for k, v in detail.items() if k != "non_field_errors"}
            message = " ".join(_flatten(non_field)) if non_field else _("Some fields are invalid.")
            if code == "invalid" and non_field and (first := _first_code(non_field)) is not None:
                code = first
        else:
            message = " ".join(_flatten(detail))
            if code == "invalid" and (first := _first_code(detail)) is not None:
                code = first
    else:
        message = " ".join(_flatten(detail)) if isinstance(detail, list | dict) else str(detail)
        code = getattr(detail, "code", None) or exc.default_code
    response.data = error_body(code=code, message=message, fields=fields)
    return response


# --- Schema --------------------------------------------------------------------------------------


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable code, e.g. `invalid`, `not_found`.")
    message = serializers.CharField(help_text="A sentence for people, in the request's language.")


# "fields" cannot be a class attribute: it would shadow Serializer.fields.
ErrorDetailSerializer._declared_fields["fields"] = serializers.DictField(
    child=serializers.ListField(child=serializers.CharField()),
    help_text="Field name → its problems (validation errors only; empty otherwise).",
)


class ErrorSerializer(serializers.Serializer):
    """The body of every API error."""

    error = ErrorDetailSerializer()
