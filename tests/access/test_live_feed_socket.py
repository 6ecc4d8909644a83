"""The live gate feed over the real websocket consumer: staff of the estate subscribe and
receive events after the commit; others are refused."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from community.consumers import EventsConsumer
from tests.access.conftest import NATIVE_TOKEN

pytestmark = pytest.mark.django_db


def test_staff_receive_gate_events_live_and_others_are_refused(
    native_device, manager_a, manager_b, device_client, django_capture_on_commit_callbacks
):
    group = f"estate.{native_device.estate_id}.access"

    def post_event():
        with django_capture_on_commit_callbacks(execute=True):
            device_client.post(
                "/api/v1/devices/events",
                content_type="application/json",
                data={
                    "event_id": "live-1",
                    "occurred_at": timezone.now().isoformat(),
                    "result": "denied",
                    "method": "card",
                    "direction": "in",
                },
                HTTP_AUTHORIZATION=f"Bearer {NATIVE_TOKEN}",
            )

    async def scenario():
        staff = WebsocketCommunicator(EventsConsumer.as_asgi(), "/ws/")
        staff.scope["user"] = manager_a
        assert (await staff.connect())[0]
        await staff.send_json_to({"action": "subscribe", "group": group})
        assert await staff.receive_json_from(timeout=3) == {"subscribed": group}

        stranger = WebsocketCommunicator(EventsConsumer.as_asgi(), "/ws/")
        stranger.scope["user"] = manager_b
        assert (await stranger.connect())[0]
        await stranger.send_json_to({"action": "subscribe", "group": group})
        assert (await stranger.receive_json_from(timeout=3))["error"] == "forbidden"

        await sync_to_async(post_event)()
        first = await staff.receive_json_from(timeout=3)  # the device came online with this message
        assert first["event"]["type"] == "device.status" and first["event"]["online"] is True
        message = await staff.receive_json_from(timeout=3)
        assert message["group"] == group and message["event"]["type"] == "access.events"
        assert message["event"]["events"][0]["result"] == "denied"
        assert await stranger.receive_nothing(timeout=0.2)
        await staff.disconnect()
        await stranger.disconnect()

    async_to_sync(scenario)()
