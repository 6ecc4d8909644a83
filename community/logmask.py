"""Device tokens that firmware puts in URL paths never reach a log in clear.

Hikvision cameras post to ``/isapi/<token>/events`` and Vzenith plate cameras to
``/lpr/vzenith/<token>/…``: the token is the device's credential, and request lines are logged
by Django's runserver, ``django.request`` (4xx/5xx), gunicorn's access log and our own code.
``MaskDeviceTokens`` is attached to every handler and to those loggers (community/settings.py
LOGGING) and rewrites the formatted message: ``/isapi/abcd…/events`` → ``/isapi/ab***/events``.
"""

from __future__ import annotations

import logging
import re

# The path segment after these prefixes is a secret.
TOKEN_IN_PATH = re.compile(r"(/(?:isapi|lpr/vzenith)/)([^/\s?\"']+)")


def mask_device_tokens(text: str) -> str:
    return TOKEN_IN_PATH.sub(lambda m: f"{m.group(1)}{m.group(2)[:2]}***", text)


class MaskDeviceTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is the logging module's business, not ours
            return True
        masked = mask_device_tokens(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
