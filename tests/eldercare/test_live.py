"""Live new-order notices over the real websocket consumer: the estate's care workers get them
after the commit; another estate's worker and a resident are refused the group."""

from __future__ import annotations

import datetime as dt
import json
import re

from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from community.consumers import EventsConsumer, can_subscribe
from eldercare import services


def test_workers_hear_new_orders_live_and_outsiders_are_refused(
    elder_a, cleaning_a, worker_a, worker_b, household_a, household_b, django_capture_on_commit_callbacks
):
    group = f"care.estate.{elder_a.estate_id}.orders"
    assert not can_subscribe(worker_b, group)
    assert not can_subscribe(household_a[0], group)

    def book():
        with django_capture_on_commit_callbacks(execute=True):
            return services.order_book(
                elder=elder_a,
                item=cleaning_a,
                by=household_a[0],
                scheduled_at=timezone.now() + dt.timedelta(hours=3),
            )

    async def scenario():
        socket = WebsocketCommunicator(EventsConsumer.as_asgi(), "/ws/")
        socket.scope["user"] = worker_a
        assert (await socket.connect())[0]
        await socket.send_json_to({"action": "subscribe", "group": group})
        assert await socket.receive_json_from(timeout=3) == {"subscribed": group}
        order = await sync_to_async(book)()
        message = await socket.receive_json_from(timeout=3)
        assert message["event"]["type"] == "care.order.new" and message["event"]["order"] == order.pk
        # One event reaches readers of different languages: it carries codes, not translated text.
        assert message["event"]["status"] == "pending" and "status_display" not in message["event"]
        await socket.disconnect()

    async_to_sync(scenario)()  # (the consumer closes this thread's connection when done)


def test_the_order_group_is_for_its_family_and_the_estates_care_staff(
    elder_a, cleaning_a, worker_a, worker_b, household_a, household_b
):
    order = services.order_book(
        elder=elder_a, item=cleaning_a, by=household_a[0], scheduled_at=timezone.now() + dt.timedelta(hours=3)
    )
    assert can_subscribe(household_a[0], f"care.order.{order.pk}")
    assert can_subscribe(worker_a, f"care.order.{order.pk}")
    assert not can_subscribe(household_b[0], f"care.order.{order.pk}")
    assert not can_subscribe(worker_b, f"care.order.{order.pk}")


def test_order_pages_hold_the_status_labels_in_the_readers_language(
    elder_a, cleaning_a, worker_a, household_a, client_for
):
    order = services.order_book(
        elder=elder_a, item=cleaning_a, by=household_a[0], scheduled_at=timezone.now() + dt.timedelta(hours=3)
    )

    def labels(html: str) -> dict:
        found = re.search(r'<script id="care-status-labels" type="application/json">(.*?)</script>', html)
        return json.loads(found.group(1))

    page = client_for(worker_a).get(f"/worker/care/orders/{order.pk}/").content.decode()
    assert labels(page)["checked_in"] == "服务中"
    english = client_for(household_a[0]).get(f"/portal/care/orders/{order.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert labels(english.content.decode())["checked_in"] != "服务中"
