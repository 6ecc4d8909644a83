"""A resident who forgot the password signs in with a one-time SMS code, then sets a new one.
Staff cannot: for them a code would replace password + authenticator with one factor."""

from __future__ import annotations

import re

import pytest

from tests.factories import UserFactory

LOGIN_URL = "/accounts/login/"
REQUEST_URL = "/accounts/login/code/"
CONFIRM_URL = "/accounts/login/code/confirm/"


@pytest.fixture
def resident_user(db):
    return UserFactory(phone="+8613800000001", username="u8613800000001")


def _code(sms_outbox) -> str:
    return re.search(r"\d{6}", sms_outbox[-1]["text"]).group(0)


def test_login_page_offers_a_code_by_sms(client, db):
    page = client.get(LOGIN_URL).content.decode()
    assert f'href="{REQUEST_URL}"' in page
    form = client.get(REQUEST_URL)
    assert form.status_code == 200 and 'name="phone"' in form.content.decode()


def test_resident_signs_in_with_the_sms_code_and_sets_a_new_password(client, resident_user, sms_outbox):
    response = client.post(REQUEST_URL, {"phone": "138 0000 0001"})
    assert response.status_code == 302 and response.url == CONFIRM_URL
    assert [m["phone"] for m in sms_outbox] == ["+8613800000001"]

    response = client.post(CONFIRM_URL, {"code": _code(sms_outbox)})
    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(resident_user.pk)

    # Signed in without the old password: set a new one.
    response = client.post(
        "/accounts/password/change/",
        {"oldpassword": "demo12345", "password1": "Bright-Morning-42", "password2": "Bright-Morning-42"},
    )
    assert response.status_code == 302
    resident_user.refresh_from_db()
    assert resident_user.check_password("Bright-Morning-42")


def test_a_wrong_code_does_not_sign_in_and_attempts_run_out(client, resident_user, sms_outbox):
    client.post(REQUEST_URL, {"phone": "13800000001"})
    right = _code(sms_outbox)
    wrong = "000000" if right != "000000" else "111111"
    for _attempt in range(3):
        client.post(CONFIRM_URL, {"code": wrong})
    assert client.session.get("_auth_user_id") is None
    client.post(CONFIRM_URL, {"code": right})  # too late: the code is spent after 3 misses
    assert client.session.get("_auth_user_id") is None


def test_an_unknown_number_gets_no_code_and_learns_nothing(client, resident_user, sms_outbox):
    response = client.post(REQUEST_URL, {"phone": "13900009999"})
    assert response.status_code == 302  # the same answer as for a known number (no enumeration)
    assert sms_outbox == []


def test_a_staff_number_is_answered_exactly_like_an_unknown_number(client, db, sms_outbox):
    # Issue #15 item 15: the form used to say "staff sign in with an authenticator", which told
    # anyone which numbers belong to staff. Now: no code, and the same answer as a stranger's.
    from django.test import Client

    UserFactory(phone="+8613900000001", username="u8613900000001", is_staff=True)
    answers = []
    for number in ("13900000001", "13900009999"):  # staff, nobody
        browser = Client()
        response = browser.post(REQUEST_URL, {"phone": number})
        page = browser.get(response.url)
        answers.append(
            (response.status_code, response.url, page.status_code, page.content.decode().count("<input"))
        )
        # Guessing codes gets nowhere either.
        for code in ("000000", "123456", "999999"):
            browser.post(CONFIRM_URL, {"code": code})
        assert browser.session.get("_auth_user_id") is None
    assert answers[0] == answers[1]
    assert sms_outbox == []
