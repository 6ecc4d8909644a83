"""Account writes: resident invitations and completing signup from one.

A resident never signs up on their own. Staff invite a Resident record
(``invitation_create``); a 6-digit code goes by SMS to the resident's phone; the resident
proves the code (``invitation_verify``) and sets a password (``invitation_accept``), which
creates the account — or, when the phone already has one, links the record to it.

The code is stored hashed like a password. Each invitation allows ``MAX_ATTEMPTS`` wrong
codes, then it is dead and staff must send a new one, so a 6-digit code cannot be guessed.
"""

from __future__ import annotations

import datetime as dt
import functools
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from community.accounts.models import Invitation, User
from community.accounts.phones import parse_phone
from community.accounts.sms import send_sms

INVITATION_VALID_FOR = dt.timedelta(hours=72)
MAX_ATTEMPTS = 5
CODE_DIGITS = 6


def _new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def invitation_create(*, resident, by) -> Invitation:
    """Invite ``resident`` to the portal: a fresh code by SMS; earlier open invitations end."""
    phone = parse_phone(resident.phone)
    if phone is None:
        raise ValidationError(
            _("%(name)s has no valid mobile phone number to send the invitation to."),
            code="no_phone",
            params={"name": resident.name},
        )
    code = _new_code()
    now = timezone.now()
    with transaction.atomic():
        # One live code per phone: a resent invitation replaces the earlier ones.
        Invitation.objects.pending(now).filter(phone=phone.as_e164).update(expires_at=now)
        invitation = Invitation.objects.create(
            resident=resident,
            phone=phone.as_e164,
            code_hash=make_password(code),
            expires_at=now + INVITATION_VALID_FOR,
            created_by=by if by is not None and by.is_authenticated else None,
        )
        # SMS in the site language; residents read Chinese whatever the staff member's UI is.
        with translation.override(settings.LANGUAGE_CODE):
            text = gettext(
                "[Smart Community] %(estate)s invites you to the resident portal. Your code is %(code)s, "
                "valid for %(hours)d hours. Open %(path)s to activate your account."
            ) % {
                "estate": resident.estate.name,
                "code": code,
                "hours": INVITATION_VALID_FOR.total_seconds() // 3600,
                "path": reverse("account_invite"),
            }
        transaction.on_commit(lambda: send_sms(phone=phone.as_e164, text=text))
    return invitation


@functools.cache
def _dummy_hash() -> str:
    """A real hash to check codes against when the phone has no invitation (equal timing)."""
    return make_password(_new_code())


def _no_match(code: str) -> ValidationError:
    """The one answer for every failed code check.

    No phone, an expired or exhausted invitation and a wrong code read the same, so the form
    cannot be used to learn which phone numbers were invited; ``code`` tells them apart for
    tests and logs only.
    """
    return ValidationError(
        _(
            "This phone number and code do not match an open invitation. Check the SMS; if the code has "
            "expired or was mistyped too often, ask your property office to send a new invitation."
        ),
        code=code,
    )


def invitation_verify(*, phone: str, code: str) -> Invitation:
    """The pending invitation for ``phone`` if ``code`` is right; else a ValidationError.

    A wrong code is counted (and the count committed) before the error is raised.
    """
    number = parse_phone(phone)
    if number is None:
        raise ValidationError(_("Enter a valid mobile phone number."), code="invalid_phone")
    code = (code or "").strip()
    now = timezone.now()
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .filter(phone=number.as_e164, used_at__isnull=True)
            .order_by("-created_at")
            .first()
        )
        if invitation is None:
            # Spend the time a hash check takes, so the answer's timing does not tell either.
            check_password(code, _dummy_hash())
            raise _no_match("no_invitation")
        if invitation.expires_at <= now:
            raise _no_match("expired")
        if invitation.attempts >= MAX_ATTEMPTS:
            raise _no_match("too_many_attempts")
        if not (code.isdigit() and len(code) == CODE_DIGITS and check_password(code, invitation.code_hash)):
            invitation.attempts += 1
            invitation.save(update_fields=["attempts"])
            error = _no_match("wrong_code" if invitation.attempts < MAX_ATTEMPTS else "too_many_attempts")
        else:
            return invitation
    raise error  # outside the atomic block, so the counted attempt is kept


def account_for_phone(phone) -> User | None:
    number = parse_phone(phone)
    if number is None:
        return None
    return get_user_model().objects.filter(phone=number.as_e164).first()


def _link_residents(*, user: User, phone: str) -> int:
    """Tie every unlinked Resident record with this phone (in any estate) to ``user``."""
    from community.residents.models import Resident

    # One record per estate per user (a database constraint): skip estates already linked.
    linked_estates = Resident.objects.filter(user=user).values("estate_id")
    return (
        Resident.objects.filter(phone=phone, user__isnull=True)
        .exclude(estate_id__in=linked_estates)
        .update(user=user)
    )


def invitation_accept(*, invitation: Invitation, password: str | None) -> tuple[User, bool]:
    """Use the invitation: create the account (phone + password) or link to the existing one.

    Returns ``(user, created)``. When the phone already has an account the password is
    ignored and the resident is told to log in with their existing password.
    """
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().select_related("resident").get(pk=invitation.pk)
        if invitation.used_at is not None:
            raise ValidationError(_("This invitation has already been used. Please log in."), code="used")
        if invitation.expires_at <= timezone.now():
            raise ValidationError(
                _("This invitation has expired. Ask your property office to send a new one."), code="expired"
            )
        phone = str(invitation.phone)
        user = get_user_model().objects.select_for_update().filter(phone=phone).first()
        created = user is None
        if created:
            if not password:
                raise ValidationError(_("Choose a password."), code="password_required")
            user = get_user_model().objects.create_user(
                username=None, email=None, password=password, phone=phone, name=invitation.resident.name
            )
        _link_residents(user=user, phone=phone)
        invitation.used_at = timezone.now()
        invitation.created_user = user
        invitation.save(update_fields=["used_at", "created_user"])
    return user, created
