"""The login-account admin: staff see the accounts of their estates; only superusers touch staff."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from community.accounts.models import User
from community.accounts.roles import StaffRole
from tests.factories import StaffFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_english")]


def _listed(client, query: str = "") -> set[int]:
    response = client.get(reverse("admin:accounts_user_changelist") + query)
    assert response.status_code == 200
    return {u.pk for u in response.context["cl"].result_list}


@pytest.fixture
def people(household_a, household_b, manager_a, manager_b):
    return {
        "owner_a": household_a[0],
        "owner_b": household_b[0],
        "manager_a": manager_a,
        "manager_b": manager_b,
    }


def test_manager_sees_accounts_of_own_estate_only(client_for, people):
    listed = _listed(client_for(people["manager_a"]))
    assert {people["owner_a"].pk, people["manager_a"].pk} <= listed
    assert people["owner_b"].pk not in listed and people["manager_b"].pk not in listed


def test_manager_also_sees_accounts_not_yet_tied_to_any_estate(client_for, people, superuser):
    newcomer = UserFactory(username="new_hire")
    listed = _listed(client_for(people["manager_a"]))
    assert newcomer.pk in listed
    assert superuser.pk not in listed


def test_front_desk_does_not_see_untied_accounts(client_for, people, estate_a):
    front_desk = StaffFactory(estate=estate_a, role=StaffRole.FRONT_DESK)
    newcomer = UserFactory(username="new_hire")
    listed = _listed(client_for(front_desk))
    assert people["owner_a"].pk in listed and newcomer.pk not in listed


def test_superuser_sees_everyone(client_for, people, superuser):
    assert {u.pk for u in people.values()} <= _listed(client_for(superuser))


def test_other_estates_account_cannot_be_opened_or_changed(client_for, people):
    client = client_for(people["manager_a"])
    owner_b = people["owner_b"]
    url = reverse("admin:accounts_user_change", args=[owner_b.pk])
    assert client.get(url).status_code == 302
    client.post(url, {"username": owner_b.username, "name": "改掉", "is_active": ""})
    owner_b.refresh_from_db()
    assert owner_b.name != "改掉" and owner_b.is_active


def test_manager_corrects_a_residents_name_but_not_their_login_identifiers(client_for, people):
    # Issue #15: a manager typed a new phone into an owner's account, then signed in by SMS code.
    owner_a = people["owner_a"]
    response = client_for(people["manager_a"]).post(
        reverse("admin:accounts_user_change", args=[owner_a.pk]),
        {
            "name": "张伟",
            "username": "attacker",
            "phone": "+8613999999999",
            "email": "zw@example.com",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    owner_a.refresh_from_db()
    assert owner_a.name == "张伟"
    assert (owner_a.username, str(owner_a.phone), owner_a.email) == ("owner_a", "+8613800000101", None)
    assert not owner_a.is_staff


def test_manager_cannot_make_a_resident_staff_through_the_form(client_for, people):
    owner_a = people["owner_a"]
    client_for(people["manager_a"]).post(
        reverse("admin:accounts_user_change", args=[owner_a.pk]),
        {"name": "x", "phone": "+8613800000101", "is_active": "on", "is_staff": "on", "is_superuser": "on"},
    )
    owner_a.refresh_from_db()
    assert not owner_a.is_staff and not owner_a.is_superuser


def test_manager_cannot_change_staff_accounts(client_for, people, estate_a):
    technician = StaffFactory(estate=estate_a, role=StaffRole.TECHNICIAN, name="老李")
    client = client_for(people["manager_a"])
    url = reverse("admin:accounts_user_change", args=[technician.pk])
    page = client.get(url)
    assert page.status_code == 200 and page.context["has_change_permission"] is False
    assert client.post(url, {"name": "改掉", "is_active": ""}).status_code == 403
    technician.refresh_from_db()
    assert technician.name == "老李" and technician.is_active


def test_only_superusers_set_passwords_add_or_delete(client_for, people, superuser):
    owner_a = people["owner_a"]
    client = client_for(people["manager_a"])
    password_url = reverse("admin:auth_user_password_change", args=[owner_a.pk])
    assert client.get(password_url).status_code == 403
    assert client.get(reverse("admin:accounts_user_add")).status_code == 403
    client.post(reverse("admin:accounts_user_delete", args=[owner_a.pk]), {"post": "yes"})
    assert User.objects.filter(pk=owner_a.pk).exists()
    assert client_for(superuser).get(password_url).status_code == 200


def test_superuser_adds_a_staff_account(client_for, superuser):
    response = client_for(superuser).post(
        reverse("admin:accounts_user_add"),
        {
            "username": "tech2",
            "phone": "13900000099",
            "name": "王师傅",
            "usable_password": "true",
            "password1": "Xy7!long-pass",
            "password2": "Xy7!long-pass",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(username="tech2")
    assert str(user.phone) == "+8613900000099" and user.email is None


def test_list_masks_phone_numbers(client_for, people):
    content = client_for(people["manager_a"]).get(reverse("admin:accounts_user_changelist")).content.decode()
    assert "138****0101" in content and "13800000101" not in content


def test_user_autocomplete_for_staff_roles_is_scoped(client_for, people):
    response = client_for(people["manager_a"]).get(
        "/admin/autocomplete/",
        {"app_label": "residents", "model_name": "staffmembership", "field_name": "user", "term": ""},
    )
    assert response.status_code == 200
    ids = {int(r["id"]) for r in json.loads(response.content)["results"]}
    assert people["owner_a"].pk in ids
    assert people["owner_b"].pk not in ids and people["manager_b"].pk not in ids


def test_invitations_list_is_scoped(client_for, people, estate_a, estate_b):
    from community.accounts.services import invitation_create
    from tests.factories import ResidentFactory

    invitation_create(
        resident=ResidentFactory(estate=estate_a, phone="+8613911110001"), by=people["manager_a"]
    )
    other = invitation_create(
        resident=ResidentFactory(estate=estate_b, phone="+8613911110002"), by=people["manager_b"]
    )
    response = client_for(people["manager_a"]).get(reverse("admin:accounts_invitation_changelist"))
    listed = {i.pk for i in response.context["cl"].result_list}
    assert len(listed) == 1 and other.pk not in listed
    assert "13911110001" not in response.content.decode()


def test_the_admin_greets_staff_by_their_name_not_the_generated_username(client_for, estate_a):
    manager = StaffFactory(estate=estate_a, role=StaffRole.MANAGER, username="u8613900009999", name="陈志强")

    page = client_for(manager).get(reverse("admin:index"))

    assert page.status_code == 200
    html = page.content.decode()
    assert "陈志强" in html.split("</header>")[0]
    assert "u8613900009999" not in html.split("</header>")[0]


# --- Saves go through the services (issue #9), each recorded with who made it ----------------


def test_a_managers_correction_is_saved_by_the_service_and_recorded(client_for, people):
    from community.accounts.models import AccountChange

    owner_a, manager_a = people["owner_a"], people["manager_a"]
    response = client_for(manager_a).post(
        reverse("admin:accounts_user_change", args=[owner_a.pk]), {"name": "张伟", "is_active": "on"}
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    change = AccountChange.objects.get(user=owner_a)
    assert change.by == manager_a
    assert change.action == AccountChange.Action.CHANGED
    assert change.fields == {"name": "changed"}  # the name itself is not copied into the audit


def test_deactivating_a_resident_ends_their_sessions_and_tokens(client_for, people):
    from django.test import Client

    from community.accounts import services
    from community.accounts.models import AccountChange, ApiToken

    owner_a = people["owner_a"]
    session = Client()
    session.force_login(owner_a, backend="django.contrib.auth.backends.ModelBackend")
    _token, key = services.api_token_issue(user=owner_a, by=owner_a)
    response = client_for(people["manager_a"]).post(
        reverse("admin:accounts_user_change", args=[owner_a.pk]), {"name": owner_a.name or "x"}
    )
    assert response.status_code == 302
    assert not User.objects.get(pk=owner_a.pk).is_active
    assert AccountChange.objects.get(user=owner_a).fields["is_active"] is False
    assert session.get("/api/v1/me/").status_code in (401, 403)
    assert session.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401
    assert not ApiToken.objects.live().filter(user=owner_a).exists()


def test_the_service_refuses_what_the_form_would_not_show(people, estate_a):
    from community.accounts import services
    from community.errors import NotAllowed, ServiceError

    owner_a, owner_b, manager_a = people["owner_a"], people["owner_b"], people["manager_a"]
    with pytest.raises(NotAllowed):  # a staff flag is a superuser's
        services.account_update(user=owner_a, changes={"is_staff": True}, by=manager_a)
    with pytest.raises(NotAllowed):  # another estate's resident
        services.account_update(user=owner_b, changes={"name": "x"}, by=manager_a)
    technician = StaffFactory(estate=estate_a, role=StaffRole.TECHNICIAN)
    with pytest.raises(NotAllowed):  # a role without accounts.change_user
        services.account_update(user=owner_a, changes={"name": "x"}, by=technician)
    with pytest.raises(ServiceError):  # identifiers move only through the identity check
        services.account_update(user=owner_a, changes={"phone": "+8613999999999"}, by=manager_a)
    owner_a.refresh_from_db()
    assert owner_a.name != "x" and str(owner_a.phone) == "+8613800000101" and not owner_a.is_staff


def test_superusers_adds_and_password_sets_are_recorded(client_for, people, superuser):
    from community.accounts import services
    from community.accounts.models import AccountChange, ApiToken

    client = client_for(superuser)
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "tech3",
            "phone": "13900000098",
            "name": "赵师傅",
            "usable_password": "true",
            "password1": "Xy7!long-pass",
            "password2": "Xy7!long-pass",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    tech = User.objects.get(username="tech3")
    assert tech.check_password("Xy7!long-pass")
    assert AccountChange.objects.get(user=tech, action="created").by == superuser

    owner_a = people["owner_a"]
    services.api_token_issue(user=owner_a, by=owner_a)
    response = client.post(
        reverse("admin:auth_user_password_change", args=[owner_a.pk]),
        {"password1": "Zz9!another-pass", "password2": "Zz9!another-pass", "usable_password": "true"},
    )
    assert response.status_code == 302
    owner_a.refresh_from_db()
    assert owner_a.check_password("Zz9!another-pass")
    assert AccountChange.objects.get(user=owner_a, action="password_set").by == superuser
    assert not ApiToken.objects.live().filter(user=owner_a).exists()
