"""One error body for the whole API.

``{"error": {"code": "...", "message": "...", "fields": {...}}}``: ``message`` is a human
sentence (translated), ``fields`` maps a field to its problems for validation errors.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "The object was changed by someone else; reload and try again."


def _flatten(detail):
    if isinstance(detail, list):
        return [str(d) for d in detail]
    if isinstance(detail, dict):
        return {k: _flatten(v) for k, v in detail.items()}
    return [str(detail)]


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    code = getattr(exc, "default_code", "error")
    body: dict = {"code": code}
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        if isinstance(detail, dict):
            non_field = detail.get("non_field_errors")
            body["fields"] = {k: _flatten(v) for k, v in detail.items() if k != "non_field_errors"}
            body["message"] = " ".join(_flatten(non_field)) if non_field else _("Some fields are invalid.")
        else:
            body["message"] = " ".join(_flatten(detail))
    else:
        body["message"] = str(exc.detail) if not isinstance(exc.detail, list | dict) else _flatten(exc.detail)
        if hasattr(exc.detail, "code"):
            body["code"] = exc.detail.code
    response.data = {"error": body}
    return response
