"""Booking, accepting (the race), check-in/out, meals, exceptions, cancelling and failing."""

from __future__ import annotations

import datetime as dt
import threading
import zoneinfo
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from community.errors import AlreadyDone, NotAllowed, ServiceError, TransitionRefused
from eldercare import selectors, services, visit_rules
from eldercare.doorcode import door_code
from eldercare.models import CareSettings, Order
from tests.factories import StaffFactory

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
HOME = (32.629, 110.798)


def _visit(order, worker, *, minutes=45, **check_in):
    start = timezone.now()
    services.order_accept(order=order, by=worker)
    services.order_check_in(
        order=order, by=worker, latitude=HOME[0], longitude=HOME[1], accuracy=12, now=start, **check_in
    )
    return services.order_check_out(
        order=order,
        by=worker,
        latitude=HOME[0],
        longitude=HOME[1],
        accuracy=12,
        now=start + dt.timedelta(minutes=minutes),
    )


def test_family_books_and_the_order_records_booker_and_beneficiary(elder_a, cleaning_a, book, household_a):
    order = book(elder_a, cleaning_a)
    assert order.status == "pending"
    assert order.booked_by == household_a[0]
    assert order.booked_via == "family"
    assert order.elder == elder_a


def test_staff_books_on_a_phone_call(elder_a, cleaning_a, book, coordinator_a):
    order = book(elder_a, cleaning_a, by=coordinator_a)
    assert order.booked_via == "phone"


def test_a_stranger_cannot_book_for_the_elder(elder_a, cleaning_a, book, household_b):
    with pytest.raises(NotAllowed):
        book(elder_a, cleaning_a, by=household_b[0])


def test_service_of_a_station_not_serving_the_estate_is_refused(elder_a, book):
    from tests.factories import ServiceItemFactory

    with pytest.raises(ServiceError):
        book(elder_a, ServiceItemFactory())


def test_meal_has_a_promised_time_and_a_cut_off(elder_a, lunch_a, book):
    day = dt.date(2026, 12, 10)
    morning = dt.datetime(2026, 12, 10, 8, 0, tzinfo=SHANGHAI)
    order = book(elder_a, lunch_a, day=day, meal_slot="lunch", scheduled_at=None, now=morning)
    assert order.promised_at == dt.datetime(2026, 12, 10, 11, 30, tzinfo=SHANGHAI)
    too_late = dt.datetime(2026, 12, 10, 9, 31, tzinfo=SHANGHAI)  # cut-off 2 h before 11:30
    with pytest.raises(ServiceError) as refused:
        book(elder_a, lunch_a, day=day, meal_slot="lunch", scheduled_at=None, now=too_late)
    assert (
        "closed at" in str(refused.value.message_dict["meal_slot"]) or refused.value.message_dict["meal_slot"]
    )


def test_meal_lateness_is_recorded_at_delivery(elder_a, lunch_a, book, worker_a):
    day = timezone.localdate() + dt.timedelta(days=1)
    order = book(elder_a, lunch_a, day=day, meal_slot="lunch", scheduled_at=None)
    services.order_accept(order=order, by=worker_a)
    delivered = order.promised_at + dt.timedelta(minutes=25)
    order = services.order_check_in(
        order=order, by=worker_a, latitude=HOME[0], longitude=HOME[1], now=delivered
    )
    assert order.late_minutes == 25


def test_recurring_plan_generates_weekday_lunches_ahead_once(elder_a, lunch_a, household_a):
    monday = dt.datetime(2026, 12, 7, 6, 0, tzinfo=SHANGHAI)
    plan = services.plan_create(
        elder=elder_a,
        item=lunch_a,
        weekdays=[0, 1, 2, 3, 4],
        time_of_day=dt.time(11, 30),
        meal_slot="lunch",
        start_date=monday.date(),
        end_date=monday.date() + dt.timedelta(days=30),
        by=household_a[0],
        now=monday,
    )
    first = Order.objects.filter(plan=plan).count()
    assert first == 6  # Mon 7th .. Mon 14th: 6 weekdays within the 7-day horizon
    services.plan_generate(plan=plan, by="system:care_plans", now=monday)
    assert Order.objects.filter(plan=plan).count() == first
    services.plan_generate(plan=plan, by="system:care_plans", now=monday + dt.timedelta(days=1))
    assert Order.objects.filter(plan=plan).count() == first + 1


