"""Device admin saves go through services, every access write names its actor, and the offline
notification is rendered in the reader's language."""

from __future__ import annotations

import datetime as dt
import importlib
import inspect

import pytest
from django.apps import apps
from django.utils import timezone, translation

import access.services
import community.residents.services
from access.models import AccessAudit, AuditAction, Device, DeviceCommand, VisitorPass
from access.services import (
    credentials_sync_due,
    device_command_queue,
    device_create,
    device_update,
    devices_mark_offline,
)
from community.accounts.roles import StaffRole
from community.errors import ServiceError
from community.notifications.models import Notification
from community.residents.services import occupancies_end_due, occupancy_end
from tests.factories import DeviceFactory, GateFactory, StaffFactory, VisitorPassFactory

pytestmark = pytest.mark.django_db

OFFLINE_JOB = "system:devices-offline"


def _device_form(estate, gate, **overrides):
    data = {
        "estate": estate.pk,
        "gate": gate.pk,
        "name": "北门闸机",
        "kind": "gate",
        "protocol": "native",
        "serial_number": "",
        "mac_address": "",
        "time_zone": "Asia/Shanghai",
        "enabled": "on",
        "network": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# --- the device admin saves through device_create / device_update --------------------------------


def test_adding_a_device_in_the_admin_is_recorded_with_who_did_it(estate_a, manager_a, client_for):
    gate = GateFactory(estate=estate_a)
    response = client_for(manager_a).post("/admin/access/device/add/", _device_form(estate_a, gate))
    assert response.status_code == 302
    device = Device.objects.get(name="北门闸机")
    assert not device.approved and device.token_hash is None  # approval and token are separate acts
    audit = AccessAudit.objects.get(action=AuditAction.DEVICE_CREATED)
    assert (audit.by_user, audit.device, audit.estate_id) == (manager_a, device, estate_a.pk)


def test_a_refused_device_add_shows_only_the_error(estate_a, estate_b, superuser, client_for):
    gate_b = GateFactory(estate=estate_b)
    response = client_for(superuser).post(
        "/admin/access/device/add/", _device_form(estate_a, gate_b), follow=True
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["gate"]
    assert not [m for m in response.context["messages"] if m.level_tag == "success"]
    assert not Device.objects.exists() and not AccessAudit.objects.exists()


def test_changing_a_device_in_the_admin_records_the_fields_old_and_new(
    native_device, estate_a, manager_a, client_for
):
    form = _device_form(estate_a, native_device.gate, name=native_device.name, enabled=None)
    response = client_for(manager_a).post(f"/admin/access/device/{native_device.pk}/change/", form)
    assert response.status_code == 302
    native_device.refresh_from_db()
    assert not native_device.enabled
    audit = AccessAudit.objects.get(action=AuditAction.DEVICE_UPDATED)
    assert audit.by_user == manager_a
    assert audit.params["changed"] == {"enabled": {"was": True, "now": False}}
    # Saving the form unchanged records nothing.
    client_for(manager_a).post(f"/admin/access/device/{native_device.pk}/change/", form)
    assert AccessAudit.objects.filter(action=AuditAction.DEVICE_UPDATED).count() == 1


def test_deleting_a_device_in_the_admin_is_recorded(estate_a, superuser, client_for):
    spare, other = DeviceFactory(estate=estate_a, name="备用机"), DeviceFactory(estate=estate_a, name="旧机")
    client = client_for(superuser)
    response = client.post(f"/admin/access/device/{spare.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not Device.objects.filter(pk=spare.pk).exists()
    client.post(
        "/admin/access/device/",
        {"action": "delete_selected", "_selected_action": [other.pk], "post": "yes"},
    )
    assert not Device.objects.filter(pk=other.pk).exists()
    rows = AccessAudit.objects.filter(action=AuditAction.DEVICE_DELETED).order_by("pk")
    assert [(a.by_user, a.params["name"]) for a in rows] == [(superuser, "备用机"), (superuser, "旧机")]


def test_the_admin_form_cannot_approve_a_device(estate_a, manager_a, client_for):
    gate = GateFactory(estate=estate_a)
    client_for(manager_a).post("/admin/access/device/add/", _device_form(estate_a, gate, approved="on"))
    assert not Device.objects.get(name="北门闸机").approved


def test_device_services_refuse_a_gate_of_another_estate_and_fields_they_do_not_set(
    estate_a, estate_b, manager_a
):
    with pytest.raises(ServiceError) as refused:
        device_create(by=manager_a, estate=estate_a, name="x", gate=GateFactory(estate=estate_b))
    assert "gate" in refused.value.message_dict
    device = device_create(by=manager_a, estate=estate_a, name="y", serial_number="  ")
    assert device.serial_number is None  # blank is "none", not a unique empty string
    with pytest.raises(TypeError):
        device_update(device=device, by=manager_a, approved=True)
    with pytest.raises(ServiceError):
        device_update(device=device, by=manager_a, gate=GateFactory(estate=estate_b))
    assert Device.objects.get(pk=device.pk).gate_id is None


# --- the offline notification: a type plus parameters, in the reader's language ------------------


def _silent(device):
    Device.objects.filter(pk=device.pk).update(
        online=True, last_seen_at=timezone.now() - dt.timedelta(minutes=9)
    )


def test_offline_notification_is_stored_as_a_type_and_read_in_each_readers_language(native_device, estate_a):
    chinese = StaffFactory(estate=estate_a, role=StaffRole.SECURITY)
    english = StaffFactory(estate=estate_a, role=StaffRole.SECURITY)
    english.language = "en"
    english.save(update_fields=["language"])
    _silent(native_device)
    with translation.override("en"):  # the writer's language must not matter
        devices_mark_offline(by=OFFLINE_JOB)
    rows = {n.recipient_id: n for n in Notification.objects.all()}
    assert set(rows) == {chinese.pk, english.pk}
    for row in rows.values():
        assert row.message == "access.devices_offline" and row.title == "" and row.body == ""
        assert row.params == {"n": 1, "minutes": 5, "names": native_device.name}
    assert rows[chinese.pk].title_for(chinese) == f"1 台设备离线，已 5 分钟无消息：{native_device.name}"
    assert rows[english.pk].title_for(english) == (
        f"Devices offline (1), no message for 5 minutes: {native_device.name}"
    )
    with translation.override("zh-hans"):
        assert native_device.name in rows[english.pk].title_text and "离线" in rows[english.pk].title_text


def test_marking_devices_offline_is_recorded_with_the_job(native_device):
    _silent(native_device)
    devices_mark_offline(by=OFFLINE_JOB)
    audit = AccessAudit.objects.get(action=AuditAction.DEVICE_MARKED_OFFLINE)
    assert (audit.by_user, audit.by_system, audit.device) == (None, OFFLINE_JOB, native_device)


def test_legacy_offline_notifications_become_type_and_parameters(estate_a):
    guard = StaffFactory(estate=estate_a, role=StaffRole.SECURITY)
    english = Notification.objects.create(
        recipient=guard,
        verb="access.device_offline",
        title="2 devices offline",
        body="No message for 5 minutes from: 东门、西门",
    )
    chinese = Notification.objects.create(
        recipient=guard,
        verb="access.device_offline",
        title="已批准 1 台设备。",
        body="以下设备已 5 分钟无消息：南门",
    )
    free = Notification.objects.create(recipient=guard, verb="access.device_offline", title="手写的", body="")
    migration = importlib.import_module("access.migrations.0004_audit_device_writes_and_jobs")
    migration.offline_notifications_to_type_and_params(apps, None)
    for row in (english, chinese, free):
        row.refresh_from_db()
    assert (english.message, english.params) == (
        "access.devices_offline",
        {"n": 2, "minutes": 5, "names": "东门、西门"},
    )
    assert chinese.params == {"n": 1, "minutes": 5, "names": "南门"} and chinese.title == ""
    with translation.override("zh-hans"):
        assert chinese.title_text == "1 台设备离线，已 5 分钟无消息：南门"
    assert free.message == "" and free.title_text == "手写的"  # unknown text stays as written


# --- every write names its actor -----------------------------------------------------------------


def test_the_credential_sync_job_and_command_queue_are_recorded(estate_a, manager_a):
    from access.models import Protocol
    from access.services import credential_issue
    from tests.factories import ResidentFactory

    panel = DeviceFactory(estate=estate_a, protocol=Protocol.ZKTECO, serial_number="ZKSYNC01", token=None)
    start = timezone.now() + dt.timedelta(seconds=1)
    credential = credential_issue(
        resident=ResidentFactory(estate=estate_a),
        kind="card",
        value="77770001",
        valid_from=start,
        by=manager_a,
    )
    assert credentials_sync_due(by="system:credentials-sync", now=start + dt.timedelta(seconds=1)) == 1
    synced = AccessAudit.objects.get(action=AuditAction.CREDENTIAL_SYNCED)
    assert (synced.by_system, synced.credential, synced.params) == (
        "system:credentials-sync",
        credential,
        {"commands": 1},
    )

    command = device_command_queue(device=panel, command="REBOOT", by=manager_a)
    queued = AccessAudit.objects.get(action=AuditAction.DEVICE_COMMAND_QUEUED)
    assert (queued.by_user, queued.device, queued.params) == (manager_a, panel, {"command": command.pk})
    assert DeviceCommand.objects.filter(pk=command.pk).exists()


def test_move_out_revokes_passes_recorded_with_who_ended_the_occupancy(household_a, manager_a):
    user, unit = household_a
    live = VisitorPassFactory(unit=unit, created_by=user)
    occupancy_end(occupancy=user.resident_records.get().occupancies.get(unit=unit), by=manager_a)
    live.refresh_from_db()
    assert live.revoked_at is not None and live.revoked_by == manager_a
    audit = AccessAudit.objects.get(action=AuditAction.VISITOR_PASSES_REVOKED)
    assert audit.by_user == manager_a and audit.params["passes"] == [live.pk]


def test_a_scheduled_move_out_revokes_passes_as_the_job(household_a, manager_a):
    user, unit = household_a
    live = VisitorPassFactory(unit=unit, created_by=user)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    occupancy_end(
        occupancy=user.resident_records.get().occupancies.get(unit=unit), by=manager_a, end_date=tomorrow
    )
    assert occupancies_end_due(by="system:move-out", on=tomorrow) >= 1
    live.refresh_from_db()
    assert live.revoked_at is not None and live.revoked_by is None
    audit = AccessAudit.objects.get(action=AuditAction.VISITOR_PASSES_REVOKED)
    assert (audit.by_user, audit.by_system) == (None, "system:move-out")
    assert VisitorPass.objects.filter(revoked_at__isnull=True).count() == 0


# What a device reports about itself is written for that device, the actor on every row it writes.
DEVICE_REPORTS = {
    "access_events_ingest",
    "access_verify",
    "device_command_complete",
    "device_commands_fetch",
    "device_heartbeat",
    "device_seen",
    "raw_message_keep",
}
# Pure helpers: they change nothing.
NOT_WRITES = {
    "access_group",
    "actor_columns",
    "event_payload",
    "gates_of",
    "merge_live_events",
    "visitor_pass_id_from_token",
    "visitor_pass_token",
}


def _public_functions(module):
    names = getattr(module, "__all__", None) or [n for n in dir(module) if not n.startswith("_")]
    for name in names:
        value = getattr(module, name)
        if inspect.isfunction(value) and value.__module__.startswith(module.__name__):
            yield name, value


@pytest.mark.parametrize("module", [access.services, community.residents.services], ids=lambda m: m.__name__)
def test_every_write_service_takes_a_required_keyword_by(module):
    missing = []
    for name, function in _public_functions(module):
        if name in NOT_WRITES:
            continue
        parameters = inspect.signature(function).parameters
        actor = "device" if name in DEVICE_REPORTS else "by"
        parameter = parameters.get(actor)
        if (
            parameter is None
            or parameter.kind is not inspect.Parameter.KEYWORD_ONLY
            or parameter.default is not inspect.Parameter.empty
        ):
            missing.append(name)
    assert not missing, f"write services without a required keyword actor: {missing}"
