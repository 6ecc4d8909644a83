"""JSON parser that honours DATA_UPLOAD_MAX_MEMORY_SIZE.

Django checks the limit when it reads ``request.body`` / ``request.POST`` itself, but DRF's
JSON parser reads the raw stream, so without this a client could post any size of JSON.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers

from community.api.exceptions import PayloadTooLarge


def _check_size(parser_context) -> None:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    request = (parser_context or {}).get("request")
    if limit is None or request is None:
        return
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        raise PayloadTooLarge()


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        _check_size(parser_context)
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            # json.loads recurses per nesting level; a body of 100,000 "[" would be a 500.
            raise exceptions.ParseError(_("The body is not valid JSON: nested too deeply.")) from exc


# The parser list every API view uses (see community.api.views.ApiDefaults).
PARSER_CLASSES = [JSONParser, parsers.FormParser, parsers.MultiPartParser]
