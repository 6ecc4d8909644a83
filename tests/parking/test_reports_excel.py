"""Reports (revenue by day, lot and kind; occupancy over the day), the Excel export of stays,
the Excel import of cars and permits with per-row errors, and the pages in Chinese."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from community.residents.models import Resident
from parking.models import Permit, Session, Vehicle
from tests.factories import FeeRuleFactory

pytestmark = pytest.mark.django_db


def _stay(lot, plate, *, hours_ago=3, fee="0", kind="temporary", open_=False):
    now = timezone.now()
    return Session.objects.create(
        estate=lot.estate,
        lot=lot,
        plate=plate,
        kind=kind,
        entered_at=now - dt.timedelta(hours=hours_ago),
        exited_at=None if open_ else now - dt.timedelta(minutes=5),
        fee=Decimal(fee),
        paid_amount=Decimal(fee),
        paid_at=None if fee == "0" else now - dt.timedelta(minutes=10),
        status="open" if open_ else "closed",
    )


def test_reports_page_charts_revenue_and_occupancy(client_for, manager_a, manager_b, lot):
    _stay(lot, "湘A00001", fee="9.00")
    _stay(lot, "湘A00002", open_=True)
    page = client_for(manager_a).get("/staff/parking/reports/")
    assert page.status_code == 200
    chart = page.context["chart"]
    assert {
        "day": timezone.localdate().isoformat(),
        "lot": lot.name,
        "kind": "temporary",
        "total": "9.00",
    } in chart["revenue"]
    now_hour = timezone.localtime().hour
    assert chart["occupancy"][now_hour]["counts"].get(lot.name, 0) >= 1
    other = client_for(manager_b).get("/staff/parking/reports/")
    assert other.context["revenue"] == []


def test_export_is_an_excel_file_of_my_estate_only(client_for, manager_a, lot, estate_b):
    from tests.factories import LotFactory

    _stay(lot, "湘A00003", fee="6.00")
    _stay(LotFactory(estate=estate_b), "湘A99999", fee="6.00")
    response = client_for(manager_a).get("/staff/parking/reports/export.xlsx")
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.values)
    plates = [r[0] for r in rows[1:]]
    assert plates == ["湘A00003"]


def _xlsx(rows) -> io.BytesIO:
    book = Workbook()
    sheet = book.active
    sheet.append(["plate", "phone", "lot", "kind", "from", "until", "price"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    out.name = "cars.xlsx"
    return out


def test_import_cars_and_permits_with_errors_by_row(client_for, manager_a, lot, household_a, estate_a):
    FeeRuleFactory(lot=lot)
    owner = Resident.objects.get(user=household_a[0])
    start = dt.datetime(2026, 12, 1)
    upload = _xlsx(
        [
            ["鄂C 11111", str(owner.phone), lot.name, "monthly", start, None, 200],
            ["ABC", "", "", "", None, None, None],
            ["鄂C22222", "", "没有这个停车场", "yearly", start, None, 0],
            ["鄂C33333", "", "", "", None, None, None],
        ]
    )
    response = client_for(manager_a).post(
        "/admin/parking/vehicle/import/", {"estate": estate_a.pk, "file": upload}, follow=True
    )
    assert response.status_code == 200
    errors = dict(response.context["result"].errors)
    assert set(errors) == {3, 4}
    assert set(Vehicle.objects.values_list("plate", flat=True)) == {
        "鄂C11111",
        "鄂C33333",
    }  # row 4 whole or nothing
    permit = Permit.objects.get()
    assert permit.vehicle.owner == owner and permit.price == Decimal("200.00")


def test_portal_speaks_chinese_by_default(client_for, household_a):
    html = client_for(household_a[0]).get("/portal/parking/").content.decode()
    assert "我的车辆" in html and "登记车辆" in html
