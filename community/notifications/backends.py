"""Delivery channels besides the inbox and the websocket: SMS and email.

``settings.NOTIFICATION_BACKENDS`` lists dotted paths of backend classes (default: the two
below). Each class has ``deliver(notification)``. They run after the commit, so a rolled-back
write never texts anyone. The SMS backend goes through ``community.accounts.sms.send_sms``,
whose own backend only logs in the embedded mode; the email backend uses Django's mail,
the console backend in the embedded mode.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

from community.accounts.sms import send_sms

logger = logging.getLogger("community.notifications")

DEFAULT_BACKENDS = [
    "community.notifications.backends.SMSBackend",
    "community.notifications.backends.EmailBackend",
]


class SMSBackend:
    def deliver(self, notification) -> None:
        phone = notification.recipient.phone
        if not phone:
            return
        title = notification.title_for(notification.recipient)
        text = title if not notification.body else f"{title}：{notification.body}"
        send_sms(phone=str(phone), text=text[:300])


class EmailBackend:
    def deliver(self, notification) -> None:
        email = notification.recipient.email
        if not email:
            return
        title = notification.title_for(notification.recipient)
        send_mail(title, notification.body or title, None, [email], fail_silently=False)


def get_backends() -> list:
    paths = getattr(settings, "NOTIFICATION_BACKENDS", DEFAULT_BACKENDS)
    return [import_string(path)() for path in paths]


def deliver_all(notifications) -> None:
    for backend in get_backends():
        for notification in notifications:
            try:
                backend.deliver(notification)
            except Exception:
                # The inbox row is committed; a gateway failure must not hide it or fail the write.
                logger.exception("%s failed for notification %s", type(backend).__name__, notification.pk)
