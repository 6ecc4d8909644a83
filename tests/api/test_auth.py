"""Token login (phone / email / username), revocation, failed-attempt throttling, session + CSRF."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from community.accounts.models import ApiToken
from tests.api.helpers import assert_error
from tests.factories import UserFactory

TOKEN_URL = "/api/v1/auth/token/"


@pytest.fixture
def resident(db):
    return UserFactory(username="lin", phone="+8613800000101", email="lin@example.com")


@pytest.mark.parametrize(
    "login", ["13800000101", "+8613800000101", "138 0000 0101", "lin@example.com", "LIN@example.com", "lin"]
)
def test_obtain_token_with_phone_email_or_username(api, resident, login):
    response = api.post(TOKEN_URL, {"login": login, "password": "demo12345"}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    token = ApiToken.objects.get(user=resident)
    assert body["user_id"] == resident.pk and body["id"] == token.pk
    assert body["token"].startswith(token.prefix) and token.key_hash != body["token"]  # hashed at rest


def test_token_authenticates_api_requests(api, resident):
    key = api.post(TOKEN_URL, {"login": "lin", "password": "demo12345"}, format="json").json()["token"]

    response = APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}")

    assert response.status_code == 200
    assert response.json()["id"] == resident.pk


def test_each_login_gets_its_own_token(api, resident):
    first = api.post(TOKEN_URL, {"login": "lin", "password": "demo12345"}, format="json").json()["token"]
    second = api.post(TOKEN_URL, {"login": "lin", "password": "demo12345"}, format="json").json()["token"]
    assert first != second
    for key in (first, second):
        assert APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200


def test_wrong_password_is_a_400_without_saying_which_part_was_wrong(api, resident):
    wrong_password = api.post(TOKEN_URL, {"login": "lin", "password": "nope"}, format="json")
    unknown_login = api.post(TOKEN_URL, {"login": "nobody", "password": "nope"}, format="json")

    first = assert_error(wrong_password, 400, "invalid_credentials")
    second = assert_error(unknown_login, 400, "invalid_credentials")
    assert first["message"] == second["message"]
    assert not ApiToken.objects.exists()


def test_missing_fields_are_named(api):
    error = assert_error(api.post(TOKEN_URL, {"login": "lin"}, format="json"), 400, "invalid")
    assert set(error["fields"]) == {"password"}


def test_inactive_user_gets_no_token(api, resident):
    resident.is_active = False
    resident.save()
    assert_error(api.post(TOKEN_URL, {"login": "lin", "password": "demo12345"}, format="json"), 400)


def test_a_stale_token_header_does_not_block_logging_in(api, resident):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert api.post(TOKEN_URL, {"login": "lin", "password": "demo12345"}, format="json").status_code == 200


def test_revoke_token(api, resident):
    key = api.post(TOKEN_URL, {"login": "lin", "password": "demo12345"}, format="json").json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    assert client.delete(TOKEN_URL).status_code == 204

    assert ApiToken.objects.get().revoked_at is not None
    error = assert_error(client.get("/api/v1/me/"), 401, "authentication_failed")
    assert "token" in error["message"].lower() or error["message"]


def test_revoke_needs_authentication(api):
    response = api.delete(TOKEN_URL)
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"


def test_failed_attempts_are_throttled_per_login_even_for_the_right_password(api, resident):
    for _ in range(10):
        assert api.post(TOKEN_URL, {"login": "lin", "password": "guess"}, format="json").status_code == 400

    response = api.post(TOKEN_URL, {"login": "lin", "password": "demo12345"}, format="json")

    error = assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0
    assert "second" in error["message"] or error["message"]
    assert not ApiToken.objects.exists()


def test_throttle_counts_the_same_phone_in_any_spelling(api, resident):
    spellings = ["13800000101", "+8613800000101", "138 0000 0101", "+86 138-0000-0101"]
    for i in range(10):
        api.post(TOKEN_URL, {"login": spellings[i % 4], "password": "guess"}, format="json")
    assert_error(api.post(TOKEN_URL, {"login": "13800000101", "password": "demo12345"}, format="json"), 429)


def test_successes_do_not_count_towards_the_throttle(api, resident):
    for _ in range(15):
        assert (
            api.post(TOKEN_URL, {"login": "lin", "password": "demo12345"}, format="json").status_code == 200
        )


def test_failed_attempts_are_throttled_per_client_across_logins(api, db):
    for i in range(30):
        api.post(TOKEN_URL, {"login": f"someone{i}", "password": "guess"}, format="json")
    UserFactory(username="fresh")
    assert_error(api.post(TOKEN_URL, {"login": "fresh", "password": "demo12345"}, format="json"), 429)


def test_another_login_from_another_client_is_not_throttled(api, resident):
    for _ in range(10):
        api.post(TOKEN_URL, {"login": "lin", "password": "guess"}, format="json")
    UserFactory(username="neighbour")
    other = APIClient(REMOTE_ADDR="10.0.0.9")
    assert (
        other.post(TOKEN_URL, {"login": "neighbour", "password": "demo12345"}, format="json").status_code
        == 200
    )


def test_session_requests_enforce_csrf(resident):
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(resident, backend="django.contrib.auth.backends.ModelBackend")

    assert browser.get("/api/v1/me/").status_code == 200  # reads need no token
    error = assert_error(browser.delete(TOKEN_URL), 403, "permission_denied")
    assert "CSRF" in error["message"]


def test_session_request_with_csrf_token_passes(resident):
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(resident, backend="django.contrib.auth.backends.ModelBackend")
    token = "a" * 32  # what the portal page's csrftoken cookie would hold
    browser.cookies["csrftoken"] = token

    assert browser.delete(TOKEN_URL, HTTP_X_CSRFTOKEN=token).status_code == 204


def test_mfa_accounts_need_a_code(api, resident):
    import time

    from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value

    secret = generate_totp_secret()
    TOTP.activate(resident, secret)
    login = {"login": "lin", "password": "demo12345"}

    assert_error(api.post(TOKEN_URL, login, format="json"), 400, "mfa_required")
    error = assert_error(
        api.post(TOKEN_URL, {**login, "code": "12345x"}, format="json"), 400, "invalid_mfa_code"
    )
    assert set(error["fields"]) == {"code"}

    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    response = api.post(TOKEN_URL, {**login, "code": code}, format="json")
    assert response.status_code == 200, response.content
