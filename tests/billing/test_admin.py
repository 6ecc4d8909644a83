"""Staff admin: estate-scoped lists, corrections and offline payments through services."""

from decimal import Decimal

from community.billing import services
from community.billing.models import Bill, BillLine, Payment

SYSTEM = "system:test"


def _bill(estate, unit, ref):
    return services.charge_post(
        estate=estate,
        payer_unit=unit,
        item_type="property_fee",
        amount=Decimal("100.00"),
        description="物业费",
        source="test",
        source_ref=ref,
        by=SYSTEM,
    )


def test_staff_see_only_their_estates_bills(
    client_for, estate_a, estate_b, household_a, household_b, manager_a
):
    bill_a = _bill(estate_a, household_a[1], "a")
    bill_b = _bill(estate_b, household_b[1], "b")
    client = client_for(manager_a)
    page = client.get("/admin/billing/bill/")
    assert page.status_code == 200
    assert bill_a.description in page.content.decode()
    assert f"/admin/billing/bill/{bill_b.pk}/" not in page.content.decode()
    assert client.get(f"/admin/billing/bill/{bill_b.pk}/change/").status_code in (302, 403, 404)


def test_adjustment_through_the_admin_is_a_line_with_a_reason(client_for, estate_a, household_a, manager_a):
    bill = _bill(estate_a, household_a[1], "a")
    client = client_for(manager_a)
    refused = client.post("/admin/billing/billline/add/", {"bill": bill.pk, "amount": "-20.00", "reason": ""})
    assert refused.status_code == 200 and not BillLine.objects.filter(kind="credit").exists()
    done = client.post(
        "/admin/billing/billline/add/", {"bill": bill.pk, "amount": "-20.00", "reason": "维修期间减免"}
    )
    assert done.status_code == 302
    bill.refresh_from_db()
    assert bill.total == Decimal("80.00")


def test_offline_payment_through_the_admin(
    client_for, estate_a, estate_b, household_a, household_b, manager_a
):
    bill = _bill(estate_a, household_a[1], "a")
    other = _bill(estate_b, household_b[1], "b")
    client = client_for(manager_a)
    client.post("/admin/billing/payment/add/", {"bills": [other.pk], "channel": "cash", "amount": "100.00"})
    assert not Payment.objects.exists()
    response = client.post(
        "/admin/billing/payment/add/", {"bills": [bill.pk], "channel": "cash", "amount": ""}
    )
    assert response.status_code == 302, [str(e) for e in response.context["adminform"].form.errors.items()]
    assert Bill.objects.get(pk=bill.pk).status == "paid"


def test_admin_lists_keep_a_constant_number_of_queries(client_for, estate_a, household_a, manager_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(manager_a)
    pages = ["bill", "billline", "payment", "receipt", "prepaidentry", "paymentnotification"]

    def counts():
        result = {}
        for page in pages:
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(f"/admin/billing/{page}/").status_code == 200
            result[page] = len(ctx.captured_queries)
        return result

    for i in range(2):
        services.payment_create(
            bills=[_bill(estate_a, household_a[1], f"s{i}")], provider="offline", channel="cash", by=manager_a
        )
    small = counts()
    for i in range(12):
        services.payment_create(
            bills=[_bill(estate_a, household_a[1], f"l{i}")], provider="offline", channel="cash", by=manager_a
        )
    assert counts() == small
