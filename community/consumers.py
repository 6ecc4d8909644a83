"""The authenticated websocket endpoint.

A client connects to ``/ws/`` and subscribes to groups it is allowed to see. Each app
registers an authoriser for its group prefix with ``register_group``, so apps stay decoupled
from this module and every subscription is checked on the server.

A frame the server cannot use (not JSON, not an object, binary, a group name the channel
layer would reject) gets an ``{"error": ...}`` answer; the connection stays open, so one bad
message from a client does not end its live updates.

Rights are not only checked at subscription (issue #15 item 10): a socket lives for hours.

* Staff who must enrol MFA (``STAFF_MFA_REQUIRED``) are refused at connect (4403).
* Before an event of a group other than the user's own is delivered, the subscription is
  checked again when the last check is older than ``WEBSOCKET_RECHECK_SECONDS``: the session
  must still be valid (not logged out, password or stamp unchanged) and the group's
  authoriser must still say yes; otherwise the group is left (``{"error": "unsubscribed"}``),
  or the socket closed (4401) when the session is gone.
* And without any event: every socket re-checks its session and groups on a timer every
  ``WEBSOCKET_RECHECK_SECONDS``, so a right removed with no signal reaching the socket (a session
  deleted from the store, a role changed by a bulk update, an estate setting) ends within that
  window even on a quiet group. One query per socket per window.
* At once, without waiting for the next check: a logout closes that session's sockets, "log
  out everywhere" closes all of the user's (``session.end``), and a role change makes every
  socket of the user re-check its groups (``rights.changed``); see ``community.realtime``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from collections.abc import Callable

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from community.realtime import group_for_user

logger = logging.getLogger(__name__)

# prefix -> function(user, group_name) -> bool; called in a thread (may query the database)
_AUTHORISERS: dict[str, list[Callable]] = {}

# What channel layers accept as a group name (channels.layers.BaseChannelLayer): ASCII
# letters, digits, "-", "_", "." and shorter than 100 characters. Checked before any
# authoriser runs, so a lenient authoriser cannot make group_add raise.
_GROUP_NAME = re.compile(r"[A-Za-z0-9._-]{1,99}")
# One connection follows a page's worth of objects, not the whole site.
MAX_GROUPS_PER_CONNECTION = 100
# The re-check timer's shortest period (a window of 0 means "before every event").
TIMER_FLOOR_SECONDS = 0.5
USAGE = 'expected {"action": "subscribe", "group": <name>}'


def register_group(prefix: str, authorise: Callable) -> None:
    """Several apps may share a prefix ("estate.<id>.access", "estate.<id>.parking"): each
    authoriser answers True only for the groups it owns, and any True lets the user in."""
    authorisers = _AUTHORISERS.setdefault(prefix, [])
    if authorise not in authorisers:
        authorisers.append(authorise)


def can_subscribe(user, group: str) -> bool:
    """Whether ``user`` may join ``group``: their own user group, or what the app that owns the
    group's prefix allows (any authoriser registered for a matching prefix). Unknown prefixes: no."""
    if not user.is_authenticated:
        return False
    # The connection's user was loaded when it opened, possibly hours ago (with staff estates
    # cached on it): decide on the account as it is now, so a deactivated account or a removed
    # staff role stops further subscriptions at once.
    from django.contrib.auth import get_user_model

    user = get_user_model()._default_manager.filter(pk=user.pk, is_active=True).first()
    if user is None:
        return False
    if group == group_for_user(user.pk):
        return True
    for prefix, authorisers in _AUTHORISERS.items():
        if not group.startswith(prefix):
            continue
        for authorise in authorisers:
            try:
                if authorise(user, group):
                    return True
            except Exception:
                # A bug in an app's authoriser must refuse, not open the group or drop the socket.
                logger.exception("websocket authoriser for %r failed on %r", prefix, group)
    return False


def session_still_valid(scope) -> bool:
    """Whether the session the socket was opened with still logs this user in.

    Reads the session afresh from its store: a logout deleted it; "log out everywhere" or a
    password change altered the user's auth hash. A scope without a session (tests building
    the scope by hand) has nothing to re-check.
    """
    session = scope.get("session")
    user = scope.get("user")
    if session is None or user is None:
        return True
    from importlib import import_module

    from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.utils.crypto import constant_time_compare

    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=session.session_key)
    if str(store.get(SESSION_KEY)) != str(user.pk):
        return False
    fresh = get_user_model()._default_manager.filter(pk=user.pk, is_active=True).first()
    return fresh is not None and constant_time_compare(
        store.get(HASH_SESSION_KEY, ""), fresh.get_session_auth_hash()
    )


