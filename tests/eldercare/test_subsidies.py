"""The subsidy split (fen exact) and the monthly settlement for the civil-affairs office."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from eldercare import services
from eldercare.models import Order, SubsidyKind, Voucher
from eldercare.money import split_price
from eldercare.settlement import settlement_rows, settlement_workbook
from tests.factories import ElderFactory, ServiceItemFactory, SubsidyPolicyFactory, consent_all

money = st.decimals(min_value=0, max_value=10_000, places=2, allow_nan=False, allow_infinity=False)


@given(price=money, remaining=money, percent=st.one_of(st.none(), st.decimals(0, 100, places=2)))
def test_split_adds_up_to_the_price_fen_for_fen(price, remaining, percent):
    subsidy, self_pay = split_price(price=price, remaining=remaining, percent=percent)
    assert subsidy + self_pay == price
    assert Decimal("0") <= subsidy <= min(price, remaining)
    assert subsidy.as_tuple().exponent == -2 and self_pay.as_tuple().exponent == -2


def test_percentage_rounds_half_up_to_the_fen():
    assert split_price(price=Decimal("33.33"), remaining=Decimal("100"), percent=Decimal("50")) == (
        Decimal("16.67"),
        Decimal("16.66"),
    )


def _assess(elder, by, level_total=60):
    return services.assessment_record(
        elder=elder,
        self_care=level_total // 3,
        mobility=10,
        mental_state=level_total - level_total // 3 - 10 - 5,
        perception_social=5,
        reason="first",
        assessed_on=dt.date(2026, 1, 5),
        by=by,
    )


def _complete(order, worker, at):
    services.order_accept(order=order, by=worker, now=at)
    services.order_check_in(order=order, by=worker, latitude=32.629, longitude=110.798, now=at)
    return services.order_check_out(
        order=order, by=worker, latitude=32.629, longitude=110.798, now=at + dt.timedelta(hours=1)
    )


@pytest.fixture
def subsidised(elder_a, coordinator_a):
    _assess(elder_a, coordinator_a)
    return SubsidyPolicyFactory(estate=elder_a.estate, monthly_amount=Decimal("120.00"))


def test_fixed_voucher_pays_until_it_runs_out_then_self_pay(elder_a, cleaning_a, book, worker_a, subsidised):
    at = timezone.now()
    first = _complete(book(elder_a, cleaning_a), worker_a, at)
    second = _complete(book(elder_a, cleaning_a), worker_a, at)
    third = _complete(book(elder_a, cleaning_a), worker_a, at)
    assert [(o.subsidy_amount, o.self_pay_amount) for o in (first, second, third)] == [
        (Decimal("50.00"), Decimal("0.00")),
        (Decimal("50.00"), Decimal("0.00")),
        (Decimal("20.00"), Decimal("30.00")),
    ]
    voucher = Voucher.objects.get(elder=elder_a)
    assert voucher.used == voucher.amount == Decimal("120.00")


def test_percentage_policy_with_monthly_cap(elder_a, station_a, book, worker_a, coordinator_a):
    _assess(elder_a, coordinator_a)
    SubsidyPolicyFactory(
        estate=elder_a.estate,
        kind=SubsidyKind.PERCENT,
        percent=Decimal("70"),
        monthly_amount=Decimal("40.00"),
    )
    item = ServiceItemFactory(station=station_a, price=Decimal("33.33"))
    at = timezone.now()
    a = _complete(book(elder_a, item), worker_a, at)
    b = _complete(book(elder_a, item), worker_a, at)
    assert (a.subsidy_amount, a.self_pay_amount) == (Decimal("23.33"), Decimal("10.00"))
    assert (b.subsidy_amount, b.self_pay_amount) == (Decimal("16.67"), Decimal("16.66"))


def test_no_policy_means_all_self_pay(elder_a, cleaning_a, book, worker_a):
    order = _complete(book(elder_a, cleaning_a), worker_a, timezone.now())
    assert (order.subsidy_amount, order.self_pay_amount) == (Decimal("0.00"), Decimal("50.00"))


def test_voucher_is_per_month(elder_a, subsidised):
    may = services.voucher_issue(elder=elder_a, month=dt.date(2026, 5, 17), by="system:test")
    june = services.voucher_issue(elder=elder_a, month=dt.date(2026, 6, 1), by="system:test")
    assert may.month == dt.date(2026, 5, 1) and june.month == dt.date(2026, 6, 1) and may.pk != june.pk
    assert services.voucher_issue(elder=elder_a, month=dt.date(2026, 5, 30), by="system:test") == may


def test_settlement_rows_and_total_row_sum_to_the_orders(
    elder_a, estate_a, station_a, cleaning_a, lunch_a, book, worker_a, coordinator_a, subsidised
):
    other = ElderFactory(estate=estate_a)
    consent_all(other, coordinator_a)
    at = timezone.now()
    for _ in range(3):
        _complete(book(elder_a, cleaning_a), worker_a, at)
    _complete(
        services.order_book(
            elder=other, item=cleaning_a, by=coordinator_a, scheduled_at=at + dt.timedelta(hours=1)
        ),
        worker_a,
        at,
    )
    month = timezone.localdate().replace(day=1)
    rows = settlement_rows(station=station_a, month=month)
    orders = Order.objects.filter(station=station_a, price__isnull=False)
    assert sum(r.count for r in rows) == orders.count() == 4
    assert sum(r.amount for r in rows) == sum(o.price for o in orders) == Decimal("200.00")
    assert sum(r.subsidy for r in rows) == sum(o.subsidy_amount for o in orders)
    assert sum(r.self_pay for r in rows) == sum(o.self_pay_amount for o in orders)

    sheet = load_workbook(io.BytesIO(settlement_workbook(station=station_a, month=month))).active
    values = list(sheet.iter_rows(values_only=True))
    body, total = values[2:-1], values[-1]
    assert len(body) == len(rows)
    assert "*" in body[0][1] and elder_a.resident.id_number not in str(values)  # ID numbers masked
    assert total[5] == 4
    assert Decimal(str(total[6])) == Decimal("200.00")
    assert Decimal(str(total[7])) + Decimal(str(total[8])) == Decimal("200.00")
    assert Decimal(str(total[7])) == sum(Decimal(str(r[7])) for r in body)


def test_settlement_download_is_for_the_stations_coordinators(
    station_a, coordinator_a, manager_b, client_for
):
    url = f"/worker/care/stations/{station_a.pk}/settlement.xlsx?month=2026-12"
    assert client_for(manager_b).get(url).status_code in (403, 404)
    response = client_for(coordinator_a).get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxml")
