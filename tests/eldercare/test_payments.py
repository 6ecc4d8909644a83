"""Self-pay goes through community.billing: one bill per order, and paying it marks the order."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from community.billing.services import payment_create
from eldercare import payments, services


def _complete(order, worker):
    now = timezone.now()
    services.order_accept(order=order, by=worker, now=now)
    services.order_check_in(order=order, by=worker, latitude=32.629, longitude=110.798, now=now)
    return services.order_check_out(
        order=order, by=worker, latitude=32.629, longitude=110.798, now=now + dt.timedelta(hours=1)
    )


def test_self_pay_is_billed_once_to_the_elders_home_and_paying_marks_the_order(
    elder_a, cleaning_a, book, worker_a, manager_a, household_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = _complete(book(elder_a, cleaning_a), worker_a)
    bill = payments.self_pay_bill(order)
    assert bill is not None and bill.total == order.self_pay_amount == Decimal("50.00")
    assert bill.payer_unit == household_a[1]
    # Posting again (a retried task) bills nothing more.
    assert payments.self_pay_charge(order=order, by=worker_a).pk == bill.pk
    with django_capture_on_commit_callbacks(execute=True):
        payment_create(bills=[bill], provider="offline", channel="cash", by=manager_a)
    order.refresh_from_db()
    assert order.self_pay_paid_at is not None


def test_a_fully_subsidised_order_gets_no_bill(
    elder_a, cleaning_a, book, worker_a, coordinator_a, django_capture_on_commit_callbacks
):
    from tests.factories import SubsidyPolicyFactory

    services.assessment_record(
        elder=elder_a,
        self_care=20,
        mobility=10,
        mental_state=20,
        perception_social=10,
        reason="first",
        assessed_on=dt.date(2026, 1, 1),
        by=coordinator_a,
    )
    SubsidyPolicyFactory(estate=elder_a.estate, monthly_amount=Decimal("500.00"))
    with django_capture_on_commit_callbacks(execute=True):
        order = _complete(book(elder_a, cleaning_a), worker_a)
    assert order.self_pay_amount == Decimal("0.00")
    assert payments.self_pay_bill(order) is None
