"""Account reads shared by the login page (allauth adapter) and the API."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from community.accounts.models import ApiToken
from community.accounts.phones import to_e164


def lockout_key(login: str) -> str:
    """One failed-login counter per account, however the login is typed.

    "135 0000 9010", "+8613500009010" and the account's username all count against
    ``user:<pk>``; a login that names no account counts against its normalised form, so
    guessing at unknown names is limited too, and answers the same.
    """
    login = (login or "").strip()
    User = get_user_model()
    if "@" in login:
        found = User.objects.filter(email__iexact=login).values_list("pk", flat=True).first()
        return f"user:{found}" if found else f"email:{login.lower()[:200]}"
    number = to_e164(login)
    if number is not None:
        found = User.objects.filter(phone=number).values_list("pk", flat=True).first()
        if found:
            return f"user:{found}"
    found = User.objects.filter(username__iexact=login).values_list("pk", flat=True).first()
    if found:
        return f"user:{found}"
    return f"phone:{number}" if number else f"username:{login.lower()[:200]}"


def my_api_tokens(user) -> QuerySet[ApiToken]:
    """The user's tokens that still work, newest first."""
    return ApiToken.objects.live().filter(user=user).order_by("-created_at", "-id")
