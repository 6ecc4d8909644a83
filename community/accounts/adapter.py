"""allauth adapter: phone numbers live on ``User.phone``; open signup stays closed.

Residents get an account only through a staff invitation tied to their Resident record
(``community.accounts.services.invitation_*`` and the pages under /accounts/invite/), never
through allauth's signup form.

allauth 65 recognises a phone login only when ``phone_form_field().clean(login)`` succeeds;
its stock field demands E.164 ("+8613800000001"). Residents type "13800000001" or
"138 0000 0001", so the field here normalises with the China region first.
"""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.fields import PhoneField
from django.contrib.auth import get_user_model

from community.accounts.phones import to_e164

# Kept for callers that import it; the invitation pages keep their state under this key.
INVITATION_SESSION_KEY = "invitation_id"


class ChinaPhoneField(PhoneField):
    """allauth's phone field, accepting national numbers and spaces (China by default)."""

    def to_python(self, value):
        value = super().to_python(value)
        return to_e164(value) or value


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return False

    def get_login_stages(self) -> list[str]:
        # allauth's phone-verification stage would refuse every account without a phone (the
        # superuser, staff with email only) because ACCOUNT_SIGNUP_FIELDS marks phone required.
        # Phones reach accounts only through an invitation proven by SMS code, so the stage
        # has nothing to verify here.
        return [
            stage
            for stage in super().get_login_stages()
            if stage != "allauth.account.stages.PhoneVerificationStage"
        ]

    def phone_form_field(self, **kwargs) -> PhoneField:
        return ChinaPhoneField(**kwargs)

    def clean_phone(self, phone: str) -> str:
        return to_e164(phone) or phone

    def set_phone(self, user, phone: str, verified: bool) -> None:
        user.phone = phone
        user.save(update_fields=["phone"])

    def get_phone(self, user):
        if user.phone:
            # Numbers reach an account only through a staff invitation proven by SMS code.
            return str(user.phone), True
        return None

    def set_phone_verified(self, user, phone: str) -> None:
        self.set_phone(user, phone, True)

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        # allauth keys the per-login lockout on the email or username as typed, and on "" for
        # every phone login (one counter for all phone users). Count per account instead, however
        # the login was typed (issue #15 item 9).
        from community.accounts.selectors import lockout_key

        login = credentials.get("email") or credentials.get("username") or credentials.get("phone") or ""
        return lockout_key(str(login))

    def get_user_by_phone(self, phone: str):
        number = to_e164(phone)
        if number is None:
            return None
        return get_user_model().objects.filter(phone=number).order_by("pk").first()

    def send_verification_code_sms(self, user, phone: str, code: str, **kwargs) -> None:
        from django.utils.translation import gettext as _

        from community.accounts.sms import send_sms

        send_sms(
            phone=phone, text=_("[Smart Community] Your verification code is %(code)s.") % {"code": code}
        )
