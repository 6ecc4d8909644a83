"""Issue #15 item 13: API tokens end with a password change and "log out everywhere", expire,
and are listed and revoked by their owner (and only by them)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from community.accounts import services
from community.accounts.models import ApiToken
from community.errors import ServiceError
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
TOKENS_URL = "/api/v1/auth/tokens/"


@pytest.fixture
def owner(db):
    return UserFactory(username="lin", phone="+8613800000101")


def _token(user, name="") -> str:
    response = APIClient().post(
        TOKEN_URL, {"login": "lin", "password": "demo12345", "name": name}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()["token"]


def _with(key) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def _works(key) -> bool:
    return _with(key).get("/api/v1/me/").status_code == 200


def test_a_password_change_revokes_every_token(owner):
    phone_app, script = _token(owner), _token(owner)
    browser = Client()
    browser.force_login(owner, backend="django.contrib.auth.backends.ModelBackend")
    response = browser.post(
        "/accounts/password/change/",
        {"oldpassword": "demo12345", "password1": "Bright-Morning-42", "password2": "Bright-Morning-42"},
    )
    assert response.status_code == 302
    assert not _works(phone_app) and not _works(script)
    assert set(ApiToken.objects.values_list("revoked_reason", flat=True)) == {"password_changed"}


def test_a_password_set_by_a_superuser_revokes_them_too(owner, superuser):
    key = _token(owner)
    admin = Client()
    admin.force_login(superuser)
    response = admin.post(
        f"/admin/accounts/user/{owner.pk}/password/",
        {"password1": "Other-Evening-77", "password2": "Other-Evening-77", "usable_password": "true"},
    )
    assert response.status_code == 302
    assert not _works(key)


def test_logout_everywhere_ends_tokens_and_sessions(owner):
    key = _token(owner)
    browser = Client()
    browser.force_login(owner, backend="django.contrib.auth.backends.ModelBackend")
    other_browser = Client()
    other_browser.force_login(owner, backend="django.contrib.auth.backends.ModelBackend")

    assert _with(key).post("/api/v1/auth/logout-everywhere/").status_code == 204

    assert not _works(key)
    assert browser.get("/api/v1/me/").status_code in (401, 403)
    assert other_browser.get("/portal/").status_code == 302  # sent to the login page
    # A new login works as before.
    assert _works(_token(owner))


def test_logout_everywhere_from_the_portal(owner):
    key = _token(owner)
    browser = Client()
    browser.force_login(owner, backend="django.contrib.auth.backends.ModelBackend")
    assert browser.get("/accounts/logout-everywhere/").status_code == 405  # a POST, not a link
    response = browser.post("/accounts/logout-everywhere/")
    assert response.status_code == 302 and response.url == "/accounts/login/"
    assert not _works(key)
    assert browser.get("/portal/").status_code == 302


def test_tokens_expire_after_the_setting(owner, settings):
    settings.API_TOKEN_TTL_DAYS = 90
    key = _token(owner)
    token = ApiToken.objects.get()
    assert dt.timedelta(days=89) < token.expires_at - timezone.now() <= dt.timedelta(days=90)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert not _works(key)


def test_owner_lists_and_revokes_their_tokens(owner):
    phone_app, script = _token(owner, "phone"), _token(owner, "script")
    listed = _with(phone_app).get(TOKENS_URL).json()
    assert [(t["name"], t["current"]) for t in listed] == [("script", False), ("phone", True)]
    assert all("token" not in t and "key_hash" not in t for t in listed)
    assert listed[0]["prefix"] == script[:8]

    assert _with(phone_app).delete(f"{TOKENS_URL}{listed[0]['id']}/").status_code == 204
    assert not _works(script) and _works(phone_app)
    assert [t["name"] for t in _with(phone_app).get(TOKENS_URL).json()] == ["phone"]


def test_nobody_lists_or_revokes_anothers_tokens(owner, db):
    key = _token(owner)
    victim = ApiToken.objects.get()
    intruder = UserFactory()
    client = APIClient()
    client.force_login(intruder)
    assert client.get(TOKENS_URL).json() == []
    assert client.delete(f"{TOKENS_URL}{victim.pk}/").status_code == 404
    assert client.delete(f"{TOKENS_URL}{2**70}/").status_code == 404  # not a 500 on SQLite
    assert _works(key)


def test_tokens_per_user_are_capped(owner, settings):
    settings.API_TOKENS_PER_USER = 2
    services.api_token_issue(user=owner, by=owner)
    services.api_token_issue(user=owner, by=owner)
    with pytest.raises(ServiceError):
        services.api_token_issue(user=owner, by=owner)


def test_a_deactivated_accounts_tokens_stop_working(owner):
    key = _token(owner)
    owner.is_active = False
    owner.save()
    assert not _works(key)


def test_old_authtoken_keys_are_carried_over_hashed(db, owner):
    """The migration moves rest_framework.authtoken's plain keys into ApiToken, hashed."""
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    migration = importlib.import_module(
        "community.accounts.migrations.0003_security_api_tokens_identifier_changes"
    )
    key = "a" * 40
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, user_id bigint, created timestamp)"
        )
        cursor.execute(
            "INSERT INTO authtoken_token (key, user_id, created) VALUES (%s, %s, %s)",
            [key, owner.pk, dt.datetime(2026, 1, 1)],
        )
    # The function uses only the editor's connection (SQLite refuses a real editor in a transaction).
    migration.copy_authtoken_tokens(apps, SimpleNamespace(connection=connection))
    assert _works(key)
    token = ApiToken.objects.get()
    assert token.key_hash != key and token.expires_at > timezone.now() + dt.timedelta(days=29)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM authtoken_token")
        assert cursor.fetchone()[0] == 0


def test_an_over_long_token_name_is_a_400_naming_the_field_not_cut(owner):
    response = APIClient().post(
        TOKEN_URL,
        {"login": "lin", "password": "demo12345", "name": "手" * 101},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"name": ["At most 100 characters (this is 101)."]}
    assert not ApiToken.objects.exists()
    _token(owner, name="手" * 100)
    assert ApiToken.objects.get().name == "手" * 100
