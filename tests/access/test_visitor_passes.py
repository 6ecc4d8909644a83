"""Visitor passes: created by a resident in the portal, verified at the gate within the request,
windows and entry counts enforced atomically, revocable by the host, invisible to others."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from access.models import AccessEvent, VisitorPass
from access.services import visitor_pass_create, visitor_pass_token
from tests.access.conftest import NATIVE_TOKEN
from tests.factories import DeviceFactory

VERIFY = "/api/v1/devices/verify"


def make_pass(user, unit, **kwargs) -> VisitorPass:
    now = timezone.now()
    defaults = {
        "visitor_name": "李四",
        "valid_from": now - dt.timedelta(minutes=5),
        "valid_until": now + dt.timedelta(hours=2),
        "max_entries": 2,
    }
    return visitor_pass_create(by=user, unit=unit, **{**defaults, **kwargs})


def verify(client, token, *, device_token=NATIVE_TOKEN, **extra):
    return client.post(
        VERIFY,
        data={"type": "qr", "value": token, **extra},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {device_token}",
    )


@pytest.mark.django_db
def test_resident_creates_a_pass_in_the_portal_and_sees_its_qr(household_a, client_for):
    user, unit = household_a
    client = client_for(user)
    page = client.get("/portal/access/passes/new/")
    assert page.status_code == 200
    response = client.post(
        "/portal/access/passes/new/",
        {
            "unit": unit.pk,
            "visitor_name": "李四",
            "visitor_phone": "13912345678",
            "plate": "鄂c12345",
            "valid_from": "2030-01-01T09:00",
            "valid_until": "2030-01-01T18:00",
            "max_entries": 3,
        },
    )
    visitor_pass = VisitorPass.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/portal/access/passes/{visitor_pass.pk}/"
    assert (visitor_pass.unit, visitor_pass.max_entries, visitor_pass.plate) == (unit, 3, "鄂C12345")
    detail = client.get(response["Location"]).content.decode()
    assert "<svg" in detail and 'data-testid="visitor-pass-qr"' in detail


@pytest.mark.django_db
def test_bad_window_is_refused_with_a_message(household_a, client_for):
    user, unit = household_a
    response = client_for(user).post(
        "/portal/access/passes/new/",
        {
            "unit": unit.pk,
            "visitor_name": "李四",
            "valid_from": "2030-01-02T09:00",
            "valid_until": "2030-01-01T09:00",
            "max_entries": 1,
        },
    )
    assert response.status_code == 200 and not VisitorPass.objects.exists()
    assert response.context["form"].errors["valid_until"]


@pytest.mark.django_db
def test_another_household_cannot_see_or_revoke_my_pass(household_a, household_b, client_for):
    visitor_pass = make_pass(*household_a)
    other = client_for(household_b[0])
    assert other.get(f"/portal/access/passes/{visitor_pass.pk}/").status_code == 404
    assert other.post(f"/portal/access/passes/{visitor_pass.pk}/revoke/").status_code == 404
    assert "李四" not in other.get("/portal/access/").content.decode()
    visitor_pass.refresh_from_db()
    assert visitor_pass.revoked_at is None


@pytest.mark.django_db
def test_cannot_create_a_pass_for_someone_elses_home(household_a, household_b, client_for):
    response = client_for(household_a[0]).post(
        "/portal/access/passes/new/",
        {
            "unit": household_b[1].pk,
            "visitor_name": "X",
            "valid_from": "2030-01-01T09:00",
            "valid_until": "2030-01-01T10:00",
            "max_entries": 1,
        },
    )
    assert response.status_code == 200 and not VisitorPass.objects.exists()


@pytest.mark.django_db
def test_verify_allows_counts_and_records_then_denies_when_used_up(household_a, native_device, device_client):
    visitor_pass = make_pass(*household_a, max_entries=2)
    token = visitor_pass_token(visitor_pass)
    first = verify(device_client, token).json()
    assert first["allow"] is True and first["entries_left"] == 1 and first["visitor"] == "李四"
    assert verify(device_client, token).json()["allow"] is True
    third = verify(device_client, token).json()
    assert (third["allow"], third["reason"]) == (False, "pass_used_up")
    visitor_pass.refresh_from_db()
    assert visitor_pass.entries_used == 2
    assert list(AccessEvent.objects.order_by("id").values_list("result", "visitor_pass_id", "method")) == [
        ("granted", visitor_pass.pk, "qr"),
        ("granted", visitor_pass.pk, "qr"),
        ("denied", visitor_pass.pk, "qr"),
    ]


@pytest.mark.django_db
def test_retried_verify_with_the_same_event_id_counts_once(household_a, native_device, device_client):
    visitor_pass = make_pass(*household_a, max_entries=1)
    token = visitor_pass_token(visitor_pass)
    assert verify(device_client, token, event_id="scan-1").json()["allow"] is True
    again = verify(device_client, token, event_id="scan-1").json()
    assert again["allow"] is True and again["duplicate"] is True
    visitor_pass.refresh_from_db()
    assert visitor_pass.entries_used == 1 and AccessEvent.objects.count() == 1


@pytest.mark.django_db
def test_verify_denies_revoked_expired_future_forged_and_other_estate(
    household_a, native_device, device_client, client_for, estate_b
):
    user, unit = household_a
    revoked = make_pass(user, unit)
    client_for(user).post(f"/portal/access/passes/{revoked.pk}/revoke/")
    now = timezone.now()
    future = make_pass(
        user, unit, valid_from=now + dt.timedelta(hours=1), valid_until=now + dt.timedelta(hours=2)
    )
    ok = make_pass(user, unit)
    VisitorPass.objects.filter(pk=ok.pk).update(
        valid_until=now - dt.timedelta(seconds=1), valid_from=now - dt.timedelta(hours=1)
    )
    assert verify(device_client, visitor_pass_token(revoked)).json()["reason"] == "pass_revoked"
    assert verify(device_client, visitor_pass_token(future)).json()["reason"] == "pass_not_yet_valid"
    assert verify(device_client, visitor_pass_token(ok)).json()["reason"] == "pass_expired"
    forged = f"vp.{future.pk}.{future.nonce}:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    assert verify(device_client, forged).json()["reason"] == "pass_invalid"
    DeviceFactory(estate=estate_b, token="estate-b-gate-token")
    other = verify(device_client, visitor_pass_token(future), device_token="estate-b-gate-token").json()
    assert (other["allow"], other["reason"]) == (False, "pass_invalid")
    assert set(AccessEvent.objects.values_list("result", flat=True)) == {"denied"}


@pytest.mark.django_db
def test_verify_a_resident_card(native_device, device_client, estate_a):
    from tests.factories import CredentialFactory, ResidentFactory

    resident = ResidentFactory(estate=estate_a, name="赵六")
    CredentialFactory(resident=resident, value="0099887766")
    answer = device_client.post(
        VERIFY,
        data={"type": "card", "value": "0099887766"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {NATIVE_TOKEN}",
    ).json()
    assert answer["allow"] is True and answer["resident"] == "赵六"
    assert AccessEvent.objects.get().resident == resident


@pytest.mark.django_db
def test_visitor_page_shows_the_qr_without_login(household_a, client):
    visitor_pass = make_pass(*household_a)
    page = client.get(f"/portal/access/v/{visitor_pass_token(visitor_pass)}/")
    assert page.status_code == 200 and "<svg" in page.content.decode()
    assert (
        client.get(f"/portal/access/v/vp.{visitor_pass.pk}.{visitor_pass.nonce}:forged/").status_code == 404
    )


@pytest.mark.django_db(transaction=True)
def test_two_gates_scanning_the_last_entry_at_once_allow_exactly_one(household_a, estate_a):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; SQLite serialises all writers anyway")
    from django.test import Client

    visitor_pass = make_pass(*household_a, max_entries=1)
    token = visitor_pass_token(visitor_pass)
    DeviceFactory(estate=estate_a, token="gate-one-token-0001")
    DeviceFactory(estate=estate_a, token="gate-two-token-0002")
    barrier = threading.Barrier(2)
    answers = []

    def scan(device_token):
        from django.db import connections

        try:
            barrier.wait()
            answers.append(verify(Client(), token, device_token=device_token).json()["allow"])
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=scan, args=(t,)) for t in ("gate-one-token-0001", "gate-two-token-0002")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [False, True]
    visitor_pass.refresh_from_db()
    assert visitor_pass.entries_used == 1
    assert sorted(AccessEvent.objects.values_list("result", flat=True)) == ["denied", "granted"]


@pytest.mark.django_db
def test_parking_can_find_a_valid_pass_by_plate(household_a, estate_a, estate_b):
    from access.selectors import visitor_pass_for_plate

    visitor_pass = make_pass(*household_a, plate="鄂c12345")
    assert visitor_pass_for_plate(estate_id=estate_a.pk, plate="鄂C12345") == visitor_pass
    assert visitor_pass_for_plate(estate_id=estate_b.pk, plate="鄂C12345") is None
    VisitorPass.objects.filter(pk=visitor_pass.pk).update(entries_used=2)
    assert visitor_pass_for_plate(estate_id=estate_a.pk, plate="鄂C12345") is None
