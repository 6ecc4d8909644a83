"""Issue #15 item 10: a websocket subscription does not outlive the rights it was granted for.

A logout closes that session's sockets, "log out everywhere" all of them, a role change makes
the sockets re-check their groups at once, and every event of a group other than the user's
own is delivered only after a fresh check (at most ``WEBSOCKET_RECHECK_SECONDS`` old).
"""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client

from community import consumers
from community.accounts import services
from community.consumers import EventsConsumer
from community.realtime import publish_now

pytestmark = pytest.mark.django_db(transaction=True)


def _browser(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


async def _socket(user, browser: Client) -> WebsocketCommunicator:
    """A socket as channels' AuthMiddlewareStack opens it: with the browser's session."""
    socket = WebsocketCommunicator(EventsConsumer.as_asgi(), "/ws/")
    socket.scope["user"] = user
    socket.scope["session"] = SessionStore(session_key=browser.session.session_key)
    connected, _code = await socket.connect()
    assert connected
    return socket


async def _closed_with(socket) -> int:
    output = await socket.receive_output(timeout=3)
    assert output["type"] == "websocket.close", output
    return output["code"]


@pytest.fixture
def probe(monkeypatch):
    """A group prefix whose authoriser answers from a switch the test flips."""
    allowed = {"yes": True}
    monkeypatch.setitem(consumers._AUTHORISERS, "probe.", [lambda user, group: allowed["yes"]])
    return allowed


def test_logging_out_closes_that_sessions_socket_only(household_a):
    user, _unit = household_a

    async def scenario():
        phone, laptop = (
            await database_sync_to_async(_browser)(user),
            await database_sync_to_async(_browser)(user),
        )
        on_phone, on_laptop = await _socket(user, phone), await _socket(user, laptop)
        await database_sync_to_async(phone.post)("/accounts/logout/")
        assert await _closed_with(on_phone) == 4401
        assert await on_laptop.receive_nothing(timeout=0.3)
        await on_laptop.disconnect()

    async_to_sync(scenario)()


def test_logout_everywhere_closes_every_socket(household_a):
    user, _unit = household_a

    async def scenario():
        browsers = [await database_sync_to_async(_browser)(user) for _ in range(2)]
        sockets = [await _socket(user, b) for b in browsers]
        await database_sync_to_async(services.user_logout_everywhere)(user=user, by=user)
        for socket in sockets:
            assert await _closed_with(socket) == 4401

    async_to_sync(scenario)()


def test_a_group_whose_right_is_gone_is_left_before_the_next_event(household_a, probe, settings):
    settings.WEBSOCKET_RECHECK_SECONDS = 0
    user, _unit = household_a

    async def scenario():
        socket = await _socket(user, await database_sync_to_async(_browser)(user))
        await socket.send_json_to({"action": "subscribe", "group": "probe.1"})
        assert await socket.receive_json_from(timeout=3) == {"subscribed": "probe.1"}
        await database_sync_to_async(publish_now)("probe.1", {"n": 1})
        assert (await socket.receive_json_from(timeout=3))["event"] == {"n": 1}

        probe["yes"] = False  # the right ends without any signal reaching the socket
        await database_sync_to_async(publish_now)("probe.1", {"n": 2})
        assert await socket.receive_json_from(timeout=3) == {"error": "unsubscribed", "group": "probe.1"}
        await database_sync_to_async(publish_now)("probe.1", {"n": 3})
        assert await socket.receive_nothing(timeout=0.3)
        await socket.disconnect()

    async_to_sync(scenario)()


def test_a_password_changed_elsewhere_ends_the_socket_at_its_next_event(household_a, probe, settings):
    settings.WEBSOCKET_RECHECK_SECONDS = 0
    user, _unit = household_a

    async def scenario():
        socket = await _socket(user, await database_sync_to_async(_browser)(user))
        await socket.send_json_to({"action": "subscribe", "group": "probe.1"})
        assert await socket.receive_json_from(timeout=3) == {"subscribed": "probe.1"}

        def change_password():
            user.set_password("Another-Long-Pass-9")
            user.save()

        await database_sync_to_async(change_password)()
        await database_sync_to_async(publish_now)("probe.1", {"n": 1})
        assert await _closed_with(socket) == 4401

    async_to_sync(scenario)()


def test_within_the_recheck_window_a_checked_group_keeps_flowing(household_a, probe, settings):
    settings.WEBSOCKET_RECHECK_SECONDS = 3600
    user, _unit = household_a

    async def scenario():
        socket = await _socket(user, await database_sync_to_async(_browser)(user))
        await socket.send_json_to({"action": "subscribe", "group": "probe.1"})
        assert await socket.receive_json_from(timeout=3) == {"subscribed": "probe.1"}
        probe["yes"] = False
        # Checked moments ago: delivered (the window bounds how stale a right may be).
        await database_sync_to_async(publish_now)("probe.1", {"n": 1})
        assert (await socket.receive_json_from(timeout=3))["event"] == {"n": 1}
        await socket.disconnect()

    async_to_sync(scenario)()
