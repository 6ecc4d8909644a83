"""The /ws/ endpoint: a client can join only the groups it is allowed to see, and bad frames
get an error answer instead of killing the connection."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from community import consumers
from community.consumers import EventsConsumer
from community.realtime import group_for_user, publish_now

pytestmark = pytest.mark.django_db(transaction=True)


async def _connect(user) -> WebsocketCommunicator:
    socket = WebsocketCommunicator(EventsConsumer.as_asgi(), "/ws/")
    socket.scope["user"] = user
    connected, _code = await socket.connect()
    assert connected
    return socket


def _run(scenario):
    async_to_sync(scenario)()


def test_anonymous_is_refused():
    async def scenario():
        socket = WebsocketCommunicator(EventsConsumer.as_asgi(), "/ws/")
        socket.scope["user"] = AnonymousUser()
        connected, code = await socket.connect()
        assert not connected and code == 4401

    _run(scenario)


def test_own_user_group_is_joined_and_receives_events(household_a):
    user, _unit = household_a

    async def scenario():
        socket = await _connect(user)
        await socket.send_json_to({"action": "subscribe", "group": group_for_user(user.pk)})
        assert await socket.receive_json_from(timeout=3) == {"subscribed": group_for_user(user.pk)}
        from channels.db import database_sync_to_async

        await database_sync_to_async(publish_now)(group_for_user(user.pk), {"type": "hello"})
        assert (await socket.receive_json_from(timeout=3))["event"] == {"type": "hello"}
        await socket.disconnect()

    _run(scenario)


@pytest.mark.parametrize(
    "group",
    ["user.{other}", "user.{other}0", "user.", "nosuchprefix.1", "estate.{estate}.secret", "", "user.{me}.x"],
)
def test_other_peoples_and_unknown_groups_are_forbidden(household_a, household_b, estate_b, group):
    user, _unit = household_a
    other, _unit_b = household_b
    group = group.format(other=other.pk, estate=estate_b.pk, me=user.pk)

    async def scenario():
        socket = await _connect(user)
        await socket.send_json_to({"action": "subscribe", "group": group})
        answer = await socket.receive_json_from(timeout=3)
        assert answer["error"] in ("forbidden", "invalid_group"), answer
        # Nothing published to that group reaches this socket.
        await socket.disconnect()

    _run(scenario)


def test_events_of_another_user_do_not_arrive(household_a, household_b):
    user, _unit = household_a
    other, _unit_b = household_b

    async def scenario():
        from channels.db import database_sync_to_async

        socket = await _connect(user)
        await socket.send_json_to({"action": "subscribe", "group": group_for_user(other.pk)})
        assert (await socket.receive_json_from(timeout=3))["error"] == "forbidden"
        await database_sync_to_async(publish_now)(group_for_user(other.pk), {"type": "secret"})
        assert await socket.receive_nothing(timeout=0.3)
        await socket.disconnect()

    _run(scenario)


@pytest.mark.parametrize(
    "frame",
    [
        "{not json",
        "[1, 2]",
        '"subscribe"',
        "null",
        '{"action": "subscribe", "group": 5}',
        '{"action": "dance"}',
    ],
)
def test_bad_frames_get_an_error_and_the_connection_stays_usable(household_a, frame):
    user, _unit = household_a

    async def scenario():
        socket = await _connect(user)
        await socket.send_to(text_data=frame)
        answer = await socket.receive_json_from(timeout=3)
        assert "error" in answer
        await socket.send_json_to({"action": "subscribe", "group": group_for_user(user.pk)})
        assert await socket.receive_json_from(timeout=3) == {"subscribed": group_for_user(user.pk)}
        await socket.disconnect()

    _run(scenario)


def test_binary_frame_gets_an_error(household_a):
    user, _unit = household_a

    async def scenario():
        socket = await _connect(user)
        await socket.send_to(bytes_data=b"\x00\x01")
        assert "error" in await socket.receive_json_from(timeout=3)
        await socket.disconnect()

    _run(scenario)


@pytest.mark.parametrize("group", ["probe.٣", "probe." + "x" * 120, "probe.a b", "probe.é"])
def test_group_names_the_channel_layer_rejects_are_refused_not_crashed(household_a, monkeypatch, group):
    # An app's authoriser may be lenient (int("٣") == 3); the consumer checks the name itself.
    monkeypatch.setitem(consumers._AUTHORISERS, "probe.", [lambda user, group: True])
    user, _unit = household_a

    async def scenario():
        socket = await _connect(user)
        await socket.send_json_to({"action": "subscribe", "group": group})
        assert (await socket.receive_json_from(timeout=3))["error"] == "invalid_group"
        await socket.disconnect()

    _run(scenario)


def test_a_failing_authoriser_is_a_refusal(household_a, monkeypatch):
    def broken(user, group):
        raise RuntimeError("bug in an app's authoriser")

    monkeypatch.setitem(consumers._AUTHORISERS, "probe.", [broken])
    user, _unit = household_a

    async def scenario():
        socket = await _connect(user)
        await socket.send_json_to({"action": "subscribe", "group": "probe.1"})
        assert (await socket.receive_json_from(timeout=3))["error"] == "forbidden"
        await socket.disconnect()

    _run(scenario)


def test_apps_sharing_a_prefix_each_authorise_their_own_groups(household_a, monkeypatch):
    # e.g. access owns "estate.<id>.access" and parking "estate.<id>.parking" under "estate."
    monkeypatch.setitem(
        consumers._AUTHORISERS,
        "probe.",
        [
            lambda user, group: group.endswith(".access"),
            lambda user, group: group.endswith(".parking"),
        ],
    )
    user, _unit = household_a
    assert consumers.can_subscribe(user, "probe.1.access")
    assert consumers.can_subscribe(user, "probe.1.parking")
    assert not consumers.can_subscribe(user, "probe.1.private")


def test_a_role_removed_while_connected_stops_new_subscriptions(manager_a, estate_a, monkeypatch):
    from community.residents.models import StaffMembership
    from community.residents.services import staff_membership_delete
    from community.scoping import staff_estate_ids

    monkeypatch.setitem(consumers._AUTHORISERS, "probe.", [lambda user, group: bool(staff_estate_ids(user))])

    async def scenario():
        from channels.db import database_sync_to_async

        socket = await _connect(manager_a)
        await socket.send_json_to({"action": "subscribe", "group": "probe.1"})
        assert await socket.receive_json_from(timeout=3) == {"subscribed": "probe.1"}

        def remove_role():
            for membership in StaffMembership.objects.filter(user=manager_a):
                staff_membership_delete(by=None, membership=membership)

        await database_sync_to_async(remove_role)()
        # The role change reaches the open socket at once: it leaves the group it joined...
        assert await socket.receive_json_from(timeout=3) == {"error": "unsubscribed", "group": "probe.1"}
        # ...and cannot join another.
        await socket.send_json_to({"action": "subscribe", "group": "probe.2"})
        assert (await socket.receive_json_from(timeout=3))["error"] == "forbidden"
        await socket.disconnect()

    _run(scenario)


def test_a_deactivated_account_cannot_subscribe(household_a, monkeypatch):
    monkeypatch.setitem(consumers._AUTHORISERS, "probe.", [lambda user, group: True])
    user, _unit = household_a
    type(user).objects.filter(pk=user.pk).update(is_active=False)

    assert not consumers.can_subscribe(user, "probe.1")
    assert not consumers.can_subscribe(user, group_for_user(user.pk))
