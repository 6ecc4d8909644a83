"""Site-wide request guards and response headers.

``BadInputGuardMiddleware`` — bad input is a 4xx, not a 500, wherever it lands (issue #15
item 11). Two classes of input reached the database unchecked from views that read
``request.POST`` / ``request.GET`` directly or from serializers without bounds:

* NUL characters: PostgreSQL text cannot hold them (psycopg raises on the query). Refused in
  the path, the query string and form fields before any view runs (file contents are not
  checked: they are bytes, stored as files). Bodies of CSRF-exempt views (devices, which read
  the raw body; DRF's API, whose CharField already refuses NUL and whose parsers answer an
  oversized body with 413) are left to them.
* integers beyond 64 bits: SQLite raises ``OverflowError`` binding them (ids in JSON bodies,
  admin date filters at year 1 whose time-zone shift leaves the calendar). Any
  ``OverflowError`` escaping a view is answered 400; the request's writes were rolled back by
  the service's transaction.

``ContentSecurityPolicyMiddleware`` — sends ``CONTENT_SECURITY_POLICY``: scripts, styles,
images and connections from this origin only, no inline scripts, no framing.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _has_nul(querydict) -> bool:
    return any("\x00" in key or any("\x00" in v for v in values) for key, values in querydict.lists())


def _bad_request(request, message: str, code: str):
    if request.path.startswith("/api/"):
        from community.api.errors import error_body

        return JsonResponse(error_body(code=code, message=message), status=400)
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")


def _nul_refused(request):
    return _bad_request(
        request, _("The request contains a NUL character, which no field accepts."), "nul_character"
    )


class BadInputGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or _has_nul(request.GET):
            return _nul_refused(request)
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Form bodies of the views browsers post to: those that enforce CSRF, whose token
        # CsrfViewMiddleware has just read from request.POST (so the body is parsed anyway).
        # CSRF-exempt views (devices reading the raw body, DRF's API views) parse their own.
        if (
            request.method == "POST"
            and request.content_type in FORM_TYPES
            and not getattr(view_func, "csrf_exempt", False)
            and _has_nul(request.POST)
        ):
            return _nul_refused(request)
        return None

    def process_exception(self, request, exception):
        if isinstance(exception, OverflowError):
            logger.info("refused a number out of range on %s: %s", request.path, exception)
            return _bad_request(request, _("A number in the request is out of range."), "out_of_range")
        return None


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = "; ".join(
            f"{directive} {' '.join(sources)}".strip()
            for directive, sources in getattr(settings, "CONTENT_SECURITY_POLICY", {}).items()
        )

    def __call__(self, request):
        response = self.get_response(request)
        if self.policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = self.policy
        return response
