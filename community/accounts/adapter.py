"""allauth adapter: phone numbers live on User.phone; open signup is closed.

Residents get an account only through a staff invitation tied to their Resident record
(see community.accounts.services.invitation_*); the invitation view opens signup for the
one session that presents a valid code.
"""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.contrib.auth import get_user_model

INVITATION_SESSION_KEY = "invitation_id"


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return bool(request.session.get(INVITATION_SESSION_KEY))

    def set_phone(self, user, phone: str, verified: bool) -> None:
        user.phone = phone
        user.save(update_fields=["phone"])

    def get_phone(self, user):
        if user.phone:
            return str(user.phone), True
        return None

    def set_phone_verified(self, user, phone: str) -> None:
        self.set_phone(user, phone, True)

    def get_user_by_phone(self, phone: str):
        from phonenumber_field.phonenumber import to_python

        number = to_python(phone, region="CN")
        if number is None or not number.is_valid():
            return None
        return get_user_model().objects.filter(phone=number).order_by("pk").first()

    def send_verification_code_sms(self, user, phone: str, code: str, **kwargs) -> None:
        from community.accounts.sms import send_sms

        send_sms(phone=phone, text=f"【智慧社区】验证码 {code}，15分钟内有效。")
