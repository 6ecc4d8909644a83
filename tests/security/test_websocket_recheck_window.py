"""Issue #15 item 10, the promised window: a right revoked with no signal reaching an open
websocket (nothing published to its groups either) is cut within ``WEBSOCKET_RECHECK_SECONDS``.

The window is shortened to 1 s here and measured with a real clock: the socket must be closed
or the group left after the window and before the window plus the re-check's own time.
"""

from __future__ import annotations

import time

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.test import Client

from community import consumers
from community.accounts.roles import StaffRole
from community.consumers import EventsConsumer
from community.realtime import group_for_estate
from community.residents.models import StaffMembership
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db(transaction=True)

WINDOW = 1.0
# The re-check runs in a thread and queries the database; on this shared machine (load ~10)
# that can take a while. The window itself is the property under test, not this slack.
SLACK = 4.0


def _browser(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


async def _socket(user) -> tuple[WebsocketCommunicator, Client]:
    browser = await database_sync_to_async(_browser)(user)
    socket = WebsocketCommunicator(EventsConsumer.as_asgi(), "/ws/")
    socket.scope["user"] = user
    socket.scope["session"] = SessionStore(session_key=browser.session.session_key)
    connected, _code = await socket.connect()
    assert connected
    return socket, browser


def test_the_default_window_is_the_promised_30_seconds():
    assert consumers._recheck_seconds() == 30


def test_a_session_deleted_from_the_store_closes_a_quiet_socket_within_the_window(household_a, settings):
    settings.WEBSOCKET_RECHECK_SECONDS = WINDOW
    user, _unit = household_a

    async def scenario():
        socket, browser = await _socket(user)
        started = time.monotonic()
        # Revoked behind the platform's back: no logout signal, no event on any group.
        await database_sync_to_async(Session.objects.filter(session_key=browser.session.session_key).delete)()
        output = await socket.receive_output(timeout=WINDOW + SLACK)
        elapsed = time.monotonic() - started
        assert output == {"type": "websocket.close", "code": 4401}
        assert elapsed < WINDOW + SLACK
        await socket.wait()

    async_to_sync(scenario)()


def test_a_role_removed_without_a_signal_leaves_the_staff_group_within_the_window(estate_a, settings):
    settings.WEBSOCKET_RECHECK_SECONDS = WINDOW
    guard = StaffFactory(estate=estate_a, role=StaffRole.SECURITY)
    group = group_for_estate(estate_a.pk, "access")

    async def scenario():
        socket, _browser = await _socket(guard)
        await socket.send_json_to({"action": "subscribe", "group": group})
        assert await socket.receive_json_from(timeout=5) == {"subscribed": group}
        # A bulk update sends no signal: only the timer can notice.
        await database_sync_to_async(StaffMembership.objects.filter(user=guard, estate=estate_a).update)(
            role=StaffRole.ELDERCARE_WORKER
        )
        started = time.monotonic()
        message = await socket.receive_json_from(timeout=WINDOW + SLACK)
        assert message == {"error": "unsubscribed", "group": group}
        assert time.monotonic() - started < WINDOW + SLACK
        # The socket itself stays: the session is still good, only the right went.
        assert await socket.receive_nothing(timeout=0.3)
        await socket.disconnect()

    async_to_sync(scenario)()


def test_a_socket_whose_rights_hold_is_not_cut_by_the_timer(household_a, settings):
    settings.WEBSOCKET_RECHECK_SECONDS = WINDOW
    user, _unit = household_a

    async def scenario():
        socket, _browser = await _socket(user)
        # Three windows pass; nothing is sent and nothing is closed.
        assert await socket.receive_nothing(timeout=3 * WINDOW, interval=0.1)
        await socket.disconnect()

    async_to_sync(scenario)()
