"""Issue #15 item 9: the per-account lockout counts the account, however the login is typed.

allauth keyed the counter on the email or username as typed, and on "" for every phone login:
"135 0000 9010", "+86…" and the username each got five more tries, while five failures on any
phone number locked every phone login on the site.
"""

from __future__ import annotations

import pytest
from django.test import Client

from community.accounts.selectors import lockout_key
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOGIN_URL = "/accounts/login/"


@pytest.fixture
def target(db):
    return UserFactory(username="zhang", phone="+8613500009010", email="zhang@example.com")


def _logged_in(login: str, password: str, *, address: str = "10.0.0.1") -> bool:
    browser = Client(REMOTE_ADDR=address)
    browser.post(LOGIN_URL, {"login": login, "password": password})
    return browser.session.get("_auth_user_id") is not None


def test_every_spelling_of_the_login_counts_against_one_account(target):
    spellings = ["135 0000 9010", "+8613500009010", "zhang", "13500009010", "ZHANG@example.com"]
    # From different addresses, so only the per-account counter can stop them.
    for i, login in enumerate(spellings):
        assert not _logged_in(login, "wrong-guess", address=f"10.0.1.{i}")
    assert not _logged_in("13500009010", "demo12345", address="10.0.2.1")  # locked: 5 misses in all


def test_one_accounts_lockout_does_not_lock_other_phone_users(target):
    neighbour = UserFactory(phone="+8613500009011")
    for i in range(6):
        _logged_in("13500009010", "wrong-guess", address=f"10.0.1.{i}")
    assert _logged_in(str(neighbour.phone), "demo12345", address="10.0.3.1")


def test_lockout_key_normalises_to_the_account(target):
    keys = {
        lockout_key(v) for v in ["135 0000 9010", "+86 135-0000-9010", "zhang", "Zhang", "zhang@EXAMPLE.com"]
    }
    assert keys == {f"user:{target.pk}"}
    # Unknown logins are counted too, each under its normalised form.
    assert lockout_key("139 0000 0000") == lockout_key("+8613900000000") == "phone:+8613900000000"
    assert lockout_key("Nobody@Example.com") == "email:nobody@example.com"
