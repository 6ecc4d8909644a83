"""publish_now over channels-redis from sync code (the WSGI path in production)."""

import os
import time

import pytest
from asgiref.sync import async_to_sync
from channels.layers import channel_layers, get_channel_layer

from community.realtime import MERGE_WINDOW_SECONDS, publish_flush, publish_now

REDIS = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_layer(settings):
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"no Redis at {REDIS}")
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [REDIS]}}
    }
    channel_layers.backends.clear()
    yield get_channel_layer()
    channel_layers.backends.clear()


def test_events_published_from_sync_code_arrive_in_order_through_redis(redis_layer):
    group = "estate.4242.access"

    async def join():
        channel = await redis_layer.new_channel()
        await redis_layer.group_add(group, channel)
        return channel

    channel = async_to_sync(join)()
    for n in range(3):
        publish_now(group, {"n": n})

    async def read(count):
        return [(await redis_layer.receive(channel))["event"]["n"] for _ in range(count)]

    assert async_to_sync(read)(3) == [0, 1, 2]
    async_to_sync(redis_layer.group_discard)(group, channel)


def _merge_counts(first, second):
    return {"n": first["n"] + second["n"], "ids": first["ids"] + second["ids"]}


def test_queued_mergeable_events_arrive_in_order_and_none_is_lost(redis_layer):
    # The publisher folds messages of a group that queue up while Redis is busy; what reaches
    # the browser must still add up to every event, in commit order.
    group = "estate.4243.access"

    async def join():
        channel = await redis_layer.new_channel()
        await redis_layer.group_add(group, channel)
        return channel

    channel = async_to_sync(join)()
    for n in range(200):
        publish_now(group, {"n": 1, "ids": [n]}, merge=_merge_counts)
    assert publish_flush(10)

    async def read_all():
        got = []
        while sum(m["n"] for m in got) < 200:
            got.append((await redis_layer.receive(channel))["event"])
        return got

    messages = async_to_sync(read_all)()
    assert [i for m in messages for i in m["ids"]] == list(range(200))
    async_to_sync(redis_layer.group_discard)(group, channel)


def test_mergeable_events_of_a_moment_leave_together(redis_layer):
    """Each group_send costs the web process two Redis round trips: messages a caller allows to
    be merged wait MERGE_WINDOW_SECONDS for others of their group, so a busy gate's reads of
    one moment cost a send or two, not one each — in order, none lost."""
    from parking.services.reads import merge_live_reads

    group = "estate.4244.parking"
    channel = async_to_sync(_join)(redis_layer, group)
    plates = [f"湘A{n:05d}" for n in range(20)]
    started = time.monotonic()
    for plate in plates:
        publish_now(group, {"type": "parking.read", "plate": plate}, merge=merge_live_reads)
    # A batch leaves one window after its first message: a loop slower than a window (a loaded
    # machine: 20 publishes took over 50 ms in a full run) is allowed one more batch per window.
    windows = int((time.monotonic() - started) / MERGE_WINDOW_SECONDS)
    assert publish_flush(10)
    publish_now(group, {"type": "parking.occupancy", "occupancy": {"lot": 1}})
    assert publish_flush(10)

    async def read_until_occupancy():
        got = []
        while not got or got[-1]["type"] != "parking.occupancy":
            got.append((await redis_layer.receive(channel))["event"])
        return got

    messages = async_to_sync(read_until_occupancy)()
    reads = messages[:-1]
    received = [r["plate"] for m in reads for r in (m["reads"] if m["type"] == "parking.reads" else [m])]
    assert received == plates
    assert len(reads) <= 2 + windows, [len(m.get("reads", [m])) for m in reads]
    assert len(reads) < len(plates)
    assert reads[0]["type"] == "parking.reads"
    async_to_sync(redis_layer.group_discard)(group, channel)


async def _join(layer, group: str) -> str:
    channel = await layer.new_channel()
    await layer.group_add(group, channel)
    return channel
