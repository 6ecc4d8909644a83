"""Websocket events, published only after the surrounding transaction commits.

As Zulip's ``send_event_on_commit``: a rolled-back write never reaches a browser, and a
committed one always does.
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def group_for_user(user_id: int) -> str:
    return f"user.{user_id}"


def group_for_estate(estate_id: int, topic: str) -> str:
    return f"estate.{estate_id}.{topic}"


def publish_now(group: str, event: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, {"type": "push.event", "group": group, "event": event})
    except Exception:
        # The write is already committed; a lost live update must not turn it into a 500.
        logger.exception("websocket publish to %s failed", group)


def publish_on_commit(group: str, event: dict[str, Any], *, using: str | None = None) -> None:
    transaction.on_commit(lambda: publish_now(group, event), using=using)
