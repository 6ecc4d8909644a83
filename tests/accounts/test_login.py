"""Logging in through allauth's real form: phone in any usual format, email, username."""

from __future__ import annotations

import pytest
from allauth.account.adapter import get_adapter
from django.core import mail
from django.utils import translation

from tests.factories import UserFactory

LOGIN_URL = "/accounts/login/"


def _logged_in_user_id(client):
    return client.session.get("_auth_user_id")


@pytest.fixture
def resident_user(db):
    return UserFactory(phone="+8613800000001", email="wang@example.cn", username="u8613800000001")


@pytest.mark.parametrize(
    "typed",
    [
        "13800000001",
        "+8613800000001",
        "138 0000 0001",
        "+86 138-0000-0001",
        "008613800000001",
        "１３８０００００００１",
        " 13800000001 ",
    ],
)
def test_login_by_phone_in_the_formats_people_type(client, resident_user, typed):
    response = client.post(LOGIN_URL, {"login": typed, "password": "demo12345"})

    assert response.status_code == 302
    assert response.url == "/portal/"
    assert _logged_in_user_id(client) == str(resident_user.pk)


def test_login_by_email(client, resident_user):
    response = client.post(LOGIN_URL, {"login": "wang@example.cn", "password": "demo12345"})

    assert response.status_code == 302
    assert _logged_in_user_id(client) == str(resident_user.pk)


def test_superuser_logs_in_by_username(client, db):
    admin = UserFactory(username="admin", phone=None, is_staff=True, is_superuser=True)

    response = client.post(LOGIN_URL, {"login": "admin", "password": "demo12345"})

    assert response.status_code == 302
    assert _logged_in_user_id(client) == str(admin.pk)


@pytest.mark.parametrize("typed", ["13800000001", "wang@example.cn"])
def test_wrong_password_is_refused_with_a_message(client, resident_user, typed):
    response = client.post(LOGIN_URL, {"login": typed, "password": "wrong-password"})

    assert response.status_code == 200
    assert _logged_in_user_id(client) is None
    assert response.context["form"].non_field_errors()
    assert 'class="alert alert-error"' in response.content.decode()


def test_unknown_phone_is_refused(client, resident_user):
    response = client.post(LOGIN_URL, {"login": "13900009999", "password": "demo12345"})

    assert response.status_code == 200
    assert _logged_in_user_id(client) is None


def test_login_page_is_styled_and_offers_the_invitation_path(client, db):
    page = client.get(LOGIN_URL).content.decode()

    assert "/static/css/app.css" in page
    assert 'name="login"' in page and 'name="password"' in page
    assert 'href="/accounts/invite/"' in page
    assert 'href="/accounts/signup/"' not in page


def test_password_change(client, resident_user):
    client.post(LOGIN_URL, {"login": "13800000001", "password": "demo12345"})

    response = client.post(
        "/accounts/password/change/",
        {
            "oldpassword": "demo12345",
            "password1": "Bright-Morning-42",
            "password2": "Bright-Morning-42",
        },
    )

    assert response.status_code == 302
    resident_user.refresh_from_db()
    assert resident_user.check_password("Bright-Morning-42")


def test_password_reset_mails_a_link(client, resident_user):
    response = client.post("/accounts/password/reset/", {"email": "wang@example.cn"})

    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "/accounts/password/reset/key/" in mail.outbox[0].body


def test_failed_logins_are_rate_limited(client, resident_user):
    for _ in range(5):
        client.post(LOGIN_URL, {"login": "13800000001", "password": "wrong-password"})

    response = client.post(LOGIN_URL, {"login": "13800000001", "password": "demo12345"})

    assert _logged_in_user_id(client) is None
    with translation.override("zh-hans"):
        expected = str(get_adapter().error_messages["too_many_login_attempts"])
    assert expected in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/accounts/password/change/",
        "/accounts/2fa/",
        "/accounts/identifiers/",  # /accounts/email/ leads here (a code to the new address)
        "/accounts/logout/",
        "/accounts/reauthenticate/",
    ],
)
def test_account_pages_for_a_signed_in_user_are_in_the_portal_look(client, resident_user, url):
    client.post(LOGIN_URL, {"login": "13800000001", "password": "demo12345"})

    response = client.get(url)

    assert response.status_code == 200
    page = response.content.decode()
    assert "/static/css/app.css" in page
    assert 'class="tabbar"' in page or 'class="card entrance-card"' in page


@pytest.mark.parametrize(
    "url", ["/accounts/login/", "/accounts/password/reset/", "/accounts/signup/", "/accounts/invite/"]
)
def test_entrance_pages_are_styled(client, db, url):
    page = client.get(url).content.decode()

    assert 'class="card entrance-card"' in page
    assert 'action="/i18n/setlang/"' in page
