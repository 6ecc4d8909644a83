"""Meters and readings: validation and the Excel import.

A reading below the previous one is refused unless the register rolled over or the meter was
replaced (both recorded on the reading); an equal reading is fine (nothing used). Readings for
an archived meter, or dated after ``today``, are refused. ``today`` is passed in, never read.
The same reading imported twice is stored once; the import stores all rows or none and names
every bad row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from community.errors import ServiceError

from ..models import Meter, MeterReading, ReadingSource
from ._common import actor_label


def meter_create(
    *,
    estate,
    unit=None,
    kind: str,
    serial: str,
    installed_on: dt.date,
    multiplier: Decimal = Decimal(1),
    digits: int = 6,
    by,
) -> Meter:
    actor_label(by)
    serial = (serial or "").strip()
    if not serial:
        raise ServiceError({"serial": [_("Give the meter number.")]})
    if unit is not None and unit.building.estate_id != estate.pk:
        raise ServiceError({"unit": [_("The unit is not in this estate.")]}, code="other_estate")
    with transaction.atomic():
        if Meter.objects.filter(estate=estate, serial=serial).exists():
            raise ServiceError(
                {"serial": [_("This estate already has a meter with this number.")]}, code="duplicate"
            )
        return Meter.objects.create(
            estate=estate,
            unit=unit,
            kind=kind,
            serial=serial,
            installed_on=installed_on,
            multiplier=multiplier,
            digits=digits,
        )


def meter_update(*, meter: Meter, verified_on: dt.date | None, archived: bool, by) -> Meter:
    """Record a verification, or archive a meter taken out (its readings stay)."""
    actor_label(by)
    with transaction.atomic():
        locked = Meter.objects.select_for_update().get(pk=meter.pk)
        locked.verified_on, locked.archived = verified_on, archived
        locked.save(update_fields=["verified_on", "archived"])
        return locked


def _usage(
    meter: Meter, previous: MeterReading | None, value: Decimal, *, rollover: bool, replacement: bool
) -> Decimal:
    if previous is None or replacement:
        return Decimal("0.00")
    if value >= previous.value:
        return (value - previous.value) * meter.multiplier
    if rollover:
        return (Decimal(10) ** meter.digits - previous.value + value) * meter.multiplier
    raise ServiceError(
        {
            "value": [
                _(
                    "The reading %(value)s is below the previous one (%(previous)s on %(date)s); record a rollover "
                    "or a meter replacement."
                )
                % {"value": value, "previous": previous.value, "date": previous.read_on}
            ]
        },
        code="below_previous",
    )


def meter_reading_record(
    *,
    meter: Meter,
    value,
    read_on: dt.date,
    today: dt.date,
    source: str = ReadingSource.MANUAL,
    rollover: bool = False,
    replacement: bool = False,
    photo=None,
    by,
) -> MeterReading:
    """Store one reading after the checks above; the same reading again returns the first."""
    actor = actor_label(by)
    try:
        value = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise ServiceError({"value": [_("Not a number.")]}, code="bad_value") from None
    if value < 0:
        raise ServiceError({"value": [_("A reading cannot be negative.")]}, code="bad_value")
    if read_on > today:
        raise ServiceError({"read_on": [_("A reading cannot be dated in the future.")]}, code="future")
    with transaction.atomic():
        locked = Meter.objects.select_for_update().get(pk=meter.pk)
        if locked.archived:
            raise ServiceError(
                _("Meter %(serial)s is archived.") % {"serial": locked.serial}, code="archived"
            )
        if read_on < locked.installed_on:
            raise ServiceError({"read_on": [_("The meter was installed later.")]}, code="before_install")
        same_day = locked.readings.filter(read_on=read_on).first()
        if same_day is not None:
            if same_day.value == value:
                return same_day  # the same reading delivered again
            raise ServiceError(
                {
                    "read_on": [
                        _("Meter %(serial)s already has a different reading on %(date)s.")
                        % {"serial": locked.serial, "date": read_on}
                    ]
                },
                code="conflict",
            )
        previous = locked.readings.filter(read_on__lt=read_on).order_by("-read_on").first()
        following = locked.readings.filter(read_on__gt=read_on).order_by("read_on").first()
        if following is not None and value > following.value and not following.rollover:
            raise ServiceError(
                {"read_on": [_("A later reading is lower; enter readings in order.")]}, code="order"
            )
        usage = _usage(locked, previous, value, rollover=rollover, replacement=replacement)
        return MeterReading.objects.create(
            meter=locked,
            read_on=read_on,
            value=value,
            usage=usage,
            source=source,
            rollover=rollover,
            replacement=replacement,
            photo=photo,
            created_by=actor,
        )


@dataclass
class ImportResult:
    created: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


HEADERS = {
    "表号": "serial",
    "读数": "value",
    "抄表日期": "read_on",
    "meter": "serial",
    "reading": "value",
    "date": "read_on",
}


def meter_readings_import(*, estate, file, today: dt.date, by) -> ImportResult:
    """An Excel sheet of readings (表号 / 读数 / 抄表日期): every row is checked; when any row is
    wrong nothing is stored and each bad row is named with its sheet row number."""
    from openpyxl import load_workbook

    actor_label(by)
    result = ImportResult()
    try:
        sheet = load_workbook(file, read_only=True, data_only=True).active
        rows = list(sheet.iter_rows(values_only=True))
    except Exception:
        raise ServiceError({"file": [_("This is not an Excel (.xlsx) file.")]}, code="bad_file") from None
    if not rows:
        raise ServiceError({"file": [_("The sheet is empty.")]}, code="empty")
    columns = {
        HEADERS.get(str(h).strip()): i
        for i, h in enumerate(rows[0])
        if h is not None and HEADERS.get(str(h).strip())
    }
    missing = {"serial", "value", "read_on"} - set(columns)
    if missing:
        raise ServiceError({"file": [_("Columns needed: 表号, 读数, 抄表日期.")]}, code="bad_header")
    meters = {m.serial: m for m in Meter.objects.filter(estate=estate)}
    try:
        with transaction.atomic():
            for number, row in enumerate(rows[1:], start=2):
                if all(cell in (None, "") for cell in row):
                    continue
                serial = str(row[columns["serial"]] or "").strip()
                meter = meters.get(serial)
                read_on = row[columns["read_on"]]
                if isinstance(read_on, dt.datetime):
                    read_on = read_on.date()
                elif isinstance(read_on, str):
                    try:
                        read_on = dt.date.fromisoformat(read_on.strip())
                    except ValueError:
                        read_on = None
                if meter is None:
                    result.errors.append(
                        (number, _("Unknown meter number “%(serial)s”.") % {"serial": serial})
                    )
                    continue
                if not isinstance(read_on, dt.date):
                    result.errors.append((number, _("The date is not a date (YYYY-MM-DD).")))
                    continue
                try:
                    with transaction.atomic():
                        before = MeterReading.objects.filter(meter=meter, read_on=read_on).exists()
                        meter_reading_record(
                            meter=meter,
                            value=row[columns["value"]],
                            read_on=read_on,
                            today=today,
                            source=ReadingSource.IMPORT,
                            by=by,
                        )
                except ServiceError as exc:
                    result.errors.append((number, " ".join(exc.messages)))
                    continue
                if before:
                    result.unchanged += 1
                else:
                    result.created += 1
            if result.errors:
                raise _RollBack
    except _RollBack:
        result.created = result.unchanged = 0
    return result


class _RollBack(Exception):
    """Leave the import's transaction without storing anything."""
