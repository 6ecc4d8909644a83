"""Staff reports: the collection rate moves when a bill is paid; each estate's staff see only
their estate; Excel export; a constant number of queries."""

import datetime as dt
import io
from decimal import Decimal

from django.utils import timezone
from openpyxl import load_workbook

from community.billing import reports, services
from community.billing.models import Bill
from tests.factories import AssignmentFactory, ChargeItemFactory, TariffFactory, UnitFactory

SYSTEM = "system:test"


def _month_bills(estate, n=2):
    item = ChargeItemFactory(estate=estate, name="物业费", prepaid=True)
    TariffFactory(item=item, unit_price=Decimal("2.00"), effective_from=dt.date(2020, 1, 1))
    for _ in range(n):
        AssignmentFactory(
            item=item, unit=UnitFactory(building__estate=estate, exclusive_area=Decimal("50.00"))
        )
    services.bill_run(estate=estate, on=timezone.localdate(), by=SYSTEM)
    return list(Bill.objects.filter(estate=estate).order_by("pk"))


def test_collection_rate_moves_when_a_bill_is_paid(estate_a, manager_a, client_for):
    bills = _month_bills(estate_a)
    client = client_for(manager_a)
    page = client.get("/staff/billing/")
    assert page.status_code == 200
    assert page.context["by_month"][-1].rate == Decimal("0.0")
    payment = services.payment_create(bills=[bills[0]], provider="demo", by=SYSTEM)
    services.demo_payment_complete(payment=payment, by=SYSTEM)
    page = client.get("/staff/billing/")
    assert page.context["by_month"][-1].rate == Decimal("50.0")
    assert "50.0%" in page.content.decode()
    takings = page.context["takings"]
    assert [(row[1], row[3], row[4]) for row in takings] == [("demo", 1, Decimal("100.00"))]


def test_staff_of_another_estate_never_see_this_estates_figures(estate_a, estate_b, manager_b, client_for):
    _month_bills(estate_a)
    client = client_for(manager_b)
    page = client.get(f"/staff/billing/?estate={estate_a.pk}")
    assert page.status_code == 200, page.content[:300]
    assert page.context["estate"] == estate_b
    assert page.context["by_month"] == []
    export = client.get(f"/staff/billing/export.xlsx?estate={estate_a.pk}")
    sheet = load_workbook(io.BytesIO(export.content))["收缴率"]
    assert sheet.max_row == 1  # the header only


def test_residents_may_not_open_the_reports(household_a, client_for):
    user, _unit = household_a
    assert client_for(user).get("/staff/billing/").status_code == 403


def test_ageing_and_revenue(estate_a):
    bills = _month_bills(estate_a, n=1)
    Bill.objects.filter(pk=bills[0].pk).update(due_date=timezone.localdate() - dt.timedelta(days=100))
    ageing = {
        label: (n, owed) for label, n, owed in reports.arrears_ageing(estate_a, as_of=timezone.localdate())
    }
    assert ageing["91-180"] == (1, Decimal("100.00"))
    revenue = reports.revenue_by_service_month(estate_a, year=timezone.localdate().year)
    assert sum(amount for _m, amount in revenue) == Decimal("100.00")


def test_report_page_queries_do_not_grow_with_bills(
    estate_a, manager_a, client_for, django_assert_max_num_queries
):
    _month_bills(estate_a, n=2)
    client = client_for(manager_a)
    with django_assert_max_num_queries(30) as small:
        client.get("/staff/billing/")
    _month_bills_more = [AssignmentFactory(item=Bill.objects.first().assignment.item) for _ in range(20)]
    services.bill_run(estate=estate_a, on=timezone.localdate(), by=SYSTEM)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get("/staff/billing/")
