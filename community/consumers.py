"""The authenticated websocket endpoint.

A client connects to ``/ws/`` and subscribes to groups it is allowed to see. Each app
registers an authoriser for its group prefix with ``register_group``, so apps stay decoupled
from this module and every subscription is checked on the server.
"""

from __future__ import annotations

from collections.abc import Callable

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from community.realtime import group_for_user

# prefix -> function(user, group_name) -> bool; called in a thread (may query the database)
_AUTHORISERS: dict[str, Callable] = {}


def register_group(prefix: str, authorise: Callable) -> None:
    _AUTHORISERS[prefix] = authorise


def can_subscribe(user, group: str) -> bool:
    if group == group_for_user(user.pk):
        return True
    for prefix, authorise in _AUTHORISERS.items():
        if group.startswith(prefix):
            return bool(authorise(user, group))
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

    async def receive_json(self, content, **kwargs):
        action = content.get("action")
        group = content.get("group")
        if action != "subscribe" or not isinstance(group, str):
            await self.send_json({"error": "expected {\"action\": \"subscribe\", \"group\": <name>}"})
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
