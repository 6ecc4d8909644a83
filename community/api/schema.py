"""Schema helpers: document the shared error body on every endpoint.

Use ``@extend_schema(responses={200: MySerializer, **error_responses(400, 403, 404)})``.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse

from community.api.errors import ErrorSerializer

_DESCRIPTIONS = {
    400: "Invalid input: `error.fields` says which field and why.",
    401: "Not authenticated: send `Authorization: Token <key>` or a session cookie.",
    403: "Authenticated, but not allowed (role or estate).",
    404: "No such object, or it is not yours to see.",
    405: "Method not allowed on this path.",
    409: "Conflicts with the current state of the object.",
    413: "Request body too large.",
    415: "Unsupported media type; send JSON.",
    429: "Too many requests; retry after the `Retry-After` header's seconds.",
}


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    return {s: OpenApiResponse(response=ErrorSerializer, description=_DESCRIPTIONS[s]) for s in statuses}


# The errors any authenticated endpoint can answer.
READ_ERRORS = error_responses(401, 403)
DETAIL_ERRORS = error_responses(401, 403, 404)
WRITE_ERRORS = error_responses(400, 401, 403, 404)
