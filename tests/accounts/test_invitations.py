"""Residents join only through a staff invitation: SMS code, then a password."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone

from community.accounts import services
from community.accounts.models import Invitation
from tests.factories import OccupancyFactory, ResidentFactory, UnitFactory, UserFactory

PHONE = "+8613812345678"


@pytest.fixture
def resident(estate_a):
    person = ResidentFactory(estate=estate_a, phone=PHONE, name="张伟")
    OccupancyFactory(unit=UnitFactory(building__estate=estate_a, number="1201"), resident=person)
    return person


@pytest.fixture
def invite(resident, manager_a, django_capture_on_commit_callbacks, sms_outbox):
    """Create an invitation as manager A; returns (invitation, code from the SMS)."""

    def make(person=resident):
        with django_capture_on_commit_callbacks(execute=True):
            invitation = services.invitation_create(resident=person, by=manager_a)
        code = re.search(r"\b(\d{6})\b", sms_outbox[-1]["text"]).group(1)
        return invitation, code

    return make


def test_invitation_sends_the_code_by_sms_and_stores_it_hashed(invite, sms_outbox):
    invitation, code = invite()

    assert sms_outbox[-1]["phone"] == PHONE
    assert "/accounts/invite/" in sms_outbox[-1]["text"]
    assert code not in invitation.code_hash
    assert invitation.expires_at - timezone.now() > dt.timedelta(hours=71)


def test_resident_without_phone_cannot_be_invited(estate_a, manager_a):
    person = ResidentFactory(estate=estate_a, phone="")

    with pytest.raises(ValidationError):
        services.invitation_create(resident=person, by=manager_a)
    assert not Invitation.objects.exists()


def test_happy_path_creates_an_account_linked_to_every_record_with_that_phone(
    client, invite, resident, estate_b
):
    same_person_elsewhere = ResidentFactory(estate=estate_b, phone=PHONE, name="张伟")
    _, code = invite()

    response = client.post("/accounts/invite/", {"phone": "138 1234 5678", "code": code})
    assert response.status_code == 302
    assert response.url == "/accounts/invite/password/"

    response = client.post(
        "/accounts/invite/password/", {"password1": "Quiet-River-2024", "password2": "Quiet-River-2024"}
    )
    assert response.status_code == 302
    assert response.url == "/portal/"

    user = get_user_model().objects.get(phone=PHONE)
    assert user.check_password("Quiet-River-2024")
    resident.refresh_from_db()
    same_person_elsewhere.refresh_from_db()
    assert resident.user == user and same_person_elsewhere.user == user
    # Logged in, and the new home is on the portal.
    home = client.get("/portal/").content.decode()
    assert "1201" in home

    # The new resident can log in with phone + password from now on.
    client.logout()
    assert (
        client.post("/accounts/login/", {"login": "13812345678", "password": "Quiet-River-2024"}).status_code
        == 302
    )


def test_code_cannot_be_used_twice(client, invite):
    _, code = invite()
    client.post("/accounts/invite/", {"phone": PHONE, "code": code})
    client.post(
        "/accounts/invite/password/", {"password1": "Quiet-River-2024", "password2": "Quiet-River-2024"}
    )
    client.logout()

    response = client.post("/accounts/invite/", {"phone": PHONE, "code": code})

    assert response.status_code == 400
    assert get_user_model().objects.filter(phone=PHONE).count() == 1


def test_expired_invitation_is_refused(client, invite):
    invitation, code = invite()
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))

    response = client.post("/accounts/invite/", {"phone": PHONE, "code": code})

    assert response.status_code == 400
    assert response.context["form"].non_field_errors().as_data()[0].code == "expired"
    assert not get_user_model().objects.filter(phone=PHONE).exists()


def test_wrong_code_is_refused_and_counted(client, invite):
    invitation, code = invite()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    response = client.post("/accounts/invite/", {"phone": PHONE, "code": wrong})

    assert response.status_code == 400
    assert response.context["form"].non_field_errors().as_data()[0].code == "wrong_code"
    invitation.refresh_from_db()
    assert invitation.attempts == 1


def test_attempts_are_capped_even_for_the_right_code(client, invite):
    invitation, code = invite()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(services.MAX_ATTEMPTS):
        client.post("/accounts/invite/", {"phone": PHONE, "code": wrong})

    response = client.post("/accounts/invite/", {"phone": PHONE, "code": code})

    assert response.status_code == 400
    assert response.context["form"].non_field_errors().as_data()[0].code == "too_many_attempts"
    invitation.refresh_from_db()
    assert invitation.attempts == services.MAX_ATTEMPTS
    assert invitation.used_at is None


def test_a_new_invitation_replaces_the_old_code(invite):
    first, first_code = invite()
    second, second_code = invite()

    first.refresh_from_db()
    assert first.expires_at <= timezone.now()
    if first_code != second_code:
        with pytest.raises(ValidationError):
            services.invitation_verify(phone=PHONE, code=first_code)
    assert services.invitation_verify(phone=PHONE, code=second_code).pk == second.pk


def test_phone_with_an_account_is_linked_and_told_to_log_in(client, invite, resident):
    existing = UserFactory(phone=PHONE)
    _, code = invite()

    response = client.post("/accounts/invite/", {"phone": PHONE, "code": code}, follow=True)

    assert response.redirect_chain[-1][0] == "/accounts/login/"
    resident.refresh_from_db()
    assert resident.user == existing
    assert get_user_model().objects.filter(phone=PHONE).count() == 1
    assert existing.check_password("demo12345")  # untouched


def test_password_page_needs_a_verified_code(client, invite):
    invite()

    response = client.get("/accounts/invite/password/")

    assert response.status_code == 302
    assert response.url == "/accounts/invite/"


def test_weak_or_mismatched_passwords_are_refused(client, invite):
    _, code = invite()
    client.post("/accounts/invite/", {"phone": PHONE, "code": code})

    mismatch = client.post(
        "/accounts/invite/password/", {"password1": "Quiet-River-2024", "password2": "other"}
    )
    weak = client.post("/accounts/invite/password/", {"password1": "12345678", "password2": "12345678"})

    assert mismatch.status_code == weak.status_code == 400
    assert not get_user_model().objects.filter(phone=PHONE).exists()


def test_unknown_phone_gets_a_clear_message(client, db):
    response = client.post("/accounts/invite/", {"phone": "13900001111", "code": "123456"})

    assert response.status_code == 400
    assert response.context["form"].non_field_errors().as_data()[0].code == "no_invitation"


def test_open_signup_is_closed(client, db):
    page = client.get("/accounts/signup/")

    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="password1"' not in html
    assert 'href="/accounts/invite/"' in html

    client.post(
        "/accounts/signup/",
        {"phone": "13900002222", "password1": "Quiet-River-2024", "password2": "Quiet-River-2024"},
    )
    assert not get_user_model().objects.filter(phone="+8613900002222").exists()


def test_the_form_does_not_tell_which_phones_were_invited(client, invite):
    """Wrong code for an invited phone, an uninvited phone, an expired and an exhausted
    invitation all read the same: the page cannot be used to enumerate invited numbers."""
    invitation, code = invite()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    def message(phone: str, typed: str) -> list[str]:
        response = client.post("/accounts/invite/", {"phone": phone, "code": typed})
        assert response.status_code == 400
        return [str(m) for m in response.context["form"].non_field_errors()]

    invited = message(PHONE, wrong)
    stranger = message("13900001111", wrong)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    expired = message(PHONE, code)

    assert invited == stranger == expired
    assert str(wrong) not in invited[0] and "attempts left" not in invited[0]


def test_one_client_cannot_spray_codes_across_many_phones(client, invite):
    """Each invitation dies after a few misses; a client guessing across many numbers is
    stopped too, and then even a right code waits."""
    _, code = invite()
    for n in range(20):
        client.post("/accounts/invite/", {"phone": f"1390000{n:04d}", "code": "000000"})

    response = client.post("/accounts/invite/", {"phone": PHONE, "code": code})

    assert response.status_code == 429
    assert response.context["form"].non_field_errors().as_data()[0].code == "throttled"
    assert not Invitation.objects.filter(used_at__isnull=False).exists()
