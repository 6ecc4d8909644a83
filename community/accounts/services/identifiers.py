"""Changing an account's login identifiers (phone, email) without handing the account over.

Whoever controls the phone controls the account (SMS-code login), and the email (password
reset by link). So staff never type a new number into an account:

* the account holder changes it (``identifier_change_request`` then ``identifier_change_confirm``):
  they type their password again (a session left open on a shared or stolen phone is not the
  holder), a code goes to the *new* number or address, proving it is theirs; the old one is told;
* or staff record an identity check made in person (``identifier_change_by_staff``): the
  method and what was checked are kept, every session, API token and websocket of the account
  ends, and the old number or address is told, so the real holder learns of it at once.

Staff may do the second only for residents' accounts whose every home is in an estate they
manage: an owner with homes in estates A and B cannot be taken over by a manager of B alone
(the takeover issue #15 reproduced: B's manager voted in A's meeting). Such accounts, and staff
accounts, are changed by a superuser.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from community.accounts.models import ApiToken, IdentifierChange, LoginIdentifier, User
from community.accounts.phones import parse_phone
from community.accounts.sms import send_sms
from community.errors import AlreadyDone, NotAllowed, ServiceError, text_within

from .invitations import CODE_DIGITS, MAX_ATTEMPTS, _new_code
from .tokens import sessions_end_all

CODE_VALID_FOR = dt.timedelta(minutes=10)
# Codes sent per account per hour: each is an SMS someone pays for and a chance to guess.
REQUESTS_PER_HOUR = 3
# Wrong passwords at the re-authentication step per account per hour: then the step is closed
# for the hour (whoever holds the session is guessing), and the holder can still log in.
REAUTH_FAILURES_PER_HOUR = 5


def _reauth_key(user: User) -> str:
    return f"accounts:reauth-failures:{user.pk}"


def _check_password_again(*, user: User, password: str) -> None:
    """The holder proves they are the holder, not just someone holding their session."""
    if not user.has_usable_password():
        raise ServiceError(
            {"password": [_("Set a password for your account first (Change password), then come back.")]},
            code="no_password",
        )
    key = _reauth_key(user)
    if (cache.get(key) or 0) >= REAUTH_FAILURES_PER_HOUR:
        raise ServiceError(
            _("Too many wrong passwords. Try again in an hour or ask your property office."),
            code="throttled",
        )
    if not (password and user.check_password(password)):
        if not cache.add(key, 1, 3600):
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.add(key, 1, 3600)
        raise ServiceError({"password": [_("The password is wrong.")]}, code="wrong_password")


def _clean_value(field: str, value: str) -> str:
    value = (value or "").strip()
    if field == LoginIdentifier.PHONE:
        number = parse_phone(value)
        if number is None:
            raise ServiceError({"new_value": [_("Enter a valid mobile phone number.")]}, code="invalid_phone")
        return number.as_e164
    if field == LoginIdentifier.EMAIL:
        try:
            validate_email(value)
        except ValidationError:
            raise ServiceError(
                {"new_value": [_("Enter a valid email address.")]}, code="invalid_email"
            ) from None
        return value.lower()
    raise ServiceError(
        _("Only the phone number or the email address can be changed here."), code="invalid_field"
    )


def _check_free(*, user: User, field: str, value: str) -> None:
    if str(getattr(user, field) or "") == value:
        raise ServiceError({"new_value": [_("This is already the account's value.")]}, code="unchanged")
    lookup = {f"{field}__iexact" if field == LoginIdentifier.EMAIL else field: value}
    if User.objects.filter(**lookup).exclude(pk=user.pk).exists():
        raise ServiceError({"new_value": [_("This value cannot be used for this account.")]}, code="taken")


def _notify_old(*, user: User, field: str, old_value: str, by_staff: bool) -> None:
    """Tell the old phone or email that the account moved away from it (after commit)."""
    if not old_value:
        return
    with translation.override(settings.LANGUAGE_CODE):
        what = gettext("mobile phone number") if field == LoginIdentifier.PHONE else gettext("email address")
        if by_staff:
            text = gettext(
                "[Smart Community] The %(what)s of your account was changed by the property office after an "
                "identity check, and you were logged out everywhere. If this was not you, contact the office now."
            ) % {"what": what}
        else:
            text = gettext(
                "[Smart Community] The %(what)s of your account was changed. If this was not you, contact the "
                "property office now."
            ) % {"what": what}
    if field == LoginIdentifier.PHONE:
        transaction.on_commit(lambda: send_sms(phone=old_value, text=text))
    else:
        transaction.on_commit(lambda: send_mail(text[:60], text, None, [old_value], fail_silently=True))


def _send_code(*, field: str, value: str, code: str) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        text = gettext(
            "[Smart Community] Your code to confirm this number or address for your account is %(code)s, "
            "valid for %(minutes)d minutes. Ignore this message if you did not ask for it."
        ) % {"code": code, "minutes": CODE_VALID_FOR.total_seconds() // 60}
    if field == LoginIdentifier.PHONE:
        transaction.on_commit(lambda: send_sms(phone=value, text=text))
    else:
        transaction.on_commit(lambda: send_mail(text[:60], text, None, [value], fail_silently=False))


def identifier_change_request(
    *, user: User, field: str, new_value: str, password: str, by: User
) -> IdentifierChange:
    """The account holder, having typed their password again, asks to move their phone or
    email to ``new_value``: a code goes there."""
    if by.pk != user.pk:
        raise NotAllowed(_("Only the account holder can ask for this change."), code="not_owner")
    _check_password_again(user=user, password=password)
    value = _clean_value(field, new_value)
    now = timezone.now()
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        _check_free(user=user, field=field, value=value)
        recent = IdentifierChange.objects.filter(
            user=user, method=IdentifierChange.Method.SELF, created_at__gt=now - dt.timedelta(hours=1)
        ).count()
        if recent >= REQUESTS_PER_HOUR:
            raise ServiceError(
                _("Too many codes were requested for this account. Try again in an hour."), code="throttled"
            )
        # One open request at a time: a new one ends the earlier ones.
        IdentifierChange.objects.filter(user=user, done_at__isnull=True, expires_at__gt=now).update(
            expires_at=now
        )
        code = _new_code()
        change = IdentifierChange.objects.create(
            user=user,
            field=field,
            old_value=str(getattr(user, field) or ""),
            new_value=value,
            method=IdentifierChange.Method.SELF,
            code_hash=make_password(code),
            expires_at=now + CODE_VALID_FOR,
            created_by=by,
        )
        _send_code(field=field, value=value, code=code)
    return change


def identifier_change_confirm(*, change: IdentifierChange, code: str, by: User) -> User:
    """The holder proves the code sent to the new value; the account moves to it."""
    if by.pk != change.user_id:
        raise NotAllowed(_("Only the account holder can confirm this change."), code="not_owner")
    code = (code or "").strip()
    now = timezone.now()
    with transaction.atomic():
        change = IdentifierChange.objects.select_for_update().get(pk=change.pk)
        if change.done_at is not None:
            raise AlreadyDone(_("This change is already done."), code="done")
        if change.expires_at is None or change.expires_at <= now or change.attempts >= MAX_ATTEMPTS:
            raise ServiceError(_("This code has expired. Ask for a new one."), code="expired")
        if not (code.isdigit() and len(code) == CODE_DIGITS and check_password(code, change.code_hash)):
            change.attempts += 1
            change.save(update_fields=["attempts"])
            error = ServiceError({"code": [_("The code is wrong.")]}, code="wrong_code")
        else:
            error = None
            user = User.objects.select_for_update().get(pk=change.user_id)
            _check_free(user=user, field=change.field, value=change.new_value)
            setattr(user, change.field, change.new_value)
            user.save(update_fields=[change.field])
            change.done_at = now
            change.save(update_fields=["done_at"])
            _notify_old(user=user, field=change.field, old_value=change.old_value, by_staff=False)
    if error is not None:
        raise error  # outside the atomic block, so the counted attempt is kept
    return user


def staff_may_change_identifiers(staff: User, user: User) -> bool:
    """Superusers always; a manager only for a resident's account whose every home (every
    estate with a Resident record for it) is an estate they manage."""
    if not staff.is_authenticated or not staff.is_active:
        return False
    if staff.is_superuser:
        return True
    if user.is_staff or user.is_superuser or user.pk == staff.pk:
        return False
    from community.accounts.roles import StaffRole
    from community.residents.models import Resident
    from community.scoping import staff_estate_ids

    managed = staff_estate_ids(staff, roles=(StaffRole.MANAGER,)) or frozenset()
    homes = set(Resident.objects.filter(user=user).values_list("estate_id", flat=True))
    return bool(homes) and homes <= managed


def identifier_change_by_staff(
    *, user: User, field: str, new_value: str, method: str, evidence: str, by: User
) -> IdentifierChange:
    """Staff change a phone or email after checking the person's identity in person."""
    if not staff_may_change_identifiers(by, user):
        raise NotAllowed(
            _(
                "You may not change this account's login details: it is a staff account or has a home in an "
                "estate you do not manage. Ask the platform administrator."
            ),
            code="not_allowed",
        )
    if method not in (IdentifierChange.Method.ID_DOCUMENT, IdentifierChange.Method.PROPERTY_DEED):
        raise ServiceError({"method": [_("Say how you checked the person's identity.")]}, code="no_method")
    evidence = text_within(evidence, IdentifierChange, "evidence")
    if len(evidence) < 4:
        raise ServiceError(
            {"evidence": [_("Record what you checked (e.g. the last 4 digits of the ID card shown).")]},
            code="no_evidence",
        )
    value = _clean_value(field, new_value)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        _check_free(user=user, field=field, value=value)
        old_value = str(getattr(user, field) or "")
        change = IdentifierChange.objects.create(
            user=user,
            field=field,
            old_value=old_value,
            new_value=value,
            method=method,
            evidence=evidence,
            created_by=by,
            done_at=timezone.now(),
        )
        setattr(user, field, value)
        user.save(update_fields=[field])
        sessions_end_all(user=user, reason=ApiToken.Revoked.IDENTITY_CHANGED, by=by)
        _notify_old(user=user, field=field, old_value=old_value, by_staff=True)
    return change
