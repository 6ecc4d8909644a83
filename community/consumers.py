"""The authenticated websocket endpoint.

A client connects to ``/ws/`` and subscribes to groups it is allowed to see. Each app
registers an authoriser for its group prefix with ``register_group``, so apps stay decoupled
from this module and every subscription is checked on the server.

A frame the server cannot use (not JSON, not an object, binary, a group name the channel
layer would reject) gets an ``{"error": ...}`` answer; the connection stays open, so one bad
message from a client does not end its live updates.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

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


class EventsConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.groups_joined: set[str] = set()
        await self.accept()
        await self._join(group_for_user(user.pk))

    async def _join(self, group: str) -> None:
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined.add(group)

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
        for group in getattr(self, "groups_joined", ()):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def push_event(self, message):
        await self.send_json({"group": message["group"], "event": message["event"]})
