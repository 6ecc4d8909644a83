"""Account writes the admin makes: create, correct, set a password.

Who may change what (the admin only shows it; this is where it is decided):

* superusers create accounts, set passwords, and change anything but the login identifiers
  (username, phone, email), which move only through ``identifiers`` (a code to the new value,
  or a recorded identity check);
* a staff member whose role declares ``accounts.change_user`` (managers) corrects a resident's
  account of an estate where they hold that role: its name and whether it is active; never a
  staff or superuser account, never an account with a home elsewhere only.

Every write is recorded (``AccountChange``: who, which fields). Deactivating an account ends its
sessions, API tokens and websockets: a deactivated resident's open sockets would otherwise go
on delivering events until their next re-check.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from community.accounts.models import AccountChange, ApiToken, User
from community.errors import NotAllowed, ServiceError

from .tokens import api_tokens_revoke_all, sessions_end_all

IDENTIFIER_FIELDS = frozenset({"username", "phone", "email"})
EDITABLE_BY_STAFF = frozenset({"name", "is_active"})
EDITABLE_BY_SUPERUSER = EDITABLE_BY_STAFF | frozenset(
    {"first_name", "last_name", "language", "is_staff", "is_superuser", "groups", "user_permissions"}
)
M2M_FIELDS = frozenset({"groups", "user_permissions"})
# Recorded with their new value; others (names) only by name.
VALUES_RECORDED = frozenset({"is_active", "is_staff", "is_superuser", "language"})


def staff_may_change_account(staff: User, user: User) -> bool:
    """Superusers always; else a resident's (non-staff) account with a home in an estate where
    ``staff`` holds a role declaring ``accounts.change_user``."""
    if not (staff.is_authenticated and staff.is_active):
        return False
    if staff.is_superuser:
        return True
    if user.is_staff or user.is_superuser or user.pk == staff.pk:
        return False
    from community.residents.models import Resident
    from community.scoping import staff_estate_ids_for_perm

    estates = staff_estate_ids_for_perm(staff, "accounts.change_user") or frozenset()
    return Resident.objects.filter(user=user, estate_id__in=estates).exists()


def _recorded(changes: dict) -> dict:
    recorded = {}
    for field, value in changes.items():
        if field in M2M_FIELDS:
            recorded[field] = sorted(str(item) for item in value)
        elif field in VALUES_RECORDED:
            recorded[field] = value
        else:
            recorded[field] = "changed"
    return recorded


def account_update(*, user: User, changes: dict, by: User) -> User:
    """Correct an account: ``changes`` maps field names to new values (groups/permissions as
    iterables of Group/Permission)."""
    if set(changes) & IDENTIFIER_FIELDS:
        raise ServiceError(
            _("The username, phone and email are changed only through the identity check."),
            code="identifier",
        )
    if not staff_may_change_account(by, user):
        raise NotAllowed(_("You may not change this account."), code="not_allowed")
    allowed = EDITABLE_BY_SUPERUSER if by.is_superuser else EDITABLE_BY_STAFF
    refused = sorted(set(changes) - allowed)
    if refused:
        raise NotAllowed(
            _("You may not change: %(fields)s.") % {"fields": ", ".join(refused)}, code="field_not_allowed"
        )
    if not changes:
        return user
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        was_active = user.is_active
        plain = {k: v for k, v in changes.items() if k not in M2M_FIELDS}
        for field, value in plain.items():
            setattr(user, field, value)
        if plain:
            user.save(update_fields=sorted(plain))
        if "groups" in changes:
            user.groups.set(Group.objects.filter(pk__in=[g.pk for g in changes["groups"]]))
        if "user_permissions" in changes:
            user.user_permissions.set(
                Permission.objects.filter(pk__in=[p.pk for p in changes["user_permissions"]])
            )
        AccountChange.objects.create(
            user=user, action=AccountChange.Action.CHANGED, fields=_recorded(changes), by=by
        )
        if was_active and not user.is_active:
            sessions_end_all(user=user, reason=ApiToken.Revoked.LOGOUT_EVERYWHERE, by=by)
    return user


def account_create(
    *,
    username: str,
    phone: str | None,
    email: str | None,
    name: str,
    password: str | None,
    by: User,
) -> User:
    """A superuser makes an account (a new colleague's; residents join by invitation).
    ``password`` None: no usable password (the account signs in once one is set)."""
    if not (by.is_active and by.is_superuser):
        raise NotAllowed(_("Only the platform administrator adds accounts."), code="not_allowed")
    with transaction.atomic():
        user = User.objects.create_user(
            username=username, email=email or None, password=password, phone=phone or None, name=name or ""
        )
        AccountChange.objects.create(
            user=user,
            action=AccountChange.Action.CREATED,
            fields={"usable_password": password is not None},
            by=by,
        )
    return user


def account_password_set(*, user: User, password: str | None, by: User) -> User:
    """A superuser sets (or, with None, disables) an account's password: its API tokens end
    with the old one (``User.save``), and the change is recorded."""
    if not (by.is_active and by.is_superuser):
        raise NotAllowed(_("Only the platform administrator sets passwords."), code="not_allowed")
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if password is None:
            user.set_unusable_password()
        else:
            user.set_password(password)
        user.save(update_fields=["password"])
        if password is None:  # set_password's own revocation (User.save) does not see this one
            api_tokens_revoke_all(user=user, reason=ApiToken.Revoked.PASSWORD_CHANGED, by=by)
        AccountChange.objects.create(
            user=user,
            action=AccountChange.Action.PASSWORD_SET,
            fields={"usable_password": password is not None},
            by=by,
        )
    return user