def test_accept_then_second_worker_gets_already_taken(elder_a, cleaning_a, book, worker_a, worker_a2):
    order = book(elder_a, cleaning_a)
    services.order_accept(order=order, by=worker_a)
    with pytest.raises(AlreadyDone) as taken:
        services.order_accept(order=order, by=worker_a2)
    assert taken.value.http_status == 409
    assert "已被接单" in " ".join(taken.value.messages)
    order.refresh_from_db()
    assert order.worker == worker_a


def test_worker_of_another_estate_cannot_accept(elder_a, cleaning_a, book, worker_b, client_for):
    order = book(elder_a, cleaning_a)
    response = client_for(worker_b).post(f"/api/v1/eldercare/orders/{order.pk}/accept/")
    assert response.status_code == 404
    with pytest.raises(NotAllowed):
        services.order_accept(order=order, by=worker_b)


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_accept_race_with_real_threads_exactly_one_wins(estate_a, household_a, coordinator_a):
    from community.accounts.roles import StaffRole
    from tests.factories import CareStationFactory, ElderFactory, ServiceItemFactory

    station = CareStationFactory(estates=[estate_a])
    item = ServiceItemFactory(station=station)
    elder = ElderFactory(estate=estate_a)
    workers = [StaffFactory(estate=estate_a, role=StaffRole.ELDERCARE_WORKER) for _ in range(8)]
    order = services.order_book(
        elder=elder, item=item, by=coordinator_a, scheduled_at=timezone.now() + dt.timedelta(hours=1)
    )
    barrier = threading.Barrier(len(workers))
    outcomes: list[str] = []
    lock = threading.Lock()

    def press(worker):
        try:
            barrier.wait()
            services.order_accept(order=Order.objects.get(pk=order.pk), by=worker)
            result = "ok"
        except AlreadyDone:
            result = "taken"
        except Exception as exc:  # anything else is a bug the test must show
            result = repr(exc)
        finally:
            connection.close()  # each thread's own connection
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=press, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok"] + ["taken"] * (len(workers) - 1)
    order.refresh_from_db()
    assert order.worker in workers and order.status == "accepted"


def test_check_in_keeps_server_time_distance_and_accuracy(elder_a, cleaning_a, book, worker_a):
    order = book(elder_a, cleaning_a)
    services.order_accept(order=order, by=worker_a)
    now = timezone.now()
    phone = now - dt.timedelta(minutes=1)
    order = services.order_check_in(
        order=order,
        by=worker_a,
        latitude=32.6299,
        longitude=110.798,
        accuracy=15.4,
        claimed_at=phone,
        now=now,
    )
    assert order.status == "checked_in"
    assert order.checked_in_at == now and order.check_in_claimed_at == phone
    assert order.check_in_method == "geo"
    assert 95 <= order.check_in_distance_m <= 105
    assert order.check_in_accuracy_m == 15
    assert not order.check_in_synced_late


def test_door_code_check_in_today_works_and_yesterdays_does_not(elder_a, cleaning_a, book, worker_a):
    order = book(elder_a, cleaning_a)
    services.order_accept(order=order, by=worker_a)
    now = timezone.now()
    today = now.astimezone(SHANGHAI).date()
    yesterday = door_code(elder_id=elder_a.pk, salt=elder_a.door_code_salt, on=today - dt.timedelta(days=1))
    todays = door_code(elder_id=elder_a.pk, salt=elder_a.door_code_salt, on=today)
    if yesterday != todays:
        with pytest.raises(ServiceError):
            services.order_check_in(order=order, by=worker_a, door_code=yesterday, now=now)
    order = services.order_check_in(order=order, by=worker_a, door_code=todays, now=now)
    assert order.check_in_method == "door_code"


