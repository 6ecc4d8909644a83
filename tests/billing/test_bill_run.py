"""The bill run: idempotent by (assignment, period), tariffs by date, prepaid balance used,
two concurrent runs on PostgreSQL create each bill once."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection, connections

from community.billing import services
from community.billing.models import Bill, BillLine, BillStatus, PrepaidEntry
from community.errors import ServiceError
from tests.factories import AssignmentFactory, ChargeItemFactory, TariffFactory, UnitFactory

SYSTEM = "system:bill-run"


@pytest.fixture
def fee(estate_a):
    item = ChargeItemFactory(estate=estate_a, name="物业费", prepaid=True)
    TariffFactory(item=item, unit_price=Decimal("2.50"), effective_from=dt.date(2020, 1, 1))
    TariffFactory(item=item, unit_price=Decimal("3.00"), effective_from=dt.date(2026, 3, 1))
    return item


def test_run_bills_each_assignment_once_per_period(estate_a, fee):
    units = [UnitFactory(building__estate=estate_a, exclusive_area=Decimal("100.00")) for _ in range(3)]
    for unit in units:
        AssignmentFactory(item=fee, unit=unit, start_date=dt.date(2025, 1, 1))
    result = services.bill_run(estate=estate_a, on=dt.date(2026, 2, 10), by=SYSTEM)
    assert (result.created, result.skipped) == (3, 0)
    again = services.bill_run(estate=estate_a, on=dt.date(2026, 2, 20), by=SYSTEM)
    assert (again.created, again.skipped) == (0, 3)
    bills = Bill.objects.order_by("number")
    assert [b.number for b in bills] == ["ZD00000001", "ZD00000002", "ZD00000003"]
    bill = bills[0]
    assert (bill.period_start, bill.period_end, bill.total) == (
        dt.date(2026, 2, 1),
        dt.date(2026, 3, 1),
        Decimal("250.00"),
    )
    assert bill.due_date == dt.date(2026, 3, 3)  # 30 days after the period starts (billed in advance)
    # The period is billed at the tariff in force on its first day.
    services.bill_run(estate=estate_a, on=dt.date(2026, 3, 1), by=SYSTEM)
    march = Bill.objects.filter(period_start=dt.date(2026, 3, 1)).first()
    assert march.total == Decimal("300.00")
    assert march.total == sum(line.amount for line in march.lines.all())


def test_postpaid_items_bill_the_period_just_ended_and_prorate_a_mid_period_start(estate_a):
    item = ChargeItemFactory(
        estate=estate_a, name="垃圾处理", basis="fixed", prepaid=False, item_type="garbage"
    )
    TariffFactory(item=item, unit_price=Decimal("31.00"), effective_from=dt.date(2020, 1, 1))
    AssignmentFactory(item=item, start_date=dt.date(2026, 1, 11))
    services.bill_run(estate=estate_a, on=dt.date(2026, 2, 5), by=SYSTEM)
    bill = Bill.objects.get()
    assert (bill.period_start, bill.total) == (dt.date(2026, 1, 1), Decimal("21.00"))  # 21 of 31 days
    line = bill.lines.get()
    assert (line.quantity, line.unit_price, line.amount) == (Decimal(1), Decimal("21.0000"), Decimal("21.00"))


def test_vacant_unit_gets_the_discount_as_its_own_line(estate_a, fee):
    AssignmentFactory(
        item=fee, unit__exclusive_area=Decimal("100.00"), start_date=dt.date(2025, 1, 1), vacant=True
    )
    fee.vacancy_rate = Decimal("0.600")
    fee.save()
    services.bill_run(estate=estate_a, on=dt.date(2026, 2, 1), by=SYSTEM)
    bill = Bill.objects.get()
    assert [(line.kind, line.amount) for line in bill.lines.order_by("id")] == [
        ("charge", Decimal("250.00")),
        ("vacancy", Decimal("-100.00")),
    ]
    assert bill.total == Decimal("150.00")


def test_prepaid_balance_pays_a_new_bill_automatically(estate_a, fee):
    assignment = AssignmentFactory(
        item=fee, unit__exclusive_area=Decimal("100.00"), start_date=dt.date(2025, 1, 1)
    )
    PrepaidEntry.objects.create(
        estate=estate_a, unit=assignment.unit, kind="top_up", amount=Decimal("400.00"), created_by="user:1"
    )
    services.bill_run(estate=estate_a, on=dt.date(2026, 2, 1), by=SYSTEM)
    services.bill_run(estate=estate_a, on=dt.date(2026, 3, 1), by=SYSTEM)
    feb, mar = Bill.objects.order_by("period_start")
    assert (feb.status, feb.amount_due) == (BillStatus.PAID, 0)
    assert (mar.status, mar.amount_paid, mar.amount_due) == (
        BillStatus.PARTIALLY_PAID,
        Decimal("150.00"),
        Decimal("150.00"),
    )
    assert sum(e.amount for e in PrepaidEntry.objects.filter(unit=assignment.unit)) == 0


def test_bills_are_corrected_by_lines_with_a_reason_never_edited(estate_a, fee):
    AssignmentFactory(item=fee, unit__exclusive_area=Decimal("100.00"), start_date=dt.date(2025, 1, 1))
    services.bill_run(estate=estate_a, on=dt.date(2026, 2, 1), by=SYSTEM)
    bill = Bill.objects.get()
    with pytest.raises(ServiceError):
        services.bill_adjust(bill=bill, amount=Decimal("-50.00"), reason=" ", by=SYSTEM)
    services.bill_adjust(bill=bill, amount=Decimal("-50.00"), reason="电梯停运两周减免", by=SYSTEM)
    bill.refresh_from_db()
    assert bill.total == Decimal("200.00") == sum(line.amount for line in bill.lines.all())
    assert BillLine.objects.filter(bill=bill, kind="credit", reason="电梯停运两周减免").exists()


def test_duplicate_item_names_are_refused(estate_a, fee):
    with pytest.raises(ServiceError):
        services.charge_item_create(
            estate=estate_a, name="物业费", item_type="property_fee", basis="fixed", by=SYSTEM
        )


def test_command_runs_every_estate(estate_a, fee, capsys):
    AssignmentFactory(item=fee, start_date=dt.date(2025, 1, 1))
    call_command("billing_run", "--on", "2026-02-01")
    call_command("billing_run", "--on", "2026-02-01")
    assert Bill.objects.count() == 1
    assert "0 created" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks and real concurrency need PostgreSQL"
)
def test_two_concurrent_runs_create_each_bill_once(estate_a, fee):
    for _ in range(40):
        AssignmentFactory(item=fee, start_date=dt.date(2025, 1, 1))
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(services.bill_run(estate=estate_a, on=dt.date(2026, 2, 1), by=SYSTEM).created)
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(results) == [0, 40]
    assert Bill.objects.count() == 40
    assert len(set(Bill.objects.values_list("number", flat=True))) == 40


def test_metered_item_bills_the_periods_recorded_use_once_read(estate_a):
    item = ChargeItemFactory(estate=estate_a, name="水费", item_type="water", basis="metered", prepaid=False)
    TariffFactory(item=item, unit_price=Decimal("3.45"), effective_from=dt.date(2020, 1, 1))
    assignment = AssignmentFactory(item=item, start_date=dt.date(2025, 1, 1))
    meter = services.meter_create(
        estate=estate_a,
        unit=assignment.unit,
        kind="water",
        serial="W-9",
        installed_on=dt.date(2025, 1, 1),
        by=SYSTEM,
    )
    services.meter_reading_record(
        meter=meter, value="100", read_on=dt.date(2025, 12, 31), today=dt.date(2026, 2, 1), by=SYSTEM
    )
    assert (
        services.bill_run(estate=estate_a, on=dt.date(2026, 2, 1), by=SYSTEM).created == 0
    )  # nothing read in January
    services.meter_reading_record(
        meter=meter, value="112.5", read_on=dt.date(2026, 1, 31), today=dt.date(2026, 2, 1), by=SYSTEM
    )
    services.bill_run(estate=estate_a, on=dt.date(2026, 2, 1), by=SYSTEM)
    bill = Bill.objects.get()
    line = bill.lines.get()
    assert (line.quantity, line.unit_price, line.amount) == (
        Decimal("12.50"),
        Decimal("3.45"),
        Decimal("43.13"),
    )
    assert services.bill_run(estate=estate_a, on=dt.date(2026, 2, 2), by=SYSTEM).created == 0


def test_yearly_item_billed_in_advance_shows_the_prepay_discount_as_a_line(estate_a):
    item = ChargeItemFactory(
        estate=estate_a,
        name="物业费（年缴）",
        cycle="year",
        prepaid=True,
        prepay_discount_rate=Decimal("0.050"),
    )
    TariffFactory(item=item, unit_price=Decimal("2.00"), effective_from=dt.date(2020, 1, 1))
    AssignmentFactory(item=item, unit__exclusive_area=Decimal("100.00"), start_date=dt.date(2025, 1, 1))
    services.bill_run(estate=estate_a, on=dt.date(2026, 1, 5), by=SYSTEM)
    bill = Bill.objects.get()
    assert [(line.kind, line.amount) for line in bill.lines.order_by("id")] == [
        ("charge", Decimal("2400.00")),
        ("prepay_discount", Decimal("-120.00")),
    ]
    assert bill.total == Decimal("2280.00")


def test_built_up_area_items_bill_the_built_up_area_and_never_fall_back(estate_a):
    item = ChargeItemFactory(estate=estate_a, name="物业费(建筑面积)", basis="built_up_area", prepaid=True)
    TariffFactory(item=item, unit_price=Decimal("2.00"), effective_from=dt.date(2020, 1, 1))
    with_area = UnitFactory(
        building__estate=estate_a, exclusive_area=Decimal("80.00"), built_up_area=Decimal("101.50")
    )
    without = UnitFactory(building__estate=estate_a, exclusive_area=Decimal("80.00"))
    AssignmentFactory(item=item, unit=with_area, start_date=dt.date(2025, 1, 1))
    AssignmentFactory(item=item, unit=without, start_date=dt.date(2025, 1, 1))
    result = services.bill_run(estate=estate_a, on=dt.date(2026, 2, 1), by=SYSTEM)
    assert (result.created, result.missing) == (1, 1)
    line = BillLine.objects.get()
    assert (line.bill.payer_unit_id, line.quantity, line.amount) == (
        with_area.pk,
        Decimal("101.5000"),
        Decimal("203.00"),
    )


def _shared_setup(estate, share_by):
    shared = services.meter_create(
        estate=estate,
        kind="electricity",
        serial=f"GT-{share_by}",
        installed_on=dt.date(2025, 1, 1),
        by=SYSTEM,
    )
    item = ChargeItemFactory(
        estate=estate,
        name=f"公摊电费 {share_by}",
        item_type="shared_utilities",
        basis="shared",
        prepaid=False,
        shared_meter=shared,
        share_by=share_by,
    )
    TariffFactory(item=item, unit_price=Decimal("0.60"), effective_from=dt.date(2020, 1, 1))
    units = [
        UnitFactory(building__estate=estate, exclusive_area=Decimal(a)) for a in ("100.00", "50.00", "50.00")
    ]
    for unit in units:
        AssignmentFactory(item=item, unit=unit, start_date=dt.date(2025, 1, 1))
    today = dt.date(2026, 12, 1)
    for day, value in ((dt.date(2026, 10, 31), "1000"), (dt.date(2026, 11, 30), "2001")):
        services.meter_reading_record(meter=shared, value=value, read_on=day, today=today, by=SYSTEM)
    return item, units


def test_a_shared_meter_is_split_by_area_and_the_parts_add_up(estate_a):
    item, units = _shared_setup(estate_a, "area")
    assert services.bill_run(estate=estate_a, on=dt.date(2026, 12, 1), by=SYSTEM).created == 3
    bills = {b.payer_unit_id: b for b in Bill.objects.filter(assignment__item=item)}
    # 1,001 kWh × 0.60 = 600.60, split 2 : 1 : 1 to the fen, the odd fen to the largest remainder.
    assert [bills[u.pk].total for u in units] == [Decimal("300.30"), Decimal("150.15"), Decimal("150.15")]
    assert sum(b.total for b in bills.values()) == Decimal("600.60")
    line = bills[units[0].pk].lines.get()
    assert (line.quantity, line.unit_price) == (Decimal("500.5000"), Decimal("0.6000"))
    again = services.bill_run(estate=estate_a, on=dt.date(2026, 12, 1), by=SYSTEM)
    assert (again.created, again.skipped) == (0, 3)


def test_a_shared_meter_is_split_by_sub_meter_use(estate_a):
    item, units = _shared_setup(estate_a, "sub_meter")
    for unit, (start, end) in zip(units, (("0", "30"), ("0", "10")), strict=False):
        sub = services.meter_create(
            estate=estate_a,
            unit=unit,
            kind="electricity",
            serial=f"E-{unit.pk}",
            installed_on=dt.date(2025, 1, 1),
            by=SYSTEM,
        )
        services.meter_reading_record(
            meter=sub, value=start, read_on=dt.date(2026, 10, 31), today=dt.date(2026, 12, 1), by=SYSTEM
        )
        services.meter_reading_record(
            meter=sub, value=end, read_on=dt.date(2026, 11, 30), today=dt.date(2026, 12, 1), by=SYSTEM
        )
    services.bill_run(estate=estate_a, on=dt.date(2026, 12, 1), by=SYSTEM)
    bills = {b.payer_unit_id: b.total for b in Bill.objects.filter(assignment__item=item)}
    # 30 : 10 : 0 of 600.60; the unit that used nothing owes nothing of it.
    assert bills == {units[0].pk: Decimal("450.45"), units[1].pk: Decimal("150.15")}


def test_no_shared_reading_no_split_bill(estate_a):
    shared = services.meter_create(
        estate=estate_a, kind="water", serial="GT-W", installed_on=dt.date(2025, 1, 1), by=SYSTEM
    )
    item = ChargeItemFactory(
        estate=estate_a, name="公摊水费", basis="shared", prepaid=False, shared_meter=shared
    )
    TariffFactory(item=item, unit_price=Decimal("3.00"), effective_from=dt.date(2020, 1, 1))
    AssignmentFactory(item=item, start_date=dt.date(2025, 1, 1))
    result = services.bill_run(estate=estate_a, on=dt.date(2026, 12, 1), by=SYSTEM)
    assert (result.created, result.missing) == (0, 1)
