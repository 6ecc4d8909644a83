"""Issue #15 item 1: staff cannot take over a resident's account by changing its phone or email.

The reproduced attack: a manager of estate B typed a new phone into an owner's account (who
also owns a unit in B), signed in with an SMS code to that phone and voted in estate A. Now
staff never edit identifiers in the account form; the only staff route is a recorded identity
check, refused for accounts with a home outside the staff member's estates; it ends every
session and token and tells the old number. The holder changes their own with a code to the
new value.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from community.accounts import services
from community.accounts.models import ApiToken, IdentifierChange, User
from community.errors import NotAllowed, ServiceError
from tests.factories import OccupancyFactory, ResidentFactory, UnitFactory
from tests.factories.residents import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_english")]

NEW_PHONE = "+8613999990000"


@pytest.fixture
def owner_in_a_and_b(household_a, estate_b):
    """owner_a also owns a unit in estate B (one account, a Resident record in each estate)."""
    user, _unit = household_a
    record_b = ResidentFactory(estate=estate_b, user=user, phone=str(user.phone), name="也在B")
    OccupancyFactory(unit=UnitFactory(building__estate=estate_b), resident=record_b)
    return user


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get("/api/v1/me/").status_code == 200
    return client


def _verify_page(user) -> str:
    return reverse("admin:accounts_user_change_identifier", args=[user.pk])


CHECK = {
    "field": "phone",
    "new_value": NEW_PHONE,
    "method": "id_document",
    "evidence": "ID card ****1234 shown",
}


def test_manager_of_b_cannot_take_over_an_owner_who_also_lives_in_a(client_for, owner_in_a_and_b, manager_b):
    client = client_for(manager_b)
    # The account form keeps the identifiers whatever is posted...
    client.post(
        reverse("admin:accounts_user_change", args=[owner_in_a_and_b.pk]),
        {"name": "x", "phone": NEW_PHONE, "email": "evil@example.com", "is_active": "on"},
    )
    # ...and the verified change is refused: the account has a home B's manager does not manage.
    assert client.get(_verify_page(owner_in_a_and_b)).status_code == 403
    assert client.post(_verify_page(owner_in_a_and_b), CHECK).status_code == 403
    with pytest.raises(NotAllowed):
        services.identifier_change_by_staff(user=owner_in_a_and_b, by=manager_b, **CHECK)
    owner_in_a_and_b.refresh_from_db()
    assert str(owner_in_a_and_b.phone) == "+8613800000101" and owner_in_a_and_b.email is None
    assert not IdentifierChange.objects.exists()


def test_the_sms_code_login_still_goes_to_the_owners_own_phone(
    client, owner_in_a_and_b, manager_b, sms_outbox
):
    client_for_b = Client()
    client_for_b.force_login(manager_b, backend="django.contrib.auth.backends.ModelBackend")
    client_for_b.post(reverse("admin:accounts_user_change", args=[owner_in_a_and_b.pk]), {"phone": NEW_PHONE})
    client.post("/accounts/login/code/", {"phone": NEW_PHONE})
    assert [m["phone"] for m in sms_outbox] == []  # no account has the attacker's number


def test_other_estates_manager_cannot_open_the_verification_page(client_for, household_a, manager_b):
    owner_a, _unit = household_a
    assert client_for(manager_b).get(_verify_page(owner_a)).status_code in (302, 403, 404)


def test_staff_accounts_are_changed_by_a_superuser_only(client_for, manager_a, estate_a, superuser):
    from tests.factories import StaffFactory

    colleague = StaffFactory(estate=estate_a, role="technician")
    assert client_for(manager_a).post(_verify_page(colleague), CHECK).status_code in (403, 404)
    assert not services.staff_may_change_identifiers(manager_a, colleague)
    assert services.staff_may_change_identifiers(superuser, colleague)


def test_verified_change_logs_out_everywhere_and_tells_the_old_number(
    client_for, household_a, manager_a, sms_outbox, django_capture_on_commit_callbacks
):
    owner_a, _unit = household_a
    session = _signed_in(owner_a)
    _token, key = services.api_token_issue(user=owner_a, by=owner_a)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(manager_a).post(_verify_page(owner_a), CHECK)
    assert response.status_code == 302

    owner_a.refresh_from_db()
    assert str(owner_a.phone) == NEW_PHONE
    change = IdentifierChange.objects.get()
    assert (change.old_value, change.new_value, change.method, change.created_by) == (
        "+8613800000101",
        NEW_PHONE,
        "id_document",
        manager_a,
    )
    assert change.evidence == "ID card ****1234 shown"
    # Every session and token of the account ended.
    assert session.get("/api/v1/me/").status_code in (401, 403)
    assert Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401
    assert ApiToken.objects.get().revoked_reason == ApiToken.Revoked.IDENTITY_CHANGED
    # The old number was told.
    assert [m["phone"] for m in sms_outbox] == ["+8613800000101"]


def test_verification_needs_a_method_and_evidence(client_for, household_a, manager_a):
    owner_a, _unit = household_a
    response = client_for(manager_a).post(_verify_page(owner_a), {**CHECK, "evidence": ""})
    assert response.status_code == 400
    with pytest.raises(ServiceError):
        services.identifier_change_by_staff(user=owner_a, by=manager_a, **{**CHECK, "method": "self"})
    owner_a.refresh_from_db()
    assert str(owner_a.phone) == "+8613800000101"


def test_a_number_of_another_account_is_refused(household_a, household_b, manager_a):
    owner_a, _unit = household_a
    with pytest.raises(ServiceError):
        services.identifier_change_by_staff(
            user=owner_a, by=manager_a, **{**CHECK, "new_value": "+8613800000202"}
        )


# --- The holder's own change ---------------------------------------------------------------------


def _code(sms_outbox) -> str:
    return re.search(r"\d{6}", sms_outbox[-1]["text"]).group(0)


def test_resident_changes_own_phone_with_a_code_sent_to_the_new_number(
    household_a, sms_outbox, django_capture_on_commit_callbacks
):
    owner_a, _unit = household_a
    client = _signed_in(owner_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/accounts/identifiers/", {"field": "phone", "new_value": "139 9999 0000", "password": PASSWORD}
        )
    assert response.status_code == 302
    assert [m["phone"] for m in sms_outbox] == [NEW_PHONE]  # the code goes to the NEW number
    owner_a.refresh_from_db()
    assert str(owner_a.phone) == "+8613800000101"  # nothing changes before the code is proven

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(response.url, {"code": _code(sms_outbox)})
    assert response.status_code == 302
    owner_a.refresh_from_db()
    assert str(owner_a.phone) == NEW_PHONE
    assert sms_outbox[-1]["phone"] == "+8613800000101"  # notice to the old number


def test_wrong_codes_run_out(household_a, sms_outbox, django_capture_on_commit_callbacks):
    owner_a, _unit = household_a
    client = _signed_in(owner_a)
    with django_capture_on_commit_callbacks(execute=True):
        url = client.post(
            "/accounts/identifiers/", {"field": "phone", "new_value": NEW_PHONE, "password": PASSWORD}
        ).url
    right = _code(sms_outbox)
    wrong = "000000" if right != "000000" else "111111"
    for _attempt in range(5):
        assert client.post(url, {"code": wrong}).status_code == 400
    client.post(url, {"code": right})
    owner_a.refresh_from_db()
    assert str(owner_a.phone) == "+8613800000101"


def test_nobody_confirms_someone_elses_change(household_a, household_b, sms_outbox):
    owner_a, _unit = household_a
    owner_b, _unit_b = household_b
    change = services.identifier_change_request(
        user=owner_a, field="phone", new_value=NEW_PHONE, password=PASSWORD, by=owner_a
    )
    assert (
        _signed_in(owner_b)
        .post(f"/accounts/identifiers/{change.pk}/confirm/", {"code": "123456"})
        .status_code
        == 404
    )
    with pytest.raises(NotAllowed):
        services.identifier_change_request(
            user=owner_a, field="phone", new_value=NEW_PHONE, password=PASSWORD, by=owner_b
        )


def test_allauths_direct_email_and_phone_pages_lead_to_the_coded_change(household_a):
    owner_a, _unit = household_a
    client = _signed_in(owner_a)
    for url in ("/accounts/email/", "/accounts/phone/change/"):
        response = client.post(url, {"email": "new@example.com", "phone": NEW_PHONE, "action_add": "1"})
        assert response.status_code in (301, 302) and response.url == "/accounts/identifiers/"
    assert User.objects.get(pk=owner_a.pk).email is None


def test_a_held_session_without_the_password_cannot_move_the_phone(
    household_a, sms_outbox, django_capture_on_commit_callbacks
):
    """Someone holding the resident's open session (a phone left unlocked) does not know the
    password: no code is sent anywhere, nothing changes, and guessing closes the step."""
    owner_a, _unit = household_a
    client = _signed_in(owner_a)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    for attempt in ("qwerty12", "guess1234", "demo1234", "12345678", "password"):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                "/accounts/identifiers/", {"field": "phone", "new_value": NEW_PHONE, "password": attempt}
            )
        assert response.status_code == 400
    assert sms_outbox == []
    assert not IdentifierChange.objects.filter(user=owner_a).exists()
    # Five wrong passwords: the step is closed for the hour, even for the right one.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/accounts/identifiers/", {"field": "phone", "new_value": NEW_PHONE, "password": PASSWORD}
        )
    assert response.status_code == 400
    assert "Too many wrong passwords" in response.content.decode()
    assert sms_outbox == []
    owner_a.refresh_from_db()
    assert str(owner_a.phone) == "+8613800000101"


def test_the_wrong_password_is_said_on_the_password_field(household_a):
    owner_a, _unit = household_a
    client = _signed_in(owner_a)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = client.post(
        "/accounts/identifiers/", {"field": "email", "new_value": "x@example.com", "password": "nope"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["password"] == ["The password is wrong."]


def test_an_account_without_a_password_sets_one_first(household_a, sms_outbox):
    owner_a, _unit = household_a
    owner_a.set_unusable_password()
    owner_a.save()
    with pytest.raises(ServiceError) as refused:
        services.identifier_change_request(
            user=owner_a, field="phone", new_value=NEW_PHONE, password="", by=owner_a
        )
    assert "Set a password" in str(refused.value.message_dict["password"])
    assert sms_outbox == []


def test_over_long_evidence_is_refused_whole_not_cut(household_a, manager_a):
    owner_a, _unit = household_a
    with pytest.raises(ServiceError) as refused:
        services.identifier_change_by_staff(user=owner_a, by=manager_a, **{**CHECK, "evidence": "x" * 201})
    assert refused.value.message_dict == {"evidence": ["At most 200 characters (this is 201)."]}
    assert not IdentifierChange.objects.exists()
