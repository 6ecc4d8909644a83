"""Every API error has the body {"error": {"code", "message", "fields"}}, whatever the status."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError
from rest_framework import exceptions
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from community.api.errors import Conflict
from community.api.views import ApiDefaults
from tests.api.helpers import assert_error


def test_400_names_each_invalid_field(api_as, manager_a, estate_a):
    response = api_as(manager_a).post(
        "/api/v1/announcements/", {"estate": estate_a.pk, "title": ""}, format="json"
    )

    error = assert_error(response, 400, "invalid")
    assert set(error["fields"]) == {"title", "body"}
    assert all(isinstance(problems, list) and problems for problems in error["fields"].values())


def test_400_for_malformed_json(api_as, manager_a):
    response = api_as(manager_a).post("/api/v1/announcements/", "{not json", content_type="application/json")
    assert_error(response, 400, "parse_error")


def test_401_with_token_challenge(api):
    response = api.get("/api/v1/estates/")
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"


def test_401_for_a_bad_token(api, db):
    api.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef")
    assert_error(api.get("/api/v1/me/"), 401, "authentication_failed")


def test_403(api_as, household_a):
    assert_error(api_as(household_a[0]).get("/api/v1/residents/"), 403, "permission_denied")


def test_404(api_as, manager_a):
    assert_error(api_as(manager_a).get("/api/v1/units/999999/"), 404, "not_found")


def test_405(api_as, superuser, household_a):
    assert_error(api_as(household_a[0]).put("/api/v1/me/", {}, format="json"), 405, "method_not_allowed")
    assert_error(api_as(superuser).delete("/api/v1/estates/"), 405, "method_not_allowed")


def test_413_for_a_json_body_over_the_limit(api_as, manager_a, estate_a, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"estate": estate_a.pk, "title": "t", "body": "长" * 2000})

    response = api_as(manager_a).post("/api/v1/announcements/", body, content_type="application/json")

    assert_error(response, 413, "payload_too_large")


def test_413_for_a_form_body_over_the_limit(api_as, manager_a, estate_a, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api_as(manager_a).post(
        "/api/v1/announcements/", {"estate": estate_a.pk, "title": "t", "body": "x" * 5000}
    )
    assert_error(response, 413, "payload_too_large")


def test_415(api_as, manager_a):
    response = api_as(manager_a).post("/api/v1/announcements/", "title=t", content_type="text/plain")
    assert_error(response, 415, "unsupported_media_type")


# 409 and Django exceptions: the handler's contract for every app's API views.


class _Raises(ApiDefaults, APIView):
    permission_classes = []
    exc: Exception | None = None

    def get(self, request):
        raise self.exc


def _call(exc: Exception):
    view = _Raises.as_view(exc=exc)
    response = view(APIRequestFactory().get("/api/v1/anything/"))
    response.render()
    return response


def test_409_conflict():
    assert_error(_call(Conflict()), 409, "conflict")
    error = assert_error(
        _call(Conflict("The ticket is already closed.", code="illegal_transition")), 409, "illegal_transition"
    )
    assert error["message"] == "The ticket is already closed."


def test_409_for_deleting_a_protected_row():
    assert_error(_call(ProtectedError("in use", set())), 409, "protected")


def test_django_validation_errors_become_400_with_fields_and_codes():
    error = assert_error(
        _call(DjangoValidationError({"end_date": "The end date cannot be before the start date."})),
        400,
        "invalid",
    )
    assert error["fields"] == {"end_date": ["The end date cannot be before the start date."]}

    error = assert_error(
        _call(DjangoValidationError("This occupancy has already ended.", code="already_ended")),
        400,
        "already_ended",
    )
    assert error["message"] == "This occupancy has already ended."
    assert error["fields"] == {}

    error = assert_error(
        _call(DjangoValidationError({"__all__": ["Dates overlap."], "role": ["Unknown role."]})), 400
    )
    assert error["message"] == "Dates overlap."
    assert error["fields"] == {"role": ["Unknown role."]}


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (exceptions.NotFound(), 404, "not_found"),
        (exceptions.PermissionDenied(), 403, "permission_denied"),
        (exceptions.Throttled(wait=30), 429, "throttled"),
    ],
)
def test_drf_exceptions_keep_their_status_and_code(exc, status, code):
    assert_error(_call(exc), status, code)


def test_unknown_api_path_is_a_json_404(api):
    for method in ("get", "post", "delete"):
        error = assert_error(getattr(api, method)("/api/v1/no-such-thing/"), 404, "not_found")
        assert "/api/v1/no-such-thing/" in error["message"]


def test_missing_trailing_slash_gets_a_hint(api):
    error = assert_error(api.get("/api/v1/me"), 404, "not_found")
    assert "/api/v1/me/" in error["message"]
