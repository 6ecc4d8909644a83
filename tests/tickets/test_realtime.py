"""Live status: each change is pushed to the ticket's group after the commit, never before,
and internal notes never reach the group residents listen to."""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from community.tickets import services

pytestmark = pytest.mark.django_db


def _listen(group: str):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(group, channel)

    async def drain():
        found = []
        while True:
            try:
                found.append(await asyncio.wait_for(layer.receive(channel), timeout=0.1))
            except TimeoutError:
                return found

    return lambda: async_to_sync(drain)()


def test_status_changes_are_pushed_after_commit(
    ticket_a, desk_a, technician_a, django_capture_on_commit_callbacks
):
    received = _listen(f"ticket.{ticket_a.pk}")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.ticket_assign(ticket=ticket_a, technician=technician_a, by=desk_a)
        assert received() == []
    for callback in callbacks:
        callback()
    [message] = [m for m in received() if m["event"]["type"] == "ticket.changed"]
    assert message["event"]["status"] == "assigned" and message["event"]["version"] == 2
    json.dumps(message)  # what reaches the browser (and Redis) must be plain JSON, no lazy strings


def test_internal_notes_are_not_pushed(ticket_a, desk_a, django_capture_on_commit_callbacks):
    received = _listen(f"ticket.{ticket_a.pk}")
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_comment(ticket=ticket_a, by=desk_a, body="内部备注", internal=True)
    assert received() == []
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_comment(ticket=ticket_a, by=desk_a, body="明天上门", internal=False)
    [message] = received()
    assert message["event"]["event"]["body"] == "明天上门"
