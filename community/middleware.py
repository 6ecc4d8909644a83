"""Site-wide request guards and response headers.

``BadInputGuardMiddleware`` — bad input is a 4xx, not a 500, wherever it lands (issue #15
item 11). Views and forms answer the input they understand (a form error, "nothing found");
what escapes them as one of these two database refusals is the client's doing, answered 400:

* a NUL character reaching PostgreSQL (text cannot hold it; psycopg refuses the query) from a
  view that reads ``request.GET`` / ``request.POST`` directly;
* an integer beyond 64 bits (SQLite raises ``OverflowError`` binding it: ids in JSON bodies,
  an admin date filter at year 1 whose time-zone shift leaves the calendar).

The request's writes were rolled back by the service's (or the admin's) transaction, so
nothing is half written. Device endpoints keep their own rules (a NUL in a ZKTeco line is kept
raw and the rest stored): they handle their input before it reaches a query.

``ContentSecurityPolicyMiddleware`` — sends ``CONTENT_SECURITY_POLICY``: scripts, styles,
images and connections from this origin only, no inline scripts, no framing.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


def _is_nul_refusal(exception: BaseException) -> bool:
    """psycopg's refusal of a NUL character, as Django re-raises it (DataError)."""
    from django.db import DataError

    return isinstance(exception, DataError | ValueError) and "NUL" in str(exception)


def _bad_request(request, message: str, code: str):
    if request.path.startswith("/api/"):
        from community.api.errors import error_body

        return JsonResponse(error_body(code=code, message=message), status=400)
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")


class BadInputGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, OverflowError):
            logger.info("refused a number out of range on %s: %s", request.path, exception)
            return _bad_request(request, _("A number in the request is out of range."), "out_of_range")
        if _is_nul_refusal(exception):
            logger.info("refused a NUL character on %s", request.path)
            return _bad_request(
                request, _("The request contains a NUL character, which no field accepts."), "nul_character"
            )
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
