"""Sending and reading notifications.

``notification_send`` is the one way any app tells a user something: an inbox row per
recipient, a websocket push to the recipient's ``user.<id>`` group and the SMS / email
backends — the last two only after the surrounding transaction commits.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from community.realtime import group_for_user, publish_on_commit

from .backends import deliver_all
from .models import Notification


def notification_send(
    *,
    recipients: Iterable,
    verb: str,
    message: str = "",
    params: dict | None = None,
    title: str = "",
    body: str = "",
    url: str = "",
    estate=None,
) -> list[Notification]:
    """Store and push one notification per recipient.

    ``message`` + ``params`` (a key registered in ``community.notifications.messages``) is the
    way: the title is rendered when read, in each reader's language. ``title`` is plain text for
    callers not converted yet; ``body`` is free text written by a person (a reason, a comment),
    shown as written.
    """
    verb, title, body, url = str(verb), str(title), str(body), str(url)
    params = dict(params or {})
    if not message and not title:
        raise ValueError("notification_send needs a message or a title")
    seen: set[int] = set()
    users = []
    for user in recipients:
        if user is None or not user.is_active or user.pk in seen:
            continue
        seen.add(user.pk)
        users.append(user)
    if not users:
        return []
    with transaction.atomic():
        rows = [
            Notification(
                recipient=u,
                estate=estate,
                verb=verb,
                message=message,
                params=params,
                title=title[:200],
                body=body,
                url=url[:500],
            )
            for u in users
        ]
        created = Notification.objects.bulk_create(rows)
        for notification in created:
            publish_on_commit(
                group_for_user(notification.recipient_id),
                {
                    "type": "notification",
                    "id": notification.pk,
                    "verb": verb,
                    # Built per recipient: each reads it in their own language.
                    "title": notification.title_for(notification.recipient),
                    "body": body,
                    "url": notification.url,
                },
            )
        transaction.on_commit(lambda: deliver_all(created))
    return created


@transaction.atomic
def notification_mark_read(*, by, notification_ids: Iterable[int] | None = None) -> int:
    """Mark ``by``'s own notifications read (all when no ids are given); returns the count.

    Reading is an act on one's own inbox only: ``by`` is both the actor and the recipient.
    """
    qs = Notification.objects.filter(recipient=by, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=list(notification_ids))
    return qs.update(read_at=timezone.now())
