"""Admin login goes through allauth, and staff must enrol MFA first when the setting is on."""

from __future__ import annotations

import re

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time

from tests.factories import UserFactory


def _login(client, user):
    response = client.post("/accounts/login/", {"login": str(user.phone), "password": "demo12345"})
    assert response.status_code == 302


def test_admin_login_redirects_to_allauth_login(client, db):
    response = client.get("/admin/login/?next=/admin/")

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/?next=")


def test_admin_login_is_rate_limited_like_every_login(client, manager_a):
    for _ in range(5):
        client.post("/accounts/login/?next=/admin/", {"login": str(manager_a.phone), "password": "nope-nope"})

    response = client.post(
        "/accounts/login/?next=/admin/", {"login": str(manager_a.phone), "password": "demo12345"}
    )

    assert response.status_code == 200  # refused: the form again, not a redirect into the admin
    assert "_auth_user_id" not in client.session


def test_non_staff_are_refused_by_the_admin(client, household_a):
    user, _unit = household_a
    _login(client, user)

    assert client.get("/admin/", follow=True).status_code == 403


def test_without_the_setting_staff_reach_the_admin_without_mfa(client, manager_a, settings):
    settings.STAFF_MFA_REQUIRED = False
    _login(client, manager_a)

    assert client.get("/admin/").status_code == 200


def test_with_the_setting_staff_enrol_totp_then_come_back(client, manager_a, settings):
    settings.STAFF_MFA_REQUIRED = True
    _login(client, manager_a)

    response = client.get("/admin/residents/")
    assert response.status_code == 302
    assert response.url == "/accounts/2fa/totp/activate/"

    # allauth asks for the password again before a security change.
    response = client.get(response.url)
    assert response.url.startswith("/accounts/reauthenticate/")
    response = client.post(response.url, {"password": "demo12345"})
    assert response.url == "/accounts/2fa/totp/activate/"

    page = client.get(response.url)
    assert page.status_code == 200
    secret = page.context["form"].secret
    counters = list(yield_hotp_counters_from_time())
    code = format_hotp_value(hotp_value(secret, counters[len(counters) // 2]))
    response = client.post("/accounts/2fa/totp/activate/", {"code": code})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=manager_a, type=Authenticator.Type.TOTP).exists()

    # Recovery codes are shown next, with the way back to the admin page they wanted.
    codes_page = client.get(response.url).content.decode()
    assert re.search(r'href="/admin/residents/"', codes_page)
    # allauth's MFA overview sends them back too.
    assert client.get("/accounts/2fa/").url == "/admin/residents/"
    assert client.get("/admin/").status_code == 200


def test_with_the_setting_residents_are_not_affected(client, household_a, settings):
    settings.STAFF_MFA_REQUIRED = True
    user, _unit = household_a
    _login(client, user)

    assert client.get("/portal/").status_code == 200


@pytest.mark.parametrize("is_staff", [False, True])
def test_mfa_pages_are_available_to_everyone(client, db, is_staff):
    user = UserFactory(is_staff=is_staff)
    _login(client, user)

    page = client.get("/accounts/2fa/")

    assert page.status_code == 200
    assert "/accounts/2fa/totp/activate/" in page.content.decode()


def test_with_the_setting_staff_pages_and_the_api_are_gated_too(client, manager_a, settings):
    """The same estate data as the admin sits under /staff/ and /api/v1/: the gate covers them."""
    settings.STAFF_MFA_REQUIRED = True
    _login(client, manager_a)

    staff_page = client.get("/staff/tickets/")
    assert staff_page.status_code == 302 and staff_page.url == "/accounts/2fa/totp/activate/"

    api = client.get("/api/v1/residents/")
    assert api.status_code == 403 and api.json()["error"]["code"] == "mfa_enrolment_required"

    token = client.post(
        "/api/v1/auth/token/",
        {"login": str(manager_a.phone), "password": "demo12345"},
        content_type="application/json",
    )
    assert token.status_code == 403 and token.json()["error"]["code"] == "mfa_enrolment_required"


def test_with_the_setting_residents_still_use_the_api(client, household_a, settings):
    settings.STAFF_MFA_REQUIRED = True
    user, _unit = household_a
    _login(client, user)

    assert client.get("/api/v1/me/units/").status_code == 200
