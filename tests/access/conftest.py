from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.test import Client

from tests.factories import DeviceFactory, GateFactory

NATIVE_TOKEN = "native-test-token-0001"


@pytest.fixture
def gate_a(estate_a):
    return GateFactory(estate=estate_a, name="南门")


@pytest.fixture
def native_device(estate_a, gate_a):
    return DeviceFactory(estate=estate_a, gate=gate_a, name="南门人脸机", token=NATIVE_TOKEN)


@pytest.fixture
def device_client():
    """A client that, like a real device, has no session and is held to CSRF checks."""
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def native_post(device_client):
    def post(path, body, *, token=NATIVE_TOKEN, raw=False):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        import json

        data = body if raw else json.dumps(body)
        return device_client.post(path, data=data, content_type="application/json", **headers)

    return post


@pytest.fixture
def feed():
    """Collect what the live feed publishes to a group: ``messages = feed("estate.1.access")``."""
    layer = get_channel_layer()
    channels = []

    def listen(group):
        channel = async_to_sync(layer.new_channel)()
        async_to_sync(layer.group_add)(group, channel)
        channels.append(channel)

        def received():
            out = []
            while True:
                try:
                    message = async_to_sync(_receive_nowait)(layer, channel)
                except TimeoutError:
                    return out
                out.append(message["event"])

        return received

    return listen


async def _receive_nowait(layer, channel):
    import asyncio

    return await asyncio.wait_for(layer.receive(channel), timeout=0.05)
