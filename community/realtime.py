"""Websocket events, published only after the surrounding transaction commits.

As Zulip's ``send_event_on_commit``: a rolled-back write never reaches a browser, and a
committed one always does.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def group_for_user(user_id: int) -> str:
    return f"user.{user_id}"


def group_for_estate(estate_id: int, topic: str) -> str:
    return f"estate.{estate_id}.{topic}"


_loop: asyncio.AbstractEventLoop | None = None
_loop_lock = threading.Lock()


def _publisher_loop() -> asyncio.AbstractEventLoop:
    """One event loop per process, in a daemon thread, for publishing from sync code.

    ``async_to_sync`` under WSGI runs each call on a fresh loop, and channels-redis keeps its
    connection pool per loop: every publish opened a new Redis connection. A long-lived loop
    keeps one pool per process.
    """
    global _loop
    with _loop_lock:
        if _loop is None or _loop.is_closed():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="realtime-publisher", daemon=True).start()
            _loop = loop
        return _loop


def _in_event_loop_thread() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def publish_now(group: str, event: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "push.event", "group": group, "event": event}
    try:
        if layer.__class__.__module__.startswith("channels_redis") and not _in_event_loop_thread():
            # Wait for it (bounded), so events leave in order and failures are logged here.
            asyncio.run_coroutine_threadsafe(layer.group_send(group, message), _publisher_loop()).result(timeout=5)
        else:
            # The in-memory layer's queues belong to the loop that reads them: publish there.
            async_to_sync(layer.group_send)(group, message)
    except Exception:
        # The write is already committed; a lost live update must not turn it into a 500.
        logger.exception("websocket publish to %s failed", group)


def publish_on_commit(group: str, event: dict[str, Any], *, using: str | None = None) -> None:
    transaction.on_commit(lambda: publish_now(group, event), using=using)