def test_offline_check_in_is_stored_once_and_flagged_synced_late(
    elder_a, cleaning_a, book, worker_a, client_for
):
    order = book(elder_a, cleaning_a)
    services.order_accept(order=order, by=worker_a)
    claimed = timezone.now() - dt.timedelta(hours=1)
    body = {
        "latitude": HOME[0],
        "longitude": HOME[1],
        "accuracy": 20,
        "claimed_at": claimed.isoformat(),
        "idempotency_key": "phone-7f3a-0001",
    }
    client = client_for(worker_a)
    first = client.post(
        f"/api/v1/eldercare/orders/{order.pk}/check-in/", body, content_type="application/json"
    )
    again = client.post(
        f"/api/v1/eldercare/orders/{order.pk}/check-in/", body, content_type="application/json"
    )
    assert first.status_code == again.status_code == 200
    assert first.json()["checked_in_at"] == again.json()["checked_in_at"]
    assert first.json()["check_in_synced_late"] is True
    order.refresh_from_db()
    assert "synced_late" in visit_rules.visit_exceptions(order, CareSettings())


def test_exception_list_flags_late_no_location_and_too_short(
    elder_a, cleaning_a, book, worker_a, coordinator_a
):
    order = book(elder_a, cleaning_a)
    services.order_accept(order=order, by=worker_a)
    late = order.scheduled_at + dt.timedelta(minutes=40)
    services.order_check_in(order=order, by=worker_a, now=late)  # no location at all
    services.order_check_out(order=order, by=worker_a, now=late + dt.timedelta(minutes=10))  # < 30 min
    rows = dict(selectors.exception_orders(coordinator_a, since=timezone.now() - dt.timedelta(days=1)))
    flags = rows[Order.objects.get(pk=order.pk)]
    assert {"late", "no_location", "too_short"} <= set(flags)


def test_a_good_visit_is_not_an_exception(elder_a, cleaning_a, book, worker_a, coordinator_a):
    order = book(elder_a, cleaning_a, scheduled_at=timezone.now() + dt.timedelta(minutes=1))
    _visit(order, worker_a)
    assert selectors.exception_orders(coordinator_a, since=timezone.now() - dt.timedelta(days=1)) == []


def test_requester_cancels_pending_but_staff_needs_a_reason_later(
    elder_a, cleaning_a, book, household_a, coordinator_a, worker_a
):
    first = book(elder_a, cleaning_a)
    assert services.order_cancel(order=first, by=household_a[0]).status == "cancelled"
    second = book(elder_a, cleaning_a)
    services.order_accept(order=second, by=worker_a)
    with pytest.raises(NotAllowed):
        services.order_cancel(order=second, by=household_a[0])
    with pytest.raises(ServiceError):
        services.order_cancel(order=second, by=coordinator_a)
    cancelled = services.order_cancel(order=second, by=coordinator_a, reason="老人住院")
    assert cancelled.cancel_reason == "老人住院"


def test_failed_visit_is_kept(elder_a, cleaning_a, book, worker_a):
    order = book(elder_a, cleaning_a)
    services.order_accept(order=order, by=worker_a)
    services.order_fail(order=order, outcome="not_home", by=worker_a)
    kept = Order.objects.get(pk=order.pk)
    assert kept.status == "failed" and kept.fail_outcome == "not_home"


def test_family_confirms_and_rates_once(elder_a, cleaning_a, book, worker_a, household_a):
    order = _visit(book(elder_a, cleaning_a), worker_a)
    family = household_a[0]
    with pytest.raises(NotAllowed):
        services.order_confirm(order=order, by=worker_a)
    services.order_confirm(order=order, by=family)
    rated = services.order_rate(order=order, rating=5, comment="很好", by=family)
    assert rated.status == "rated" and rated.rating == 5
    with pytest.raises((AlreadyDone, TransitionRefused)):
        services.order_rate(order=order, rating=1, by=family)


def test_coordinator_assigns_the_suggested_worker_least_loaded(
    elder_a, cleaning_a, book, worker_a, worker_a2, coordinator_a
):
    busy = book(elder_a, cleaning_a, scheduled_at=timezone.now() + dt.timedelta(hours=5))
    services.order_accept(order=busy, by=worker_a)
    order = book(elder_a, cleaning_a)
    assert selectors.suggest_worker(order) == worker_a2
    assigned = services.order_assign(order=order, worker=worker_a2, by=coordinator_a)
    assert assigned.worker == worker_a2 and assigned.status == "accepted"


def test_price_is_fixed_at_completion(elder_a, cleaning_a, book, worker_a):
    order = _visit(book(elder_a, cleaning_a, quantity=Decimal("1.5")), worker_a)
    assert order.price == Decimal("75.00")
    assert order.subsidy_amount + order.self_pay_amount == order.price
