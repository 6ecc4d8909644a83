"""Device garbage that must not become a 500, races on one scan, estate lines devices and staff
must not cross, and the pages that show them."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from access.apps import authorise_access_group
from access.models import AccessEvent, DeviceCommand, RawDeviceMessage, VisitorPass
from access.services import credential_issue, visitor_pass_create, visitor_pass_token
from community.accounts.roles import StaffRole
from tests.access.conftest import NATIVE_TOKEN
from tests.factories import DeviceFactory, GateFactory, ResidentFactory, StaffFactory

pytestmark = pytest.mark.django_db
SN = "ZKREVIEW01"
HIK = "hik-review-token-0001"


def native(client, body, token=NATIVE_TOKEN, raw=False):
    import json

    return client.post(
        "/api/v1/devices/events",
        data=body if raw else json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def good(event_id="ok-1", **extra):
    return {"event_id": event_id, "occurred_at": "2026-11-20T08:00:00+08:00", "result": "granted", **extra}


# --- device input PostgreSQL cannot store: one bad event must not sink the batch (was a 500) ----


def test_nul_in_a_native_event_rejects_that_event_and_keeps_the_others(native_device, device_client):
    response = native(device_client, {"events": [good("ok-1"), good("bad", reason="a\x00b"), good("ok-2")]})
    assert response.status_code == 200
    body = response.json()
    assert (body["accepted"], [r["index"] for r in body["rejected"]]) == (2, [1])
    assert "reason" in body["rejected"][0]["errors"]
    assert RawDeviceMessage.objects.get().status == "pending"  # kept for replay


def test_lone_surrogate_in_event_id_is_rejected_not_a_500(native_device, device_client):
    body = b'{"events": [{"event_id": "x\\ud800", "occurred_at": "2026-11-20T08:00:00+08:00", "result": "granted"}]}'
    response = native(device_client, body, raw=True)
    assert response.status_code == 200 and response.json()["accepted"] == 0


def test_deeply_nested_json_is_a_400_not_a_500(native_device, device_client):
    response = native(device_client, b"[" * 100_000 + b"]" * 100_000, raw=True)
    assert response.status_code == 400
    assert (
        device_client.post(
            "/api/v1/devices/verify",
            data=b"[" * 100_000,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {NATIVE_TOKEN}",
        ).status_code
        == 400
    )


def test_implausible_times_are_rejected_per_event(native_device, device_client):
    response = native(
        device_client, {"events": [good("old", occurred_at="0001-01-01T00:00:00+08:00"), good("ok")]}
    )
    assert response.status_code == 200
    assert response.json()["accepted"] == 1 and response.json()["rejected"][0]["event_id"] == "old"


def test_heartbeat_with_nan_and_nul_updates_status(native_device, device_client):
    response = device_client.post(
        "/api/v1/devices/heartbeat",
        data=b'{"fw": "1\\u00002", "temp": NaN}',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {NATIVE_TOKEN}",
    )
    assert response.status_code == 200
    native_device.refresh_from_db()
    assert native_device.online and native_device.state["heartbeat"]["fw"] == "12"


@pytest.fixture
def zk(estate_a, gate_a):
    return DeviceFactory(estate=estate_a, gate=gate_a, protocol="zkteco", serial_number=SN, token=None)


def test_zkteco_line_with_nul_is_kept_raw_and_the_rest_stored_ok(zk, device_client):
    body = b"1001\x00\t2026-11-20 08:00:00\t0\t1\n1002\t2026-11-20 08:00:05\t0\t1\n"
    response = device_client.post(
        f"/iclock/cdata?SN={SN}&table=ATTLOG&Stamp=%00", data=body, content_type="text/plain"
    )
    assert (response.status_code, response.content) == (200, b"OK")
    assert list(AccessEvent.objects.values_list("credential_value", flat=True)) == ["1002"]
    assert "line 1" in RawDeviceMessage.objects.get().error


def test_zkteco_gbk_body_is_decoded(zk, device_client):
    body = "DeviceType=acc,~DeviceName=北门门禁".encode("gbk")
    assert (
        device_client.post(f"/iclock/registry?SN={SN}", data=body, content_type="text/plain").status_code
        == 200
    )
    zk.refresh_from_db()
    assert zk.state["registry"]["DeviceName"] == "北门门禁"


def test_unknown_sn_with_nul_is_refused_not_a_500(zk, device_client):
    assert device_client.get("/iclock/cdata?SN=%00&options=all").status_code == 401


def test_hikvision_gbk_json_is_stored(estate_a, gate_a, device_client):
    DeviceFactory(estate=estate_a, gate=gate_a, protocol="hikvision", token=HIK)
    body = (
        '{"eventType": "AccessControllerEvent", "dateTime": "2026-11-20T08:00:00+08:00", '
        '"AccessControllerEvent": {"majorEventType": 5, "subEventType": 1, "serialNo": 9, "cardNo": "123456",'
        ' "name": "张三"}}'
    ).encode("gbk")
    assert (
        device_client.post(f"/isapi/{HIK}/events", data=body, content_type="application/json").status_code
        == 200
    )
    assert AccessEvent.objects.get().vendor_code == "5/1"


def test_hikvision_infinity_counter_is_not_a_500(estate_a, gate_a, device_client):
    DeviceFactory(estate=estate_a, gate=gate_a, protocol="hikvision", token=HIK)
    body = (
        b'{"eventType": "AccessControllerEvent", "dateTime": "2026-11-20T08:00:00+08:00", "activePostCount": '
        b'Infinity, "AccessControllerEvent": {"majorEventType": 5, "subEventType": 75, "serialNo": 10}}'
    )
    assert (
        device_client.post(f"/isapi/{HIK}/events", data=body, content_type="application/json").status_code
        == 200
    )
    assert AccessEvent.objects.count() == 1


# --- visitor passes -----------------------------------------------------------------------------


def _pass(household, **kwargs):
    user, unit = household
    now = timezone.now()
    return visitor_pass_create(
        by=user,
        unit=unit,
        visitor_name="李四",
        valid_from=now - dt.timedelta(minutes=5),
        valid_until=now + dt.timedelta(hours=2),
        **kwargs,
    )


def test_another_estates_device_cannot_attach_events_to_my_pass(
    household_a, estate_b, device_client, client_for
):
    visitor_pass = _pass(household_a, max_entries=2)
    DeviceFactory(estate=estate_b, token="estate-b-token-0001")
    native(
        device_client,
        good("b-1", credential={"type": "qr", "value": visitor_pass_token(visitor_pass)}),
        token="estate-b-token-0001",
    )
    event = AccessEvent.objects.get()
    assert event.visitor_pass_id is None  # not linked across estates
    assert client_for(household_a[0]).get("/portal/access/").context["events"] == []  # not in my records
    visitor_pass.refresh_from_db()
    assert visitor_pass.entries_used == 0


@pytest.mark.django_db(transaction=True)
def test_a_retried_scan_racing_the_first_counts_one_entry(household_a, estate_a):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL; SQLite serialises them")
    from django.db import connections
    from django.test import Client

    visitor_pass = _pass(household_a, max_entries=3)
    token = visitor_pass_token(visitor_pass)
    DeviceFactory(estate=estate_a, token="retry-token-0001")
    barrier = threading.Barrier(2)
    answers = []

    def scan():
        try:
            barrier.wait()
            answers.append(
                Client()
                .post(
                    "/api/v1/devices/verify",
                    content_type="application/json",
                    data={"type": "qr", "value": token, "event_id": "scan-1"},
                    HTTP_AUTHORIZATION="Bearer retry-token-0001",
                )
                .json()
            )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=scan) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a["allow"] for a in answers] == [True, True]  # the same answer to the same scan
    visitor_pass.refresh_from_db()
    assert visitor_pass.entries_used == 1
    assert AccessEvent.objects.count() == 1


def test_pass_form_and_page_say_my_home_not_the_portal_tab(household_a, client_for):
    from django.utils import translation

    from access.forms import VisitorPassForm

    with translation.override("en"):
        assert str(VisitorPassForm.base_fields["unit"].label) == "My home"
    visitor_pass = _pass(household_a)
    html = client_for(household_a[0]).get(f"/portal/access/passes/{visitor_pass.pk}/").content.decode()
    facts = html.split('class="access-facts"')[1].split("</dl>")[0]
    assert "首页" not in facts  # "Home" is the portal tab, translated 首页


# --- devices ------------------------------------------------------------------------------------


def test_a_command_sent_and_never_answered_is_sent_again(zk, device_client):
    resident = ResidentFactory(estate=zk.estate)
    credential_issue(resident=resident, kind="card", value="77770001", by="system:test")
    command = DeviceCommand.objects.get(device=zk)
    assert f"C:{command.pk}:" in device_client.get(f"/iclock/getrequest?SN={SN}").content.decode()
    assert device_client.get(f"/iclock/getrequest?SN={SN}").content == b"OK"  # not twice at once
    DeviceCommand.objects.filter(pk=command.pk).update(sent_at=timezone.now() - dt.timedelta(minutes=30))
    assert f"C:{command.pk}:" in device_client.get(f"/iclock/getrequest?SN={SN}").content.decode()


# --- staff scoping by role ---------------------------------------------------------------------


def test_live_feed_is_for_roles_that_may_see_the_access_log(native_device, estate_a, client_for):
    worker = StaffFactory(estate=estate_a, role=StaffRole.ELDERCARE_WORKER)
    guard = StaffFactory(estate=estate_a, role=StaffRole.SECURITY)
    group = f"estate.{estate_a.pk}.access"
    assert client_for(worker).get("/staff/access/").status_code == 403
    assert not authorise_access_group(worker, group)
    assert client_for(guard).get("/staff/access/").status_code == 200
    assert authorise_access_group(guard, group)


def test_live_feed_shows_reasons_in_words(native_device, manager_a, client_for, device_client):
    native(
        device_client,
        good("d-1", result="denied", occurred_at=timezone.now().isoformat(), reason="credential_unknown"),
    )
    html = client_for(manager_a).get("/staff/access/").content.decode()
    feed = html.split('id="access-feed"')[1].split("</ul>")[0]
    assert "credential_unknown" not in feed
    assert 'id="access-feed-labels"' in html


def test_device_token_lookup_ignores_a_wrong_token(native_device, device_client):
    assert native(device_client, good(), token=NATIVE_TOKEN + "x").status_code == 401
    assert native(device_client, good(), token="\x00").status_code == 401
    gate_b = GateFactory(name="B门")
    assert native(device_client, good("g", gate=gate_b.pk)).json()["rejected"][0]["errors"]["gate"]
    assert not VisitorPass.objects.exists()


def test_admin_actions_keep_to_estates_where_the_role_may_change(
    native_device, estate_a, estate_b, client_for, device_client
):
    """Security in A (view only) and technician in B (may change devices): the bulk actions
    must not rotate or approve A's devices, which the changelist shows."""
    from community.residents.services import staff_membership_create

    user = StaffFactory(estate=estate_a, role=StaffRole.SECURITY)
    staff_membership_create(by=None, user=user, estate=estate_b, role=StaffRole.TECHNICIAN)
    pending = DeviceFactory(estate=estate_a, approved=False, token="pending-token-0001")
    client = client_for(user)
    client.post("/admin/access/device/", {"action": "rotate_token", "_selected_action": [native_device.pk]})
    client.post("/admin/access/device/", {"action": "approve", "_selected_action": [pending.pk]})
    assert native(device_client, good(), token=NATIVE_TOKEN).status_code == 200  # old token still works
    pending.refresh_from_db()
    assert not pending.approved


