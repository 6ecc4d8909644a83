"""Over-long text is refused with a message naming the field, never cut short silently."""

from __future__ import annotations

import pytest

from community.errors import ServiceError
from eldercare import services
from eldercare.models import Alarm, Order


def test_an_over_long_note_is_refused_not_truncated(elder_a, cleaning_a, book):
    with pytest.raises(ServiceError) as refused:
        book(elder_a, cleaning_a, note="很" * 301)
    assert "note" in refused.value.message_dict and "300" in refused.value.message_dict["note"][0]
    assert not Order.objects.exists()
    order = book(elder_a, cleaning_a, note="很" * 300)
    assert len(order.note) == 300


def test_over_long_reasons_and_comments_are_refused(elder_a, cleaning_a, book, coordinator_a, household_a):
    order = book(elder_a, cleaning_a)
    with pytest.raises(ServiceError) as refused:
        services.order_cancel(order=order, by=coordinator_a, reason="x" * 301)
    assert "reason" in refused.value.message_dict
    order.refresh_from_db()
    assert order.status == "pending"


def test_an_over_long_alarm_note_or_event_id_is_refused(elder_a):
    with pytest.raises(ServiceError) as refused:
        services.alarm_raise(elder=elder_a, kind="sos", by="system:test", note="x" * 301)
    assert "note" in refused.value.message_dict
    with pytest.raises(ServiceError) as refused:
        services.alarm_raise(elder=elder_a, kind="sos", by="system:test", device_event_id="e" * 101)
    assert "event_id" in refused.value.message_dict
    assert not Alarm.objects.exists()


def test_the_api_answers_an_over_long_reason_or_comment_with_a_400_naming_the_field(
    elder_a, cleaning_a, book, coordinator_a, client_for
):
    order = book(elder_a, cleaning_a)
    client = client_for(coordinator_a)
    r = client.post(
        f"/api/v1/eldercare/orders/{order.pk}/cancel/",
        {"reason": "很" * 301},
        content_type="application/json",
    )
    assert r.status_code == 400
    assert r.json()["error"]["fields"] == {"reason": ["最多 300 个字符（当前 301 个）。"]}
    order.refresh_from_db()
    assert order.status == "pending"
    r = client.post(
        f"/api/v1/eldercare/orders/{order.pk}/cancel/",
        {"reason": "很" * 300},
        content_type="application/json",
    )
    assert r.status_code == 200 and Order.objects.get(pk=order.pk).cancel_reason == "很" * 300