def _must_enrol_mfa(user) -> bool:
    from community.accounts.middleware import staff_must_enrol_mfa

    return staff_must_enrol_mfa(user)


def _recheck_seconds() -> float:
    return float(getattr(settings, "WEBSOCKET_RECHECK_SECONDS", 30))


class EventsConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        if await database_sync_to_async(_must_enrol_mfa)(user):
            await self.close(code=4403)
            return
        self.groups_joined: set[str] = set()
        # group -> monotonic time of the last successful rights check
        self.checked_at: dict[str, float] = {}
        await self.accept()
        await self._join(group_for_user(user.pk))
        self._rechecker = asyncio.get_running_loop().create_task(self._recheck_every_window())

    async def _recheck_every_window(self) -> None:
        """The timer half of the promise: the session and every group are checked again at
        least every ``WEBSOCKET_RECHECK_SECONDS``, events or not."""
        try:
            while True:
                # A window of 0 (re-check before every event) would spin here: half a second.
                await asyncio.sleep(max(_recheck_seconds(), TIMER_FLOOR_SECONDS))
                if not await self._recheck(list(self.groups_joined)):
                    return
        except asyncio.CancelledError:
            raise
        except Exception:
            # A database hiccup must not leave a socket unchecked for ever: close it; the
            # client reconnects and is checked afresh.
            logger.exception("websocket re-check failed; closing the socket")
            await self.close(code=1011)

    async def _join(self, group: str) -> None:
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined.add(group)
        self.checked_at[group] = time.monotonic()

    async def _leave(self, group: str) -> None:
        await self.channel_layer.group_discard(group, self.channel_name)
        self.groups_joined.discard(group)
        self.checked_at.pop(group, None)
        await self.send_json({"error": "unsubscribed", "group": group})

    def _still_allowed(self, groups: list[str]) -> tuple[bool, list[str]]:
        """(session valid, the groups of ``groups`` the user may no longer see). Runs in a thread."""
        if not session_still_valid(self.scope):
            return False, groups
        return True, [g for g in groups if not can_subscribe(self.scope["user"], g)]

    async def _recheck(self, groups: list[str]) -> bool:
        """Re-check ``groups``; leave the refused ones. False when the socket was closed."""
        own = group_for_user(self.scope["user"].pk)
        groups = [g for g in groups if g != own]
        valid, refused = await database_sync_to_async(self._still_allowed)(groups)
        if not valid:
            await self.close(code=4401)
            return False
        now = time.monotonic()
        for group in groups:
            if group in refused:
                await self._leave(group)
            else:
                self.checked_at[group] = now
        return True

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if text_data is None:
            await self.send_json({"error": "text_frames_only", "detail": USAGE})
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            await self.send_json({"error": "invalid_json", "detail": USAGE})
            return
        if not isinstance(content, dict):
            await self.send_json({"error": "invalid_message", "detail": USAGE})
            return
        await self.receive_json(content, **kwargs)

    async def receive_json(self, content, **kwargs):
        action = content.get("action")
        group = content.get("group")
        if action != "subscribe" or not isinstance(group, str):
            await self.send_json({"error": "invalid_message", "detail": USAGE})
            return
        if not _GROUP_NAME.fullmatch(group):
            await self.send_json({"error": "invalid_group", "group": group[:100]})
            return
        if group in self.groups_joined:
            await self.send_json({"subscribed": group})
            return
        if len(self.groups_joined) >= MAX_GROUPS_PER_CONNECTION:
            await self.send_json({"error": "too_many_groups", "group": group})
            return
        allowed = await database_sync_to_async(can_subscribe)(self.scope["user"], group)
        if not allowed:
            await self.send_json({"error": "forbidden", "group": group})
            return
        await self._join(group)
        await self.send_json({"subscribed": group})

    async def disconnect(self, code):
        rechecker = getattr(self, "_rechecker", None)
        if rechecker is not None and rechecker is not asyncio.current_task():
            rechecker.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await rechecker
        for group in getattr(self, "groups_joined", ()):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def push_event(self, message):
        group = message["group"]
        if group not in self.groups_joined:
            return
        if group != group_for_user(self.scope["user"].pk):
            stale = time.monotonic() - self.checked_at.get(group, 0.0) >= _recheck_seconds()
            if stale and not await self._recheck([group]):
                return
            if group not in self.groups_joined:
                return
        await self.send_json({"group": group, "event": message["event"]})

    async def session_end(self, message):
        """A logout (of this session, or everywhere): close the socket."""
        key = message.get("session_key")
        session = self.scope.get("session")
        if key is None or (session is not None and session.session_key == key):
            await self.close(code=4401)

    async def rights_changed(self, message):
        """The user's roles changed: re-check every group joined, now."""
        await self._recheck(list(self.groups_joined))
