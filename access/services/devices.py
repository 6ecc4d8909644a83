"""Devices: registration (add, change), tokens, approval, liveness (seen, heartbeat, offline
sweep) and their command queue.

What a device reports about itself (seen, heartbeat, commands fetched and answered) is written
for that device, which is the actor and is on the rows it writes. Everything done *to* a device
takes ``by`` and leaves an ``AccessAudit`` row.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import secrets

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from community.accounts.roles import StaffRole
from community.errors import ServiceError
from community.notifications.services import notification_send
from community.realtime import group_for_estate, publish_on_commit
from community.residents.models import StaffMembership

from .. import messages
from ..inbound import scrub_json
from ..models import AuditAction, CommandStatus, Device, DeviceCommand, Gate, token_hash
from .audit import Actor, audit_record

# last_seen_at is written at most this often per device, to keep heartbeats off the hot path.
SEEN_WRITE_EVERY = dt.timedelta(seconds=30)
OFFLINE_AFTER = dt.timedelta(minutes=5)
# A command handed to a device and not answered within this time is handed out again.
COMMAND_RESEND_AFTER = dt.timedelta(minutes=10)
# Commands handed to a device per poll.
COMMANDS_PER_POLL = 20
# The offline notification names at most this many devices.
OFFLINE_NAMES_SHOWN = 10
# The part of a command's answer that is kept: an answer to DATA QUERY can run to megabytes and
# only its start says whether the command worked (the return code is kept whole).
COMMAND_RESULT_KEPT = 2000
# A device token shorter than this is refused (rotation makes 43 characters).
TOKEN_MIN_LENGTH = 12


def access_group(estate_id: int) -> str:
    return group_for_estate(estate_id, "access")


# What staff set on a device (the admin form). Approval, the token and what the device reports
# change only through their own services.
DEVICE_FIELDS = frozenset(
    {
        "estate",
        "gate",
        "name",
        "kind",
        "protocol",
        "serial_number",
        "mac_address",
        "time_zone",
        "enabled",
        "network",
    }
)


def _check_device(device: Device) -> None:
    if (
        device.gate_id is not None
        and Gate.objects.filter(pk=device.gate_id).values_list("estate_id", flat=True).first()
        != device.estate_id
    ):
        raise ServiceError({"gate": _("Choose a gate of the device's own estate.")})
    # Blank means "none": the column is unique, and two blank serial numbers are not a clash.
    device.serial_number = (device.serial_number or "").strip() or None
    device.full_clean(exclude=["token_hash"])


def _recorded(value):
    return value.pk if hasattr(value, "pk") else value


@transaction.atomic
def device_create(*, by: Actor, estate, name: str, **details) -> Device:
    """Register a device (not yet approved, no token yet: both are separate, recorded acts)."""
    unknown = set(details) - DEVICE_FIELDS
    if unknown:
        raise TypeError(f"device_create: not settable: {sorted(unknown)}")
    device = Device(estate=estate, name=name, **details)
    _check_device(device)
    device.save()
    audit_record(
        action=AuditAction.DEVICE_CREATED,
        by=by,
        estate_id=device.estate_id,
        device=device,
        params={"name": device.name, "protocol": device.protocol, "kind": device.kind},
    )
    return device


@transaction.atomic
def device_update(*, device: Device, by: Actor, **changes) -> Device:
    """Change what staff set on a device; records the fields changed, old and new values.

    Changing nothing records nothing."""
    unknown = set(changes) - DEVICE_FIELDS
    if unknown:
        raise TypeError(f"device_update: not settable: {sorted(unknown)}")
    device = Device.objects.select_for_update().get(pk=device.pk)
    before = {name: _recorded(getattr(device, name)) for name in changes}
    for name, value in changes.items():
        setattr(device, name, value)
    _check_device(device)
    changed = {
        name: {"was": before[name], "now": _recorded(getattr(device, name))}
        for name in sorted(changes)
        if _recorded(getattr(device, name)) != before[name]
    }
    if not changed:
        return device
    device.save()
    audit_record(
        action=AuditAction.DEVICE_UPDATED,
        by=by,
        estate_id=device.estate_id,
        device=device,
        params={"changed": changed},
    )
    return device


@transaction.atomic
def device_delete(*, device: Device, by: Actor) -> None:
    """Remove a device that never sent an event (one that did is protected by its access log:
    disable it instead). The audit row keeps what it was called, since the device goes."""
    device = Device.objects.select_for_update().get(pk=device.pk)
    audit_record(
        action=AuditAction.DEVICE_DELETED,
        by=by,
        estate_id=device.estate_id,
        params={"device": device.pk, "name": device.name, "serial_number": device.serial_number},
    )
    device.delete()


def device_token_rotate(*, device: Device, by: Actor) -> str:
    """Give the device a new secret token; returns it once (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    device_token_set(device=device, token=token, by=by)
    return token


@transaction.atomic
def device_token_set(*, device: Device, token: str, by: Actor) -> Device:
    if len(token) < TOKEN_MIN_LENGTH:
        raise ServiceError(
            {"token": _("A device token needs at least %(n)d characters.") % {"n": TOKEN_MIN_LENGTH}}
        )
    device.token_hash = token_hash(token)
    device.save(update_fields=["token_hash"])
    audit_record(action=AuditAction.DEVICE_TOKEN_SET, by=by, estate_id=device.estate_id, device=device)
    return device


@transaction.atomic
def device_approve(*, device: Device, by: Actor) -> Device:
    """Let the device's traffic in. Approving an approved device changes and records nothing.

    A device that names itself by serial number alone (ZKTeco) is bound to the address it last
    called from, unless staff set its network already; one that never called cannot be bound,
    so it cannot be approved yet."""
    device = Device.objects.select_for_update().get(pk=device.pk)
    if device.approved:
        return device
    if device.binds_to_network and not device.network:
        if not device.last_address:
            raise ServiceError(
                _("%(device)s has not called yet: approve it once it has, or set its network.")
                % {"device": device.name}
            )
        device.network = device.last_address
    device.approved = True
    device.save(update_fields=["approved", "network"])
    audit_record(
        action=AuditAction.DEVICE_APPROVED,
        by=by,
        estate_id=device.estate_id,
        device=device,
        params={"network": device.network},
    )
    return device


def _device_status_payload(device: Device) -> dict:
    return {
        "type": "device.status",
        "device": device.pk,
        "name": device.name,
        "online": device.online,
        "last_seen_at": device.last_seen_at.isoformat() if device.last_seen_at else None,
    }


def device_seen(*, device: Device, at: dt.datetime | None = None, state: dict | None = None) -> Device:
    """Mark the device alive. Writes only when it was offline, or last written a while ago."""
    at = at or timezone.now()
    came_online = not device.online
    stale = device.last_seen_at is None or at - device.last_seen_at >= SEEN_WRITE_EVERY
    if not (came_online or stale or state):
        return device
    fields = {"last_seen_at": at, "online": True}
    if state:
        fields["state"] = {**(device.state or {}), **scrub_json(state)}
    Device.objects.filter(pk=device.pk).update(**fields)
    for name, value in fields.items():
        setattr(device, name, value)
    if came_online:
        publish_on_commit(access_group(device.estate_id), _device_status_payload(device))
    return device


@transaction.atomic
def device_heartbeat(*, device: Device, reported: dict | None = None) -> Device:
    state = {}
    if reported:
        state = {"heartbeat": {k: v for k, v in reported.items() if isinstance(v, str | int | float | bool)}}
    return device_seen(device=device, state=state)


def devices_mark_offline(
    *, by: Actor, now: dt.datetime | None = None, silent_for: dt.timedelta = OFFLINE_AFTER
) -> list[Device]:
    """Mark devices silent for ``silent_for`` offline (recorded with ``by``, the periodic job)
    and tell their estate's security staff."""
    now = now or timezone.now()
    marked: list[Device] = []
    with transaction.atomic():
        devices = list(
            Device.objects.select_for_update(skip_locked=True).filter(
                online=True, enabled=True, last_seen_at__lt=now - silent_for
            )
        )
        if not devices:
            return []
        Device.objects.filter(pk__in=[d.pk for d in devices]).update(online=False)
        for device in devices:
            device.online = False
            audit_record(
                action=AuditAction.DEVICE_MARKED_OFFLINE,
                by=by,
                estate_id=device.estate_id,
                device=device,
                params={"last_seen_at": device.last_seen_at.isoformat()},
            )
            publish_on_commit(access_group(device.estate_id), _device_status_payload(device))
            marked.append(device)
        by_estate: dict[int, list[Device]] = {}
        for device in devices:
            by_estate.setdefault(device.estate_id, []).append(device)
        for estate_id, estate_devices in by_estate.items():
            _notify_security(estate_id, estate_devices)
    return marked


def _notify_security(estate_id: int, devices: list[Device]) -> None:
    recipients = list(
        get_user_model().objects.filter(
            pk__in=StaffMembership.objects.filter(estate_id=estate_id, role=StaffRole.SECURITY).values(
                "user_id"
            )
        )
    )
    if not recipients:
        return
    # Device names are data (what staff called them), so they are parameters; the sentence is
    # rendered when read, in each reader's language.
    names = "、".join(d.name for d in devices[:OFFLINE_NAMES_SHOWN])
    notification_send(
        recipients=recipients,
        verb="access.device_offline",
        message=messages.DEVICES_OFFLINE,
        params={"n": len(devices), "minutes": int(OFFLINE_AFTER.total_seconds() // 60), "names": names},
        url="/staff/access/",
        estate=devices[0].estate,
    )


def _address_or_none(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


@transaction.atomic
def device_commands_fetch(
    *, device: Device, address: str = "", limit: int = COMMANDS_PER_POLL
) -> list[DeviceCommand]:
    """Hand the device its pending commands (marked sent, with the address they went to);
    resend ones sent long ago unanswered, or acknowledged only from another address."""
    now = timezone.now()
    # A command whose answer never came (the response to getrequest was lost, the device
    # rebooted) goes out again: ZKTeco user updates and deletes are idempotent.
    commands = list(
        DeviceCommand.objects.select_for_update(skip_locked=True)
        .filter(
            Q(status=CommandStatus.PENDING)
            | Q(
                status__in=[CommandStatus.SENT, CommandStatus.UNCONFIRMED],
                sent_at__lt=now - COMMAND_RESEND_AFTER,
            ),
            device=device,
        )
        .order_by("pk")[:limit]
    )
    if commands:
        sent_to = _address_or_none(address)
        # An unconfirmed command stays "unconfirmed" on the staff screen while it is handed out
        # again: only an acknowledgement from where it went makes it succeed.
        DeviceCommand.objects.filter(pk__in=[c.pk for c in commands], status=CommandStatus.PENDING).update(
            status=CommandStatus.SENT
        )
        DeviceCommand.objects.filter(pk__in=[c.pk for c in commands]).update(sent_at=now, sent_to=sent_to)
    return commands


@transaction.atomic
def device_command_complete(
    *, device: Device, command_id: int, return_code: int, result: str = "", address: str = ""
) -> bool:
    """Record a device's answer to a command. An answer from another address than the one the
    command was handed to leaves it ``unconfirmed``: whoever holds a copy of the SN could
    acknowledge a revocation the panel never got, and staff would read "succeeded"."""
    command = DeviceCommand.objects.select_for_update().filter(device=device, pk=command_id).first()
    if command is None:
        return False
    if command.status in (CommandStatus.SUCCEEDED, CommandStatus.FAILED):
        return True  # answered already (a resend's late echo): the first answer stands
    from_address = _address_or_none(address)
    command.return_code = return_code
    command.result = result[:COMMAND_RESULT_KEPT]
    command.acknowledged_from = from_address
    command.completed_at = timezone.now()
    if command.sent_to and from_address != command.sent_to:
        command.status = CommandStatus.UNCONFIRMED
        audit_record(
            action=AuditAction.DEVICE_COMMAND_UNCONFIRMED,
            by=device,
            estate_id=device.estate_id,
            device=device,
            params={"command": command.pk, "sent_to": command.sent_to, "acknowledged_from": from_address},
        )
    else:
        command.status = CommandStatus.SUCCEEDED if return_code >= 0 else CommandStatus.FAILED
    command.save(update_fields=["return_code", "result", "status", "acknowledged_from", "completed_at"])
    return True


@transaction.atomic
def device_command_queue(*, device: Device, command: str, by: Actor) -> DeviceCommand:
    """Queue one command for the device's next poll, recorded with who queued it."""
    if "\n" in command or not command.strip():
        raise ServiceError({"command": _("One command, on one line.")})
    queued = DeviceCommand.objects.create(device=device, command=command.strip())
    audit_record(
        action=AuditAction.DEVICE_COMMAND_QUEUED,
        by=by,
        estate_id=device.estate_id,
        device=device,
        params={"command": queued.pk},
    )
    return queued
