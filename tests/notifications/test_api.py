from __future__ import annotations

import pytest

from community.notifications.services import notification_send
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.notifications.urls")]


def test_inbox_api_shows_only_my_notifications_and_marks_read(client_for):
    me, other = UserFactory(), UserFactory()
    first, second = (
        notification_send(recipients=[me], verb="ticket.status", title=t)[0] for t in ("一", "二")
    )
    notification_send(recipients=[other], verb="x", title="别人的")
    client = client_for(me)
    body = client.get("/api/v1/notifications/").json()
    assert [n["title"] for n in body["results"]] == ["二", "一"]
    assert client.get("/api/v1/notifications/unread-count/").json() == {"unread": 2}
    r = client.post("/api/v1/notifications/mark-read/", {"ids": [first.pk]}, content_type="application/json")
    assert r.json() == {"marked": 1}
    assert [n["id"] for n in client.get("/api/v1/notifications/?unread=1").json()["results"]] == [second.pk]
    # Ids of someone else's notifications are ignored, not marked.
    theirs = other.notifications.get().pk
    assert client.post(
        "/api/v1/notifications/mark-read/", {"ids": [theirs]}, content_type="application/json"
    ).json() == {"marked": 0}
    assert client.post("/api/v1/notifications/mark-read/", {}, content_type="application/json").json() == {
        "marked": 1
    }


def test_bad_input_is_400(client_for):
    r = client_for(UserFactory()).post(
        "/api/v1/notifications/mark-read/", {"ids": ["x"]}, content_type="application/json"
    )
    assert r.status_code == 400 and "ids" in r.json()["error"]["fields"]


@pytest.mark.parametrize("url", ["/api/v1/notifications/", "/portal/inbox/"])
def test_inbox_lists_run_constant_queries(url, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    me = UserFactory()
    client = client_for(me)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    notification_send(recipients=[me], verb="x", title="t")
    client.get(url)
    small = count()
    for i in range(200):
        notification_send(recipients=[me], verb="x", title=f"t{i}")
    assert count() == small
