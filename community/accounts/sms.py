"""Pluggable SMS sending. The embedded mode logs the text; production names a sender class
in ``SMS_BACKEND`` (a gateway adapter living outside this repository)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("community.sms")


class LogSMSBackend:
    """Writes each message to the log (and keeps it in ``outbox`` for tests)."""

    outbox: list[dict] = []

    def send(self, *, phone: str, text: str) -> None:
        logger.warning("SMS to %s: %s", phone, text)
        self.outbox.append({"phone": phone, "text": text})


def get_backend():
    return import_string(settings.SMS_BACKEND)()


def send_sms(*, phone: str, text: str) -> None:
    get_backend().send(phone=str(phone), text=text)
