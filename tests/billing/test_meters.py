"""Meter readings: below the previous one refused unless rollover/replacement, equal fine,
archived or future refused, the same reading twice stored once; Excel import with per-row errors."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import Workbook

from community.billing import services
from community.billing.models import MeterReading
from community.errors import ServiceError

SYSTEM = "system:test"
pytestmark = pytest.mark.usefixtures("in_english")
TODAY = dt.date(2026, 12, 2)


@pytest.fixture
def meter(estate_a, household_a):
    return services.meter_create(
        estate=estate_a,
        unit=household_a[1],
        kind="water",
        serial="W-0001",
        installed_on=dt.date(2025, 1, 1),
        multiplier=Decimal("1.00"),
        digits=4,
        by=SYSTEM,
    )


def _read(meter, value, day, **kw):
    return services.meter_reading_record(meter=meter, value=value, read_on=day, today=TODAY, by=SYSTEM, **kw)


def test_readings_validate_and_compute_usage(meter):
    _read(meter, "100.00", dt.date(2026, 10, 1))
    assert _read(meter, "112.50", dt.date(2026, 11, 1)).usage == Decimal("12.50")
    assert _read(meter, "112.50", dt.date(2026, 11, 15)).usage == 0  # equal is fine
    with pytest.raises(ServiceError) as exc:
        _read(meter, "90.00", dt.date(2026, 12, 1))
    assert "below the previous one" in str(exc.value)
    rolled = _read(meter, "3.00", dt.date(2026, 12, 1), rollover=True)
    assert rolled.usage == Decimal("9890.50")  # 10^4 − 112.50 + 3
    with pytest.raises(ServiceError):
        _read(meter, "5.00", dt.date(2026, 12, 3))  # future
    # Delivered twice: stored once. A different value on the same day: refused.
    assert _read(meter, "3.00", dt.date(2026, 12, 1), rollover=True) == rolled
    with pytest.raises(ServiceError):
        _read(meter, "4.00", dt.date(2026, 12, 1))
    replaced = _read(meter, "0.00", dt.date(2026, 12, 2), replacement=True)
    assert replaced.usage == 0


def test_archived_meter_takes_no_readings(meter):
    meter.archived = True
    meter.save()
    with pytest.raises(ServiceError):
        _read(meter, "1.00", dt.date(2026, 11, 1))


def _workbook(rows) -> io.BytesIO:
    book = Workbook()
    sheet = book.active
    sheet.append(["表号", "读数", "抄表日期"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return buffer


def test_import_names_every_bad_row_and_stores_nothing(estate_a, meter):
    _read(meter, "100.00", dt.date(2026, 10, 1))
    result = services.meter_readings_import(
        estate=estate_a,
        file=_workbook(
            [
                ["W-0001", 110, dt.date(2026, 11, 1)],
                ["W-9999", 5, dt.date(2026, 11, 1)],
                ["W-0001", 50, dt.date(2026, 11, 20)],
                ["W-0001", 60, "not a date"],
            ]
        ),
        today=TODAY,
        by=SYSTEM,
    )
    assert [row for row, _message in result.errors] == [3, 4, 5]
    assert "W-9999" in result.errors[0][1]
    assert MeterReading.objects.count() == 1


def test_import_of_good_rows_twice_stores_them_once(estate_a, meter):
    rows = [["W-0001", 100, dt.date(2026, 10, 1)], ["W-0001", 110.5, "2026-11-01"]]
    first = services.meter_readings_import(estate=estate_a, file=_workbook(rows), today=TODAY, by=SYSTEM)
    again = services.meter_readings_import(estate=estate_a, file=_workbook(rows), today=TODAY, by=SYSTEM)
    assert (first.created, first.errors) == (2, [])
    assert (again.created, again.unchanged) == (0, 2)
    assert MeterReading.objects.count() == 2


def test_import_refuses_a_file_that_is_not_a_workbook(estate_a):
    with pytest.raises(ServiceError):
        services.meter_readings_import(estate=estate_a, file=io.BytesIO(b"hello"), today=TODAY, by=SYSTEM)
