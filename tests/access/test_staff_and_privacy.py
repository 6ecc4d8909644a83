"""Staff side: admin at scale (scoped, read-only, exact search, masked), live feed page and its
websocket authoriser, audited movement lookups, device health, move-out revocation,
partitions and retention; constant query counts on every list."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from access.apps import authorise_access_group
from access.models import AccessEvent, Credential, Device, DeviceCommand, MovementLookup
from access.services import credential_issue
from community.accounts.roles import StaffRole
from community.consumers import can_subscribe
from community.residents.services import occupancy_end
from tests.factories import (
    DeviceFactory,
    GateFactory,
    ResidentFactory,
    StaffFactory,
    VisitorPassFactory,
)

pytestmark = pytest.mark.django_db


def make_events(device, n, *, resident=None, start=None, **fields):
    start = start or timezone.now() - dt.timedelta(hours=1)
    rows = [
        AccessEvent(
            estate_id=device.estate_id,
            device=device,
            gate_id=device.gate_id,
            occurred_at=start + dt.timedelta(seconds=i),
            received_at=timezone.now(),
            result=fields.get("result", "granted"),
            method=fields.get("method", "card"),
            direction="in",
            idempotency_key=f"{device.pk}-{start.timestamp()}-{i}",
            resident=resident,
            credential_value=fields.get("credential_value", ""),
            plate=fields.get("plate", ""),
        )
        for i in range(n)
    ]
    return AccessEvent.objects.bulk_create(rows)


@pytest.fixture
def device_b(estate_b):
    return DeviceFactory(estate=estate_b, gate=GateFactory(estate=estate_b, name="北门"), name="翠湖北门")


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return len(ctx.captured_queries)


# --- admin ------------------------------------------------------------------------------------


def test_admin_access_log_is_scoped_read_only_and_masked(
    native_device, device_b, manager_a, client_for, estate_a
):
    resident = ResidentFactory(estate=estate_a, phone="+8613811112222", name="钱七")
    make_events(native_device, 3, resident=resident, credential_value="0012345678")
    make_events(device_b, 2)
    client = client_for(manager_a)
    page = client.get("/admin/access/accessevent/")
    assert page.status_code == 200
    assert page.context["cl"].result_count == 3
    html = page.content.decode()
    assert "138****2222" in html and "13811112222" not in html and "******5678" in html
    assert "北门" not in html  # estate B's gate is not even offered as a filter
    assert client.get("/admin/access/accessevent/add/").status_code == 403
    event = AccessEvent.objects.filter(estate=estate_a).first()
    assert client.post(f"/admin/access/accessevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    other = AccessEvent.objects.filter(device=device_b).first()
    assert client.get(f"/admin/access/accessevent/{other.pk}/change/").status_code in (302, 404)


def test_admin_search_is_exact_card_or_plate_never_a_persons_phone(
    native_device, manager_a, client_for, estate_a
):
    resident = ResidentFactory(estate=estate_a, phone="+8613811113333")
    make_events(native_device, 2, credential_value="0012345678")
    make_events(native_device, 1, plate="鄂C12345", start=timezone.now() - dt.timedelta(hours=3))
    make_events(native_device, 4, resident=resident, start=timezone.now() - dt.timedelta(hours=5))
    client = client_for(manager_a)

    def found(term):
        return client.get("/admin/access/accessevent/", {"q": term}).context["cl"].result_count

    assert found("0012345678") == 2
    assert found("001234") == 0  # no substring scans
    assert found("鄂c12345") == 1
    # One person's passages only through the audited movement lookup (issue #15 item 5).
    assert found("13811113333") == 0


def test_admin_changelist_query_count_is_constant(native_device, manager_a, client_for, estate_a):
    client = client_for(manager_a)
    resident = ResidentFactory(estate=estate_a)
    make_events(native_device, 10, resident=resident)
    few = count_queries(client, "/admin/access/accessevent/")
    make_events(native_device, 200, resident=resident, start=timezone.now() - dt.timedelta(hours=3))
    assert count_queries(client, "/admin/access/accessevent/") == few
    assert (
        count_queries(client, f"/admin/access/accessevent/?gate={native_device.gate_id}&result=granted")
        == few
    )


def test_estimated_count_paginator_on_postgresql(native_device, manager_a, client_for):
    if connection.vendor != "postgresql":
        pytest.skip("estimated counts are a PostgreSQL feature")
    from access.admin import EstimatedCountPaginator

    make_events(native_device, 30)
    paginator = EstimatedCountPaginator(AccessEvent.objects.order_by("-occurred_at"), 10)
    assert paginator.count == 30  # small results are counted exactly
    EstimatedCountPaginator.EXACT_BELOW = 0
    try:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE access_accessevent")
        estimate = EstimatedCountPaginator(AccessEvent.objects.order_by("-occurred_at"), 10).count
        assert estimate > 0
    finally:
        EstimatedCountPaginator.EXACT_BELOW = 10_000


def test_credential_added_in_admin_goes_through_the_service(manager_a, client_for, estate_a):
    from access.models import Protocol

    DeviceFactory(estate=estate_a, protocol=Protocol.ZKTECO, serial_number="ZKADMIN1", token=None)
    resident = ResidentFactory(estate=estate_a)
    response = client_for(manager_a).post(
        "/admin/access/credential/add/", {"resident": resident.pk, "kind": "card", "value": "77665544"}
    )
    assert response.status_code == 302
    assert Credential.objects.get().value == "77665544"
    assert DeviceCommand.objects.get().command.startswith("DATA UPDATE USERINFO")


# --- live feed page and websocket -------------------------------------------------------------


def test_live_feed_page_shows_my_estate_only(native_device, device_b, manager_a, client_for):
    make_events(native_device, 2)
    make_events(device_b, 2)
    page = client_for(manager_a).get("/staff/access/")
    assert page.status_code == 200
    assert len(page.context["events"]) == 2 and {e.estate_id for e in page.context["events"]} == {
        native_device.estate_id
    }
    html = page.content.decode()
    assert f'data-group="estate.{native_device.estate_id}.access"' in html and "翠湖北门" not in html
    few = count_queries(client_for(manager_a), "/staff/access/")
    make_events(native_device, 40, start=timezone.now() - dt.timedelta(hours=4))
    assert count_queries(client_for(manager_a), "/staff/access/") == few


def test_live_feed_page_refuses_residents(household_a, client_for):
    assert client_for(household_a[0]).get("/staff/access/").status_code == 403


def test_websocket_group_is_for_staff_of_that_estate(manager_a, manager_b, estate_a, estate_b, household_a):
    group_a = f"estate.{estate_a.pk}.access"
    assert authorise_access_group(manager_a, group_a) and can_subscribe(manager_a, group_a)
    assert not can_subscribe(manager_b, group_a)
    assert not can_subscribe(household_a[0], group_a)
    assert not authorise_access_group(manager_a, f"estate.{estate_a.pk}.accessx")


# --- privacy ----------------------------------------------------------------------------------


def test_movement_lookup_is_for_managers_and_is_audited(
    native_device, manager_a, manager_b, client_for, estate_a
):
    resident = ResidentFactory(estate=estate_a)
    make_events(native_device, 3, resident=resident)
    url = f"/staff/access/residents/{resident.pk}/movements/"
    client = client_for(manager_a)
    assert client.get(url).context["events"] is None  # a reason first
    assert client.post(url, {"reason": ""}).context["events"] is None
    assert not MovementLookup.objects.exists()
    response = client.post(url, {"reason": "警方协查 2026-118"})
    assert len(response.context["events"]) == 3
    audit = MovementLookup.objects.get()
    assert (audit.user, audit.resident, audit.reason) == (manager_a, resident, "警方协查 2026-118")
    security = StaffFactory(estate=estate_a, role=StaffRole.SECURITY)
    assert client_for(security).post(url, {"reason": "x"}).status_code == 403
    assert client_for(manager_b).post(url, {"reason": "x"}).status_code == 404
    assert MovementLookup.objects.count() == 1


def test_portal_shows_my_household_records_only_with_constant_queries(
    household_a, household_b, native_device, client_for, estate_b
):
    user, unit = household_a
    me = user.resident_records.get()
    other_device = DeviceFactory(estate=estate_b)
    other = household_b[0].resident_records.get()
    make_events(native_device, 3, resident=me)
    make_events(other_device, 5, resident=other)
    visitor_pass = VisitorPassFactory(unit=unit, created_by=user)
    client = client_for(user)
    page = client.get("/portal/access/")
    assert len(page.context["events"]) == 3 and list(page.context["passes"]) == [visitor_pass]
    few = count_queries(client, "/portal/access/")
    make_events(native_device, 30, resident=me, start=timezone.now() - dt.timedelta(hours=6))
    for _ in range(5):
        VisitorPassFactory(unit=unit, created_by=user)
    assert count_queries(client, "/portal/access/") == few


# --- health, move-out, partitions -------------------------------------------------------------


def test_silent_devices_go_offline_and_security_is_notified(native_device, estate_a):
    from community.notifications.models import Notification

    guard = StaffFactory(estate=estate_a, role=StaffRole.SECURITY)
    Device.objects.filter(pk=native_device.pk).update(
        online=True, last_seen_at=timezone.now() - dt.timedelta(minutes=6)
    )
    fresh = DeviceFactory(estate=estate_a, online=True, last_seen_at=timezone.now())
    call_command("devices_check_offline")
    assert not Device.objects.get(pk=native_device.pk).online and Device.objects.get(pk=fresh.pk).online
    note = Notification.objects.get()
    assert note.recipient == guard and native_device.name in note.title_for(guard)
    call_command("devices_check_offline")
    assert Notification.objects.count() == 1


def test_move_out_revokes_credentials_and_tells_the_devices(household_a, estate_a, manager_a):
    from access.models import Protocol

    DeviceFactory(estate=estate_a, protocol=Protocol.ZKTECO, serial_number="ZKMOVE01", token=None)
    user, _unit = household_a
    resident = user.resident_records.get()
    credential = credential_issue(resident=resident, kind="card", value="11223344", by=manager_a)
    occupancy_end(occupancy=resident.occupancies.get(), by=manager_a)
    credential.refresh_from_db()
    assert credential.revoked_at is not None and credential.revoked_reason == "move-out"
    assert DeviceCommand.objects.latest("pk").command == f"DATA DELETE USERINFO PIN={resident.pk}"


def test_retention_drops_old_access_records(native_device, settings):
    settings.ACCESS_LOG_RETENTION_DAYS = 180
    now = timezone.now()
    make_events(native_device, 2, start=now - dt.timedelta(days=400))
    make_events(native_device, 3, start=now - dt.timedelta(days=1))
    call_command("access_partitions")
    assert AccessEvent.objects.count() == 3


def test_partitions_are_monthly_created_ahead_and_absorb_the_default(native_device):
    if connection.vendor != "postgresql":
        pytest.skip("partitioning is PostgreSQL only")
    from access.partitions import month_start, partition_name, partitions_ensure, partitions_list

    far = timezone.now() + dt.timedelta(days=300)
    make_events(native_device, 2, start=far)  # lands in the DEFAULT partition for now
    created = partitions_ensure(months_ahead=11)
    assert partition_name(month_start(far)) in created
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM access_accessevent_default")
        assert cursor.fetchone()[0] == 0
    names = [p.name for p in partitions_list()]
    assert "access_accessevent_default" in names and AccessEvent.objects.count() == 2


@pytest.mark.parametrize(
    "model",
    ["gate", "device", "credential", "visitorpass", "devicecommand", "rawdevicemessage", "movementlookup"],
)
def test_admin_lists_open_for_the_manager(model, native_device, manager_a, client_for):
    assert client_for(manager_a).get(f"/admin/access/{model}/").status_code == 200


def test_rotating_a_device_token_from_the_admin(native_device, manager_a, client_for, device_client):
    client = client_for(manager_a)
    response = client.post(
        "/admin/access/device/",
        {"action": "rotate_token", "_selected_action": [native_device.pk]},
        follow=True,
    )
    text = next(str(m) for m in response.context["messages"])
    new_token = text.split("<code>")[1].split("</code>")[0]
    events = "/api/v1/devices/events"
    body = {"event_id": "x", "occurred_at": "2026-11-20T08:00:00+08:00", "result": "granted"}
    from tests.access.conftest import NATIVE_TOKEN

    assert (
        device_client.post(
            events, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {NATIVE_TOKEN}"
        ).status_code
        == 401
    )
    assert (
        device_client.post(
            events, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {new_token}"
        ).status_code
        == 200
    )


def test_whole_month_partitions_past_retention_are_dropped(native_device, settings):
    if connection.vendor != "postgresql":
        pytest.skip("partitioning is PostgreSQL only")
    from access.partitions import month_start, partition_name, partitions_drop_expired, partitions_ensure

    settings.ACCESS_LOG_RETENTION_DAYS = 180
    old = timezone.now() - dt.timedelta(days=400)
    partitions_ensure(now=old, months_ahead=1)  # as the task did 400 days ago
    make_events(native_device, 2, start=old)
    make_events(native_device, 1)
    result = partitions_drop_expired()
    assert partition_name(month_start(old)) in result["dropped"]
    assert AccessEvent.objects.count() == 1
