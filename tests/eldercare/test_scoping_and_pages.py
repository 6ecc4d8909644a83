"""Who sees what: other estates' staff and other households' residents are kept out; list
pages keep a constant number of queries; the /worker/ shell lists each role's sections."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from community.accounts.roles import StaffRole
from tests.factories import StaffFactory


def test_other_household_cannot_see_or_act_on_an_order(elder_a, cleaning_a, book, household_b, client_for):
    order = book(elder_a, cleaning_a)
    client = client_for(household_b[0])
    assert client.get(f"/portal/care/orders/{order.pk}/").status_code == 404
    assert client.post(f"/portal/care/orders/{order.pk}/cancel/").status_code == 404
    assert client.get(f"/api/v1/eldercare/orders/{order.pk}/").status_code == 404
    assert client.get("/api/v1/eldercare/orders/").json()["count"] == 0
    assert elder_a.resident.name not in client.get("/portal/care/").content.decode()


def test_other_estate_staff_see_nothing(elder_a, cleaning_a, book, worker_b, manager_b, client_for):
    order = book(elder_a, cleaning_a)
    for outsider in (worker_b, manager_b):
        client = client_for(outsider)
        assert client.get(f"/api/v1/eldercare/orders/{order.pk}/").status_code == 404
        assert client.get(f"/worker/care/orders/{order.pk}/").status_code in (403, 404)
    assert order.number not in client_for(worker_b).get("/worker/care/").content.decode()


def test_care_notes_are_for_care_staff_only(elder_a, cleaning_a, book, worker_a, household_a, client_for):
    type(elder_a).objects.filter(pk=elder_a.pk).update(care_notes="糖尿病，饭菜少盐")
    order = book(elder_a, cleaning_a)
    assert "糖尿病" in client_for(worker_a).get(f"/worker/care/orders/{order.pk}/").content.decode()
    family = client_for(household_a[0])
    assert "糖尿病" not in family.get(f"/portal/care/orders/{order.pk}/").content.decode()
    assert "糖尿病" not in family.get(f"/api/v1/eldercare/orders/{order.pk}/").content.decode()


def test_residents_are_kept_out_of_worker_pages(household_a, client_for):
    assert client_for(household_a[0]).get("/worker/care/").status_code == 403


def test_accept_api_answers_one_200_then_409_already_taken(
    elder_a, cleaning_a, book, worker_a, worker_a2, client
):
    order = book(elder_a, cleaning_a)
    client.force_login(worker_a)
    assert client.post(f"/api/v1/eldercare/orders/{order.pk}/accept/").status_code == 200
    client.force_login(worker_a2)
    second = client.post(f"/api/v1/eldercare/orders/{order.pk}/accept/")
    assert second.status_code == 409
    assert second.json()["error"]["message"] == "已被接单"


def test_worker_shell_lists_sections_by_role(estate_a, worker_a, client_for):
    both = StaffFactory(estate=estate_a, role=StaffRole.TECHNICIAN)
    from community.residents.services import staff_membership_create

    staff_membership_create(user=both, estate=estate_a, role=StaffRole.ELDERCARE_WORKER, by="system:test")
    page = client_for(both).get("/worker/").content.decode()
    assert 'data-worker-section="tickets"' in page and 'data-worker-section="care"' in page
    # A care worker has one section: /worker/ is that section's page.
    only = client_for(worker_a).get("/worker/")
    assert only.status_code == 200 and "data-care-groups" in only.content.decode()


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", ["/worker/care/", "/portal/care/", "/api/v1/eldercare/orders/"])
def test_list_pages_keep_a_constant_number_of_queries(
    url, elder_a, cleaning_a, book, worker_a, household_a, client
):
    user = household_a[0] if "portal" in url or "api" in url else worker_a
    client.force_login(user)
    book(elder_a, cleaning_a)
    small = _count_queries(client, url)
    for n in range(6):
        book(elder_a, cleaning_a, scheduled_at=timezone.now() + dt.timedelta(hours=n + 1))
    assert _count_queries(client, url) == small


def test_family_books_weekday_lunches_for_a_month_from_the_portal(elder_a, lunch_a, household_a, client_for):
    from eldercare.models import Order, RecurringPlan

    start = timezone.localdate() + dt.timedelta(days=1)
    response = client_for(household_a[0]).post(
        "/portal/care/book/",
        {
            "elder": elder_a.pk,
            "item": lunch_a.pk,
            "day": start.isoformat(),
            "meal_slot": "lunch",
            "repeat_weekdays": ["0", "1", "2", "3", "4"],
            "repeat_until": (start + dt.timedelta(days=30)).isoformat(),
        },
    )
    assert response.status_code == 302
    plan = RecurringPlan.objects.get()
    generated = Order.objects.filter(plan=plan)
    assert 4 <= generated.count() <= 6  # the weekdays of the first week
    assert all(o.scheduled_at.astimezone(timezone.get_current_timezone()).weekday() < 5 for o in generated)


def test_the_elder_sees_her_own_page_in_large_type(estate_a, station_a, coordinator_a, client_for):
    from tests.factories import ElderFactory, ResidentFactory, UserFactory, consent_all

    user = UserFactory(phone="+8613800000999")
    elder = ElderFactory(estate=estate_a, resident=ResidentFactory(estate=estate_a, user=user, name="李德福"))
    consent_all(elder, coordinator_a)
    page = client_for(user).get("/portal/care/").content.decode()
    assert "care-elder-view" in page and "李德福" in page
