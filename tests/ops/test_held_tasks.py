"""Redis down when a committed request enqueues its follow-up task (delay_on_commit): the request
answers as usual, the task is kept (HeldTask) and logged, and is sent once Redis is back.

The broker is a redis-server of this module's own on a free port (never the machine's), stopped
and started by the tests; Celery is switched from the suite's eager mode to that broker.
"""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest
import redis
from celery import current_app
from django.urls import reverse
from django.utils import timezone

from community.notifications.models import Notification
from community.ops.models import HeldTask
from community.ops.services import held_tasks_send
from community.ops.tasks import heartbeat
from community.voting import services as voting
from community.voting.models import Meeting
from tests.voting.conftest import EstateBuilder

from .conftest import require_tools


def _forget_connections() -> None:
    """Celery and kombu cache connection and producer pools per broker: drop them."""
    from kombu import pools

    current_app._pool = None
    current_app.amqp._producer_pool = None
    pools.reset()


@pytest.fixture
def broker(private_redis):
    """Celery sends to the private Redis for real (not eagerly), as in production."""
    require_tools(nginx=False)
    conf = current_app.conf
    saved = conf.broker_url, conf.task_always_eager
    conf.broker_url, conf.task_always_eager = private_redis.url, False
    _forget_connections()
    queue = redis.Redis.from_url(private_redis.url)
    queue.delete("celery")
    try:
        yield queue
    finally:
        conf.broker_url, conf.task_always_eager = saved
        _forget_connections()
        if private_redis.proc is None:
            private_redis.start()


def _queued(queue: redis.Redis) -> list[dict]:
    return [json.loads(raw) for raw in reversed(queue.lrange("celery", 0, -1))]


def _draft_meeting(build: EstateBuilder, by) -> Meeting:
    meeting = Meeting.objects.create(
        estate=build.estate,
        title="2026年第二次业主大会",
        voting_opens_at=timezone.now() + dt.timedelta(days=20),
        voting_closes_at=timezone.now() + dt.timedelta(days=27),
        created_by=by,
    )
    voting.motion_create(meeting=meeting, title="续聘物业", text="请表决。", matter=4, by=by)
    return meeting


@pytest.mark.django_db(transaction=True)
def test_notice_published_while_redis_is_down_is_answered_and_its_roll_notification_held_then_sent(
    broker, private_redis, estate_a, manager_a, client_for, caplog
):
    build = EstateBuilder(estate_a)
    owner, _unit = build.owner()
    meeting = _draft_meeting(build, manager_a)
    client = client_for(manager_a)

    private_redis.stop()
    with caplog.at_level(logging.WARNING, logger="community.ops.held"):
        response = client.post(
            reverse("admin:voting_meeting_changelist"),
            {"action": "publish_notice", "_selected_action": [meeting.pk]},
        )
    # The notice is stored and the manager gets the admin's usual redirect, not a 500.
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == "noticed"
    held = HeldTask.objects.get()
    assert (held.task, held.args, held.kwargs) == ("voting.notify_roll", [meeting.pk, "notice"], {})
    assert held.request_id == response["X-Request-ID"]
    assert "Error" in held.reason and held.attempts == 1
    assert f"HeldTask {held.pk}" in caplog.text and "voting.notify_roll" in caplog.text
    assert not Notification.objects.exists()

    # Still down: the beat job tries, keeps the row and counts the attempt.
    assert held_tasks_send(by="test")["failed"] == 1
    held.refresh_from_db()
    assert held.attempts == 2

    private_redis.start()
    assert held_tasks_send(by="test") == {"sent": 1, "expired": 0, "failed": 0, "left": 0}
    [message] = _queued(broker)
    assert message["headers"]["task"] == "voting.notify_roll"
    assert message["headers"]["request_id"] == response["X-Request-ID"]  # the request's id travels on
    # What a worker does with it: the owner on the roll is told, once.
    args, kwargs, _embed = json.loads(__import__("base64").b64decode(message["body"]))
    current_app.tasks["voting.notify_roll"].apply(args, kwargs)
    assert list(Notification.objects.values_list("recipient", "verb")) == [(owner.user_id, "voting.notice")]


@pytest.mark.django_db(transaction=True)
def test_a_held_task_past_its_expiry_is_dropped_not_sent_late(broker, private_redis):
    private_redis.stop()
    from django.db import transaction

    with transaction.atomic():
        heartbeat.apply_async_on_commit(kwargs={"marker": "late"}, expires=1)
        heartbeat.apply_async_on_commit(kwargs={"marker": "patient"}, expires=3600, queue="celery")
    assert HeldTask.objects.count() == 2
    HeldTask.objects.filter(kwargs__marker="late").update(
        options={"expires": (timezone.now() - dt.timedelta(seconds=1)).isoformat()}
    )
    private_redis.start()
    assert held_tasks_send(by="test") == {"sent": 1, "expired": 1, "failed": 0, "left": 0}
    [message] = _queued(broker)
    assert message["headers"]["task"] == "ops.heartbeat" and message["headers"]["expires"]


@pytest.mark.django_db(transaction=True)
def test_a_task_sent_while_redis_is_up_is_not_held(broker):
    from django.db import transaction

    with transaction.atomic():
        heartbeat.delay_on_commit(marker="up")
        assert _queued(broker) == []  # nothing before the commit
    assert [m["headers"]["task"] for m in _queued(broker)] == ["ops.heartbeat"]
    assert not HeldTask.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_held_task_whose_name_is_gone_is_kept_for_an_operator(broker):
    HeldTask.objects.create(task="renamed.by_a_deploy", held_by="test")
    assert held_tasks_send(by="test") == {"sent": 0, "expired": 0, "failed": 1, "left": 1}
    assert "no task named" in HeldTask.objects.get().reason


@pytest.mark.django_db(transaction=True)
def test_a_barrier_open_held_while_redis_is_down_expires_within_30_seconds(broker, private_redis):
    # A barrier lifted minutes late, when Redis is back, would let the next car through.
    from django.db import transaction

    from parking.common import barrier_open_on_commit

    private_redis.stop()
    before = timezone.now()
    with transaction.atomic():
        barrier_open_on_commit(987654, None, "test")
    held = HeldTask.objects.get()
    assert held.task == "parking.barrier_open"
    expires = dt.datetime.fromisoformat(held.options["expires"])
    assert before < expires <= before + dt.timedelta(seconds=31)
