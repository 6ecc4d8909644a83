"""API tokens and "log out everywhere".

A token is issued per login (a user may hold several: a phone app, an integration script),
expires after ``API_TOKEN_TTL_DAYS`` and ends with a password change, "log out everywhere" or
a change of login identifiers by staff. Only a SHA-256 of the key is stored.

"Log out everywhere" ends every browser session too: the account gets a new ``session_stamp``,
which is part of every session's auth hash (``User.get_session_auth_hash``), so each session
fails its check on its next request, and open websockets are closed after the commit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.accounts.models import ApiToken, User
from community.errors import AlreadyDone, NotAllowed, ServiceError, text_within
from community.realtime import sockets_end_on_commit

# Whatever is left over after the prefix is the secret; 32 random bytes.
KEY_BYTES = 32
PREFIX_LENGTH = 8
# Touching last_used_at on every request would turn each API read into a write.
LAST_USED_RESOLUTION = dt.timedelta(minutes=5)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _ttl() -> dt.timedelta:
    return dt.timedelta(days=getattr(settings, "API_TOKEN_TTL_DAYS", 90))


def api_token_issue(*, user: User, by: User, name: str = "") -> tuple[ApiToken, str]:
    """A new token for ``user``; returns the record and the key (shown once, never stored)."""
    if by.pk != user.pk:
        raise NotAllowed(_("Only the account holder can obtain a token for it."), code="not_owner")
    name = text_within(name, ApiToken, "name")
    limit = getattr(settings, "API_TOKENS_PER_USER", 20)
    key = secrets.token_urlsafe(KEY_BYTES)
    now = timezone.now()
    with transaction.atomic():
        # Serialise one user's logins so the limit holds under concurrent requests.
        User.objects.select_for_update().filter(pk=user.pk).first()
        if ApiToken.objects.live(now).filter(user=user).count() >= limit:
            raise ServiceError(
                _("This account already has %(limit)d API tokens: revoke one you no longer use first.")
                % {"limit": limit},
                code="too_many_tokens",
            )
        token = ApiToken.objects.create(
            user=user,
            name=name,
            prefix=key[:PREFIX_LENGTH],
            key_hash=_digest(key),
            expires_at=now + _ttl(),
        )
    return token, key


def api_token_authenticate(*, key: str) -> ApiToken | None:
    """The live token with this key (its user loaded), or None; records when it was last used."""
    if not key or len(key) > 200:
        return None
    now = timezone.now()
    token = ApiToken.objects.live(now).select_related("user").filter(key_hash=_digest(key)).first()
    if token is None or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def api_token_revoke(*, token: ApiToken, by: User) -> ApiToken:
    """The owner revokes one of their tokens."""
    if by.pk != token.user_id:
        raise NotAllowed(_("Only the account holder can revoke this token."), code="not_owner")
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(pk=token.pk)
        if token.revoked_at is not None:
            raise AlreadyDone(_("This token is already revoked."), code="already_revoked")
        token.revoked_at = timezone.now()
        token.revoked_reason = ApiToken.Revoked.BY_OWNER
        token.revoked_by = by
        token.save(update_fields=["revoked_at", "revoked_reason", "revoked_by"])
    return token


def api_tokens_revoke_all(*, user: User, reason: str, by: User) -> int:
    """Revoke every live token of ``user``; returns how many."""
    with transaction.atomic():
        return (
            ApiToken.objects.filter(user=user, revoked_at__isnull=True)
            .select_for_update()
            .update(revoked_at=timezone.now(), revoked_reason=reason, revoked_by=by)
        )


def _new_session_stamp(user: User) -> None:
    user.session_stamp = secrets.token_hex(16)
    User.objects.filter(pk=user.pk).update(session_stamp=user.session_stamp)


def sessions_end_all(*, user: User, reason: str, by: User) -> int:
    """End every session, API token and websocket of ``user``; returns the tokens revoked.

    Runs inside the caller's transaction when there is one (an identity change by staff)."""
    with transaction.atomic():
        _new_session_stamp(user)
        revoked = api_tokens_revoke_all(user=user, reason=reason, by=by)
        sockets_end_on_commit(user.pk)
    return revoked


def user_logout_everywhere(*, user: User, by: User) -> int:
    """The account holder ends all their sessions, tokens and websockets (this one included)."""
    if by.pk != user.pk and not by.is_superuser:
        raise NotAllowed(_("Only the account holder can log out everywhere."), code="not_owner")
    return sessions_end_all(user=user, reason=ApiToken.Revoked.LOGOUT_EVERYWHERE, by=by)
