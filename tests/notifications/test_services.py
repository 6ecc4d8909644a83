"""notification_send: inbox rows now, websocket pushes and SMS only after the commit."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.test import override_settings
from django.urls import reverse

from community.accounts.sms import LogSMSBackend
from community.notifications.models import Notification
from community.notifications.selectors import unread_count
from community.notifications.services import notification_send
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


class Listener:
    """A channel subscribed to a user's group on the real (in-memory) channel layer."""

    def __init__(self, user):
        self.layer = get_channel_layer()
        self.channel = async_to_sync(self.layer.new_channel)()
        async_to_sync(self.layer.group_add)(f"user.{user.pk}", self.channel)

    def messages(self) -> list[dict]:
        async def drain():
            found = []
            while True:
                try:
                    found.append(await asyncio.wait_for(self.layer.receive(self.channel), timeout=0.1))
                except TimeoutError:
                    return found

        return async_to_sync(drain)()


@pytest.fixture(autouse=True)
def clean_outbox():
    LogSMSBackend.outbox.clear()
    yield
    LogSMSBackend.outbox.clear()


def test_send_creates_inbox_rows_and_publishes_after_commit(django_capture_on_commit_callbacks):
    alice, bob = UserFactory(), UserFactory(email="bob@example.com")
    listener = Listener(alice)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        rows = notification_send(
            recipients=[alice, bob, alice, None],
            verb="ticket.assigned",
            title="工单已派给您",
            body="3栋漏水",
            url="/worker/",
        )
        assert len(rows) == 2  # duplicates and None dropped
        assert Notification.objects.filter(recipient=alice, title="工单已派给您").count() == 1
        assert listener.messages() == []  # nothing pushed before the commit
        assert LogSMSBackend.outbox == []
    for callback in callbacks:
        callback()
    [message] = listener.messages()
    assert message["event"]["title"] == "工单已派给您" and message["group"] == f"user.{alice.pk}"
    assert {m["phone"] for m in LogSMSBackend.outbox} == {str(alice.phone), str(bob.phone)}


def test_nothing_is_sent_when_the_transaction_rolls_back(django_capture_on_commit_callbacks):
    alice = UserFactory()
    listener = Listener(alice)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        notification_send(recipients=[alice], verb="x", title="不该发出")
        raise RuntimeError("the surrounding write failed")
    assert callbacks == []
    assert Notification.objects.count() == 0
    assert listener.messages() == []
    assert LogSMSBackend.outbox == []


def test_inactive_users_get_nothing():
    ghost = UserFactory(is_active=False)
    assert notification_send(recipients=[ghost], verb="x", title="t") == []


@override_settings(NOTIFICATION_BACKENDS=["community.notifications.backends.EmailBackend"])
def test_email_backend_is_pluggable(django_capture_on_commit_callbacks, mailoutbox):
    user = UserFactory(email="wang@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(recipients=[user], verb="x", title="您的工单已处理", body="请确认")
    assert [m.subject for m in mailoutbox] == ["您的工单已处理"]
    assert LogSMSBackend.outbox == []


def test_failing_backend_does_not_break_the_write(django_capture_on_commit_callbacks):
    user = UserFactory()
    with (
        override_settings(NOTIFICATION_BACKENDS=["tests.notifications.test_services.BrokenBackend"]),
        django_capture_on_commit_callbacks(execute=True),
    ):
        notification_send(recipients=[user], verb="x", title="t")
    assert Notification.objects.filter(recipient=user).exists()


class BrokenBackend:
    def deliver(self, notification):
        raise ConnectionError("gateway down")


@pytest.mark.urls("tests.notifications.urls")
def test_mark_read_and_inbox_page(client_for):
    user, other = UserFactory(), UserFactory()
    [mine] = notification_send(recipients=[user], verb="x", title="我的消息", url="/portal/tickets/")
    notification_send(recipients=[other], verb="x", title="别人的消息")
    assert unread_count(user) == 1
    client = client_for(user)
    url = reverse("notifications:index")
    page = client.get(url).content.decode()
    assert "我的消息" in page and "别人的消息" not in page
    r = client.post(reverse("notifications:open", args=[mine.pk]))
    assert r.status_code == 302 and r.url == "/portal/tickets/"
    assert unread_count(user) == 0
    others = Notification.objects.get(recipient=other)
    assert client.post(reverse("notifications:open", args=[others.pk])).status_code == 404
    notification_send(recipients=[user], verb="x", title="第二条")
    client.post(reverse("notifications:read-all"))
    assert unread_count(user) == 0
