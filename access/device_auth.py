"""Device authentication: who is calling, from a device token, with a short in-process cache.

One home for it: the native API (``access.device_api``), the vendor endpoints
(``access.device_views``) and other apps' device endpoints (parking, eldercare) import these
names from here. The cache-clearing receivers are connected in ``AccessConfig.ready()``.
"""

from __future__ import annotations

import hmac
import logging
import time

from django.core.cache import cache
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from redis.exceptions import RedisError
from rest_framework import authentication, exceptions, permissions

from community.api.throttling import FailedLoginByClientThrottle

from .inbound import storable
from .models import Device, token_hash

__all__ = [
    "DEVICE_CACHE_SECONDS",
    "DeviceGuessThrottle",
    "DevicePrincipal",
    "DeviceTokenAuthentication",
    "IsDevice",
    "client_address",
    "device_cache_clear",
    "device_for_token",
    "guess_failed",
    "guessing_blocked",
]

logger = logging.getLogger(__name__)


class DevicePrincipal:
    """``request.user`` for a device: authenticated, but no user and no permissions."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = is_superuser = False
    pk = id = None

    def __init__(self, device: Device):
        self.device = device

    def __str__(self) -> str:
        return f"device:{self.device.pk}"


# Device look-ups by token are kept in the process for a few seconds. Resolving a token costs
# ~3 ms of ORM work and a round trip, on a path a busy gate calls several times a second; the
# cached Device is the one that device_seen updates in place, so last_seen_at stays exact.
# A save or delete of any Device in this process empties the cache at once (token rotation,
# disabling in the admin); another process notices within DEVICE_CACHE_SECONDS. That window
# is far below the time in which a stolen or retired token would be noticed and rotated, and
# far below OFFLINE_AFTER, so a cached instance never hides an offline mark.
DEVICE_CACHE_SECONDS = 5.0
DEVICE_CACHE_SIZE = 10_000  # bounds memory; unknown tokens are never cached
_device_cache: dict[str, tuple[float, Device]] = {}


def device_cache_clear(**_kwargs) -> None:
    """Empty the token cache (also a post_save/post_delete receiver for Device)."""
    _device_cache.clear()


def device_for_token(token: str) -> Device | None:
    if not token or not storable(token):
        return None
    digest = token_hash(token)
    now = time.monotonic()
    cached = _device_cache.get(digest)
    if cached is not None and cached[0] > now:
        return cached[1]
    # order_by(): the model's default ordering would join the estate to sort a single row.
    device = Device.objects.select_related("gate").filter(token_hash=digest).order_by().first()
    # The lookup is by an indexed hash (an attacker cannot steer its prefix); the constant-time
    # compare is belt and braces against a collation or index that matches loosely.
    if device is None or not hmac.compare_digest(device.token_hash or "", digest):
        return None
    if len(_device_cache) >= DEVICE_CACHE_SIZE:
        _device_cache.clear()
    _device_cache[digest] = (now + DEVICE_CACHE_SECONDS, device)
    return device


class DeviceGuessThrottle(FailedLoginByClientThrottle):
    """Distinct failed device credentials per client address: unknown tokens, unknown or
    unapproved serial numbers, a device calling from outside its network.

    Only *distinct* credentials count: a guesser tries many, a misconfigured device repeats its
    one every few seconds (and must not block the real devices behind the same NAT). Once an
    address has failed with this many, *every* device request from it is refused until the
    window passes — the right credential included, so a blocked guesser learns nothing. Behind
    nginx set ``NUM_PROXIES=1`` (as ``make prod`` does), or every device shares one address.
    """

    scope = "device_auth_failed_client"
    default_rate = "100/hour"


def client_address(request) -> str:
    """The caller's address as the throttles see it (X-Forwarded-For as far as NUM_PROXIES)."""
    return DeviceGuessThrottle().get_ident(request)


# The guess counters live in the shared cache (Redis in production). When it is down the
# limit is not enforced and a warning is logged: devices must go on being stored and
# acknowledged while Redis is down (issue #16), and the token itself still has to be right.
_CACHE_DOWN = (ConnectionError, TimeoutError, OSError, RedisError)


def guessing_blocked(request) -> bool:
    try:
        return not DeviceGuessThrottle().allow_request(request, None)
    except _CACHE_DOWN as exc:
        logger.warning("device guess limit not checked, cache unreachable: %s", type(exc).__name__)
        return False


def guess_failed(request, credential: str) -> None:
    """Count a failed ``credential`` (a token or an SN) against the caller, once per window."""
    throttle = DeviceGuessThrottle()
    ident = throttle.get_ident(request)
    try:
        if cache.add(f"access:guess-seen:{ident}:{token_hash(credential)}", 1, throttle.duration):
            throttle.record_failure(request, None)
    except _CACHE_DOWN as exc:
        logger.warning("device guess not counted, cache unreachable: %s", type(exc).__name__)


class DeviceTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Send 'Authorization: Bearer <device token>'."))
        if guessing_blocked(request):
            raise exceptions.Throttled()
        token = header[1].decode(errors="replace")
        device = device_for_token(token)
        if device is None or not device.calls_from_its_network(client_address(request)):
            guess_failed(request, token)
            raise exceptions.AuthenticationFailed(_("Unknown device token."))
        if not device.accepts_traffic:
            raise exceptions.PermissionDenied(_("This device is disabled or not approved yet."))
        return DevicePrincipal(device), device

    def authenticate_header(self, request):
        return f'{self.keyword} realm="device"'


class IsDevice(permissions.BasePermission):
    def has_permission(self, request, view):
        return isinstance(request.auth, Device)


class DeviceTokenScheme(OpenApiAuthenticationExtension):
    """Documents the device token scheme in the OpenAPI schema."""

    target_class = "access.device_auth.DeviceTokenAuthentication"
    name = "deviceToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "Device token (admin → Devices → rotate token)",
        }
