"""Websocket events, published only after the surrounding transaction commits.

As Zulip's ``send_event_on_commit``: a rolled-back write never reaches a browser, and a
committed one always does.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import threading
from collections.abc import Callable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def group_for_user(user_id: int) -> str:
    return f"user.{user_id}"


def group_for_estate(estate_id: int, topic: str) -> str:
    return f"estate.{estate_id}.{topic}"


# Messages waiting for the publisher beyond this are dropped (and logged): a Redis outage must
# not grow a web worker's memory without bound, and the committed rows are the record anyway.
MAX_PENDING = 10_000
# How long a process that exits waits for its queued messages to leave.
EXIT_FLUSH_SECONDS = 5.0
# A mergeable message waits this long for others of its group before it leaves. Each
# group_send costs the process ~0.7 ms of CPU (two Redis round trips through redis-py's asyncio
# client, even with nobody listening), as much as a quarter of a car-park decision's: a busy
# gate's reads leave a few at a time instead, and no one watching a live screen sees 50 ms.
MERGE_WINDOW_SECONDS = 0.05

Merge = Callable[[dict[str, Any], dict[str, Any]], "dict[str, Any] | None"]


class _Publisher:
    """One event loop per process, in a daemon thread, that sends queued messages in order.

    ``async_to_sync`` under WSGI runs each call on a fresh loop, and channels-redis keeps its
    connection pool per loop: every publish opened a new Redis connection. A long-lived loop
    keeps one pool per process. The request thread only enqueues (microseconds) instead of
    waiting for Redis (~0.6 ms of round trips per ``group_send``), and one consumer task keeps
    the order in which the transactions committed. Messages of one group that the caller
    declared mergeable (``merge``) and that queue within ``MERGE_WINDOW_SECONDS`` of each other
    leave as one message.
    """

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.queue: asyncio.Queue = asyncio.Queue()
        self.pending = 0
        self.lock = threading.Lock()
        self.idle = threading.Event()
        self.idle.set()
        threading.Thread(target=self._run, name="realtime-publisher", daemon=True).start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.create_task(self._consume())
        self.loop.run_forever()

    def submit(self, layer, group: str, message: dict[str, Any], merge: Merge | None) -> None:
        with self.lock:
            if self.pending >= MAX_PENDING:
                logger.warning(
                    "websocket publisher is %d messages behind; dropped one for %s", self.pending, group
                )
                return
            self.pending += 1
            self.idle.clear()
        self.loop.call_soon_threadsafe(self.queue.put_nowait, (layer, group, message, merge))

    async def _consume(self) -> None:
        held = None
        while True:
            layer, group, message, merge = held or await self.queue.get()
            held, taken = None, 1
            if merge is not None and self.queue.empty():
                await asyncio.sleep(MERGE_WINDOW_SECONDS)
            # Fold in what is already waiting for the same group, while the caller allows it.
            while merge is not None and not self.queue.empty():
                nxt = self.queue.get_nowait()
                same = nxt[0] is layer and nxt[1] == group and nxt[3] is merge
                merged = merge(message["event"], nxt[2]["event"]) if same else None
                if merged is None:
                    held = nxt
                    break
                message = {**message, "event": merged}
                taken += 1
            try:
                await layer.group_send(group, message)
            except Exception:
                # The write is already committed; a lost live update must not break anything.
                logger.exception("websocket publish to %s failed", group)
            finally:
                with self.lock:
                    self.pending -= taken
                    if self.pending == 0:
                        self.idle.set()

    def flush(self, timeout: float) -> bool:
        """Wait until every queued message has been sent; False when ``timeout`` ran out."""
        return self.idle.wait(timeout)


_publisher: _Publisher | None = None
_publisher_lock = threading.Lock()


def _get_publisher() -> _Publisher:
    global _publisher
    with _publisher_lock:
        if _publisher is None or _publisher.loop.is_closed():
            _publisher = _Publisher()
        return _publisher


def _forget_publisher_in_child() -> None:
    # A forked child (Celery prefork) inherits the queue but not the thread that drains it.
    global _publisher, _publisher_lock
    _publisher, _publisher_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_publisher_in_child)


def publish_flush(timeout: float = EXIT_FLUSH_SECONDS) -> bool:
    """Wait for this process's queued websocket messages to leave (at exit, and in tests)."""
    return _publisher.flush(timeout) if _publisher is not None else True


@atexit.register
def _flush_at_exit() -> None:
    # A management command or Celery task that publishes and exits must not lose the message
    # sitting in the daemon thread's queue.
    if _publisher is not None and not publish_flush():
        logger.warning("websocket publisher: %d message(s) not sent before exit", _publisher.pending)


def _in_event_loop_thread() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def publish_now(group: str, event: dict[str, Any], *, merge: Merge | None = None) -> None:
    """Send ``event`` to ``group``. From sync code on channels-redis it is queued and sent by
    the publisher thread, in order; ``merge(a, b)`` may fold two queued events of the group
    into one (or return None to keep them apart)."""
    _send(group, {"type": "push.event", "group": group, "event": event}, merge)


def _send(group: str, message: dict[str, Any], merge: Merge | None = None) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        if layer.__class__.__module__.startswith("channels_redis") and not _in_event_loop_thread():
            _get_publisher().submit(layer, group, message, merge)
        else:
            # The in-memory layer's queues belong to the loop that reads them: publish there.
            async_to_sync(layer.group_send)(group, message)
    except Exception:
        # The write is already committed; a lost live update must not turn it into a 500.
        logger.exception("websocket publish to %s failed", group)


def publish_on_commit(
    group: str, event: dict[str, Any], *, using: str | None = None, merge: Merge | None = None
) -> None:
    transaction.on_commit(lambda: publish_now(group, event, merge=merge), using=using)


# --- Control messages to a user's open sockets (community.consumers acts on them) -------------


def sockets_end_on_commit(user_id: int, *, session_key: str | None = None) -> None:
    """After commit, close the user's websockets: those of one session (a logout) or all of them
    (``session_key=None``: "log out everywhere", a password or identity change)."""
    message = {"type": "session.end", "session_key": session_key}
    transaction.on_commit(lambda: _send(group_for_user(user_id), message))


def sockets_recheck_on_commit(user_id: int) -> None:
    """After commit, make the user's websockets re-check every group they joined (a role was
    removed, the account was deactivated) and leave those no longer allowed."""
    transaction.on_commit(lambda: _send(group_for_user(user_id), {"type": "rights.changed"}))
