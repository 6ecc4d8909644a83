"""Shared API view settings and the JSON 404 for unknown ``/api/v1/`` paths."""

from __future__ import annotations

from django.http import JsonResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework.authentication import SessionAuthentication

from community.accounts.authentication import ApiTokenAuthentication
from community.api.errors import error_body
from community.api.parsers import PARSER_CLASSES


class ApiDefaults:
    """Mixin for API views.

    Token authentication comes first so an anonymous request gets 401 with
    ``WWW-Authenticate: Token`` (DRF takes the header from the first authenticator; with the
    session first it answers 403). Session authentication keeps DRF's CSRF check for the
    portal's JavaScript. The JSON parser enforces the upload size limit (413).
    """

    authentication_classes = [ApiTokenAuthentication, SessionAuthentication]
    parser_classes = PARSER_CLASSES


@csrf_exempt
def not_found(request, *args, **kwargs):
    """The last pattern under /api/v1/: unknown paths answer the API's 404 body, not HTML."""
    message = _("There is no API endpoint at %(path)s.") % {"path": request.path}
    if not request.path.endswith("/"):
        # APPEND_SLASH cannot redirect once this catch-all matches; say what was meant instead.
        try:
            match = resolve(request.path + "/", getattr(request, "urlconf", None))
        except Resolver404:
            match = None
        if match is not None and match.func is not not_found:
            message += " " + _("Did you mean %(path)s/ (with a trailing slash)?") % {"path": request.path}
    return JsonResponse(error_body(code="not_found", message=message), status=404)
