"""The user's language preference: set on the portal's "我的" page, applied to their requests.

A separate module from ``services`` (invitations, login) because it is one small concern: the
service that records the choice and the middleware that applies it. Messages stored as a type
plus parameters (``community.notifications.messages``) are rendered in this language.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from community.errors import NotAllowed, ServiceError

from .models import User

LANGUAGE_CODES = frozenset(code for code, _name in settings.LANGUAGES)


@transaction.atomic
def user_language_set(*, user: User, language: str, by) -> User:
    """Record ``user``'s language; only they (or a superuser) may choose it."""
    if by is None or (by.pk != user.pk and not by.is_superuser):
        raise NotAllowed(_("You can only choose your own language."))
    if language not in LANGUAGE_CODES:
        raise ServiceError({"language": [_("Unknown language.")]})
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return user


class UserLanguageMiddleware:
    """After authentication: a signed-in user who chose a language sees every page in it,
    whatever the browser asks for (after LocaleMiddleware, which decided from cookie/header)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        language = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
        if language in LANGUAGE_CODES:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)
