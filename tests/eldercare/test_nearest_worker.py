"""Nearest-worker suggestions from the positions workers chose to share."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from community.accounts.roles import StaffRole
from community.errors import NotAllowed
from eldercare import selectors, services
from eldercare.models import WorkerPosition
from tests.factories import StaffFactory

# The elder's home (ElderFactory) is at 32.629, 110.798; 0.001° of latitude is about 111 m.
NEAR = (32.630, 110.798)  # ~111 m
FAR = (32.640, 110.798)  # ~1.2 km
POSITION = "/api/v1/eldercare/me/position/"
SHARING = "/api/v1/eldercare/me/position-sharing/"


def _share(worker, where, *, now=None):
    services.worker_position_sharing_set(by=worker, sharing=True, now=now)
    return services.worker_position_report(
        by=worker, latitude=where[0], longitude=where[1], accuracy=20, now=now
    )


def test_the_nearest_free_worker_comes_first(elder_a, cleaning_a, book, worker_a, worker_a2, worker_b):
    order = book(elder_a, cleaning_a)
    _share(worker_a, FAR)
    _share(worker_a2, NEAR)
    _share(worker_b, NEAR)  # another estate's worker: never suggested here
    found = selectors.suggest_workers(order)
    assert [s.worker for s in found] == [worker_a2, worker_a]
    assert 100 < found[0].distance_m < 125 and 1100 < found[1].distance_m < 1250
    assert selectors.suggest_worker(order) == worker_a2


def test_busy_workers_are_left_out_and_unknown_positions_come_last(
    elder_a, cleaning_a, book, worker_a, worker_a2, coordinator_a
):
    silent = StaffFactory(estate=elder_a.estate, role=StaffRole.ELDERCARE_WORKER, username="silent")
    order = book(elder_a, cleaning_a)
    _share(worker_a, NEAR)
    _share(worker_a2, FAR)
    other = book(elder_a, cleaning_a, scheduled_at=order.scheduled_at + dt.timedelta(minutes=10))
    services.order_assign(order=other, worker=worker_a, by=coordinator_a)  # busy at that hour
    assert [s.worker for s in selectors.suggest_workers(order)] == [worker_a2, silent]
    assert selectors.suggest_workers(order)[1].distance_m is None


def test_a_stale_position_is_not_used(elder_a, cleaning_a, book, worker_a, worker_a2):
    order = book(elder_a, cleaning_a)
    _share(worker_a, NEAR, now=timezone.now() - selectors.POSITION_FRESH_FOR - dt.timedelta(minutes=1))
    _share(worker_a2, FAR)
    found = selectors.suggest_workers(order)
    assert [s.worker for s in found] == [worker_a2, worker_a] and found[1].distance_m is None


def test_suggestions_cost_the_same_queries_for_many_workers(elder_a, cleaning_a, book, worker_a):
    order = book(elder_a, cleaning_a)
    _share(worker_a, NEAR)
    order = type(order).objects.select_related("item", "elder", "estate").get(pk=order.pk)
    with CaptureQueriesContext(connection) as few:
        selectors.suggest_workers(order)
    for n in range(8):
        extra = StaffFactory(estate=elder_a.estate, role=StaffRole.ELDERCARE_WORKER, username=f"extra{n}")
        _share(extra, FAR)
    with CaptureQueriesContext(connection) as many:
        found = selectors.suggest_workers(order, limit=20)
    assert len(found) == 9
    assert len(many) == len(few) <= 2


def test_positions_need_the_workers_consent_and_stopping_erases_them(worker_a, coordinator_a):
    with pytest.raises(NotAllowed):
        services.worker_position_report(by=worker_a, latitude=NEAR[0], longitude=NEAR[1])
    row = _share(worker_a, NEAR)
    assert row.reported_at is not None and row.latitude is not None
    services.worker_position_sharing_set(by=worker_a, sharing=False)
    row.refresh_from_db()
    assert (row.sharing, row.latitude, row.longitude, row.reported_at) == (False, None, None, None)
    with pytest.raises(NotAllowed):  # only care workers share a position
        services.worker_position_sharing_set(by=coordinator_a, sharing=True)


def test_the_phone_reports_over_the_api(worker_a, client_for, household_a):
    client = client_for(worker_a)
    refused = client.post(
        POSITION, {"latitude": NEAR[0], "longitude": NEAR[1]}, content_type="application/json"
    )
    assert refused.status_code == 403
    assert client.post(SHARING, {"sharing": True}, content_type="application/json").status_code == 200
    bad = client.post(POSITION, {"latitude": 123, "longitude": NEAR[1]}, content_type="application/json")
    assert bad.status_code == 400 and "latitude" in bad.json()["error"]["fields"]
    ok = client.post(
        POSITION, {"latitude": NEAR[0], "longitude": NEAR[1], "accuracy": 15}, content_type="application/json"
    )
    assert ok.status_code == 200 and ok.json()["reported_at"]
    stored = WorkerPosition.objects.get(worker=worker_a)
    assert (float(stored.latitude), stored.accuracy_m) == (NEAR[0], 15)
    # A resident is no care worker.
    resident = client_for(household_a[0])
    assert resident.post(SHARING, {"sharing": True}, content_type="application/json").status_code == 403


def test_worker_page_toggle_and_coordinator_assigns_a_suggested_worker(
    elder_a, cleaning_a, book, worker_a, worker_a2, coordinator_a, client_for
):
    worker_page = client_for(worker_a)
    assert b"data-sharing-on" in worker_page.get("/worker/care/").content
    worker_page.post("/worker/care/position-sharing/", {"sharing": "1"})
    page = worker_page.get("/worker/care/").content.decode()
    assert "data-sharing-off" in page and 'data-report-position="/api/v1/eldercare/me/position/"' in page
    services.worker_position_report(by=worker_a, latitude=NEAR[0], longitude=NEAR[1])

    order = book(elder_a, cleaning_a)
    coordinator = client_for(coordinator_a)
    page = coordinator.get(f"/worker/care/orders/{order.pk}/").content.decode()
    assert page.index(f'data-assign="{worker_a.pk}"') < page.index(f'data-assign="{worker_a2.pk}"')
    coordinator.post(f"/worker/care/orders/{order.pk}/assign/", {"worker": worker_a2.pk})
    order.refresh_from_db()
    assert (order.status, order.worker) == ("accepted", worker_a2)


def test_a_coordinator_cannot_assign_another_estates_worker(
    elder_a, cleaning_a, book, worker_b, coordinator_a, client_for
):
    order = book(elder_a, cleaning_a)
    client_for(coordinator_a).post(f"/worker/care/orders/{order.pk}/assign/", {"worker": worker_b.pk})
    order.refresh_from_db()
    assert (order.status, order.worker) == ("pending", None)


def test_the_admin_order_list_costs_the_same_queries_for_more_orders(
    elder_a, cleaning_a, book, coordinator_a, client_for
):
    client = client_for(coordinator_a)
    for _ in range(2):
        book(elder_a, cleaning_a)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/admin/eldercare/order/").status_code == 200
    for _ in range(6):
        book(elder_a, cleaning_a)
    with CaptureQueriesContext(connection) as many:
        assert client.get("/admin/eldercare/order/").status_code == 200
    assert len(many) == len(few)
