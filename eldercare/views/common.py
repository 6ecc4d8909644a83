"""Helpers shared by the worker and portal pages."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import selectors


def error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(str(m) for m in exc.messages)
    return str(exc) or _("Not allowed.")


def run(request, call, *, done: str | None = None) -> bool:
    try:
        call()
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
        return False
    messages.success(request, done or _("Done."))
    return True


def require_care_staff(request) -> None:
    if (
        not request.user.is_staff
        or selectors.staff_estate_ids(request.user, roles=selectors.CARE_STAFF_ROLES) == frozenset()
    ):
        raise PermissionDenied(_("These pages are for care staff."))


def month_param(value: str | None) -> dt.date:
    try:
        return dt.datetime.strptime(value or "", "%Y-%m").date()
    except ValueError:
        return timezone.localdate().replace(day=1)
