"""The audit of staff changes to the catalog, stations, subsidy policies, settings and roster."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import models

from ..models import CareAudit


def _plain(value):
    """A JSON-safe form of a field value (ids for rows, ISO text for times, text for money)."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (Decimal, dt.date, dt.datetime, dt.time, dt.timedelta)):
        return str(value)
    if isinstance(value, (list, tuple, set)) or hasattr(value, "all"):
        items = value.all() if hasattr(value, "all") else value
        return sorted(_plain(v) for v in items)
    return value


def apply_changes(obj: models.Model, data: dict, fields: list[str]) -> dict:
    """Set ``fields`` of ``obj`` from ``data`` (those present); return {field: [old, new]}."""
    changes = {}
    for name in fields:
        if name not in data:
            continue
        old, new = getattr(obj, name, None), data[name]  # None: a new row's unset relation
        # Equal values are no change, whatever their form (Decimal("0.00") == Decimal("0")).
        if old != new and _plain(old) != _plain(new):
            changes[name] = [_plain(old), _plain(new)]
            setattr(obj, name, new)
    return changes


def audit_record(*, obj: models.Model, action: str, by, estate_ids, changes: dict | None = None) -> CareAudit:
    entry = CareAudit.objects.create(
        by=by,
        action=action,
        object_type=obj._meta.model_name,
        object_id=obj.pk,
        object_repr=str(obj)[:200],
        changes=changes or {},
    )
    entry.estates.set(list(estate_ids))
    return entry
