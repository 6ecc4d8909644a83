"""Throttle failed credential checks (token login), in the Django cache.

DRF's throttles count every request; here only failures count, so a user who mistypes once is
not locked out by their later successes, and an attacker guessing passwords is stopped after
a few misses per login name or per client address, whichever comes first.
"""

from __future__ import annotations

import hashlib

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle


class FailedAttemptThrottle(SimpleRateThrottle):
    """Allows a request while fewer than ``rate`` failures are recorded for its key.

    The view calls ``record_failure`` after a failed check. The rate comes from
    ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope]`` when set, else ``default_rate``.
    """

    scope = "auth_failed"
    default_rate = "10/hour"

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope) or self.default_rate

    def _history(self, key: str) -> list[float]:
        now = self.timer()
        return [t for t in self.cache.get(key, []) if t > now - self.duration]

    def allow_request(self, request, view) -> bool:
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        self.history = self._history(self.key)
        return len(self.history) < self.num_requests or self.throttle_failure()

    def record_failure(self, request, view) -> None:
        key = self.get_cache_key(request, view)
        if key is not None:
            self.cache.set(key, [self.timer(), *self._history(key)], self.duration)


class FailedLoginByClientThrottle(FailedAttemptThrottle):
    """Per client address (``X-Forwarded-For`` is trusted as far as ``NUM_PROXIES`` says)."""

    scope = "auth_failed_client"
    default_rate = "30/hour"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class FailedLoginByNameThrottle(FailedAttemptThrottle):
    """Per login name, normalised by the caller (phone in E.164, email lower-cased)."""

    scope = "auth_failed_login"
    default_rate = "10/hour"

    def __init__(self, login: str = ""):
        super().__init__()
        self.login = login.strip().lower()[:200]

    def get_cache_key(self, request, view):
        if not self.login:
            return None
        # Hashed: the login is whatever the client typed (control characters, spaces, 200
        # characters); a cache key must stay short and printable (memcached refuses others).
        ident = hashlib.sha256(self.login.encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}


class FailedInvitationCodeThrottle(FailedLoginByClientThrottle):
    """Wrong invitation codes per client address (the invitation page, not only the API).

    Each invitation already dies after a few wrong codes; this stops one client from spraying
    guesses across many invited phone numbers (or burning their invitations).
    """

    scope = "invitation_failed_client"
    default_rate = "20/hour"