def test_staff_feed_page_runs_a_constant_number_of_queries(native_device, manager_a, client_for, estate_a):
    from django.db import connection as conn
    from django.test.utils import CaptureQueriesContext

    from access.services import device_command_queue

    client = client_for(manager_a)

    def add(n, start):
        now = timezone.now()
        AccessEvent.objects.bulk_create(
            [
                AccessEvent(
                    estate=estate_a,
                    device=native_device,
                    gate=native_device.gate,
                    result="denied",
                    reason="credential_unknown",
                    occurred_at=now - dt.timedelta(minutes=start + i),
                    received_at=now,
                    idempotency_key=f"q-{start}-{i}",
                    resident=ResidentFactory(estate=estate_a),
                )
                for i in range(n)
            ]
        )
        for i in range(n):
            device = DeviceFactory(estate=estate_a, gate=GateFactory(estate=estate_a), token=None)
            device_command_queue(device=device, command=f"REBOOT {start}-{i}", by=manager_a)

    def count():
        with CaptureQueriesContext(conn) as ctx:
            assert client.get("/staff/access/").status_code == 200
        return len(ctx.captured_queries)

    add(3, 0)
    few = count()
    add(20, 100)
    assert count() == few


def test_an_unknown_device_retrying_its_buffer_is_kept_once(zk, device_client):
    body = b"1001\t2026-11-20 08:00:00\t0\t1\n"
    for _ in range(5):
        response = device_client.post(
            "/iclock/cdata?SN=NOBODY01&table=ATTLOG", data=body, content_type="text/plain"
        )
        assert response.status_code == 401
    device_client.post("/iclock/cdata?SN=NOBODY01&table=ATTLOG", data=body + body, content_type="text/plain")
    assert RawDeviceMessage.objects.filter(status="rejected").count() == 2
