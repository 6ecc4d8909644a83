"""Credentials by reference: the database holds a name, the value lives in the environment.

``ExternalSystem.credentials_ref = "VIID_HZ"`` reads ``settings.EXCHANGE_SECRETS["VIID_HZ"]`` if
set (tests, the demo), else the environment variable ``EXCHANGE_SECRET_VIID_HZ``. A username and
password are written ``user:password``; a signing secret is the plain string.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.utils.translation import gettext as _

from community.errors import ServiceError


def secret(ref: str) -> str:
    if not ref:
        raise ServiceError(_("This external system has no credentials reference."), code="no_credentials")
    mapping = getattr(settings, "EXCHANGE_SECRETS", {}) or {}
    value = mapping.get(ref) or os.environ.get(f"EXCHANGE_SECRET_{ref}")
    if not value:
        raise ServiceError(_("The secret “%(ref)s” is not configured.") % {"ref": ref}, code="no_credentials")
    return value


def username_password(ref: str) -> tuple[str, str]:
    user, sep, password = secret(ref).partition(":")
    if not sep:
        raise ServiceError(
            _("The secret “%(ref)s” must be written user:password.") % {"ref": ref}, code="bad_credentials"
        )
    return user, password
