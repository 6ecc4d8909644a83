"""Gates, devices, credentials, the access log and visitor passes.

AccessEvent is the big table: append-only, written in bulk by device endpoints, and on
PostgreSQL range-partitioned by month on ``occurred_at`` (see migration 0002 and
``access.partitions``). Django keeps ``id`` as the model's primary key; the database's
primary key is ``(id, occurred_at)`` because a partitioned table's unique keys must contain
the partition key. ``id`` comes from one sequence, so it is still unique in practice and
``AccessEvent.objects.get(pk=...)`` works.

Longer than 400 lines on purpose: one module holds the app's models (Django's convention, and
the migrations' autodetector reads one place); each class is small and self-contained.
"""

from __future__ import annotations

import hashlib
import ipaddress
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from community.residents.models import Estate, Resident, Unit


def validate_network(value: str) -> None:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError as exc:
        raise ValidationError(_("An IP address or a CIDR network, e.g. 203.0.113.0/28.")) from exc


def token_hash(token: str) -> str:
    """Device tokens are long random strings, so one unsalted sha256 is enough and lets us look
    the device up by the hash in one indexed query."""
    return hashlib.sha256(token.encode()).hexdigest()


class Direction(models.TextChoices):
    IN = "in", _("In")
    OUT = "out", _("Out")
    UNKNOWN = "unknown", _("Unknown")


class GateDirection(models.TextChoices):
    IN = "in", _("In")
    OUT = "out", _("Out")
    BOTH = "both", _("Both ways")


class Gate(models.Model):
    estate_path = "estate"

    estate = models.ForeignKey(
        Estate, on_delete=models.PROTECT, related_name="gates", verbose_name=_("estate")
    )
    name = models.CharField(_("name"), max_length=100)
    location = models.CharField(_("location"), max_length=200, blank=True)
    direction = models.CharField(
        _("direction"), max_length=8, choices=GateDirection.choices, default=GateDirection.BOTH
    )

    class Meta:
        verbose_name = _("gate")
        verbose_name_plural = _("gates")
        ordering = ["estate", "name"]
        constraints = [models.UniqueConstraint(fields=["estate", "name"], name="gate_unique_name_per_estate")]

    def __str__(self) -> str:
        return self.name


class DeviceKind(models.TextChoices):
    GATE = "gate", _("Gate / door terminal")
    PLATE_CAMERA = "plate_camera", _("Plate camera")
    CARE_ALARM = "care_alarm", _("Care alarm")


class Protocol(models.TextChoices):
    NATIVE = "native", _("Native JSON API")
    ZKTECO = "zkteco", _("ZKTeco PUSH (iclock)")
    HIKVISION = "hikvision", _("Hikvision ISAPI")
    VZENITH = "vzenith", _("Vzenith plate camera")


# Protocols whose devices decide locally from their own user list, so credentials are synced to
# them as commands (see access.services.credentials).
USER_LIST_PROTOCOLS = frozenset({Protocol.ZKTECO})


class Device(models.Model):
    estate_path = "estate"

    estate = models.ForeignKey(
        Estate, on_delete=models.PROTECT, related_name="devices", verbose_name=_("estate")
    )
    gate = models.ForeignKey(
        Gate, on_delete=models.SET_NULL, null=True, blank=True, related_name="devices", verbose_name=_("gate")
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=DeviceKind.choices, default=DeviceKind.GATE)
    protocol = models.CharField(
        _("protocol"), max_length=12, choices=Protocol.choices, default=Protocol.NATIVE
    )
    serial_number = models.CharField(
        _("serial number"),
        max_length=64,
        null=True,
        blank=True,
        unique=True,
        help_text=_("As the device reports it (ZKTeco SN, Vzenith serialno)."),
    )
    mac_address = models.CharField(_("MAC address"), max_length=17, blank=True)
    token_hash = models.CharField(
        _("token hash"), max_length=64, null=True, blank=True, unique=True, editable=False
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="Asia/Shanghai",
        help_text=_("Used for device times sent without an offset."),
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    approved = models.BooleanField(_("approved"), default=False)
    # A ZKTeco panel names itself by its serial number alone, which is printed on the case: on
    # approval it is bound to the address it called from, and a call from elsewhere is refused.
    network = models.CharField(
        _("network"),
        max_length=43,
        blank=True,
        validators=[validate_network],
        help_text=_(
            "Address or CIDR the device must call from, e.g. 203.0.113.7 or 203.0.113.0/28; "
            "empty: anywhere. Set on approval from the address it last called from (ZKTeco)."
        ),
    )
    last_address = models.GenericIPAddressField(_("last address"), null=True, blank=True, editable=False)
    last_seen_at = models.DateTimeField(_("last seen at"), null=True, blank=True)
    online = models.BooleanField(_("online"), default=False)
    # Watermarks and firmware details the device reported (ZKTeco stamps, Hikvision serialNo).
    state = models.JSONField(_("device state"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        ordering = ["estate", "name"]
        indexes = [models.Index(fields=["online", "last_seen_at"], name="device_online_seen_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def tzinfo(self):
        try:
            return zoneinfo.ZoneInfo(self.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo(settings.TIME_ZONE)

    @property
    def accepts_traffic(self) -> bool:
        return self.enabled and self.approved

    @property
    def binds_to_network(self) -> bool:
        """Devices that authenticate by serial number alone are bound to a network on approval."""
        return self.protocol == Protocol.ZKTECO

    def calls_from_its_network(self, address: str) -> bool:
        """Whether ``address`` may speak for this device (always, when no network is set)."""
        if not self.network:
            return True
        try:
            return ipaddress.ip_address(address) in ipaddress.ip_network(self.network, strict=False)
        except ValueError:
            return False

    @property
    def keeps_user_list(self) -> bool:
        """Devices that decide locally from their own user list need credential sync commands."""
        return self.protocol in USER_LIST_PROTOCOLS


class CredentialKind(models.TextChoices):
    CARD = "card", _("Card number")
    FACE = "face", _("Face id")
    EMPLOYEE_NO = "employee_no", _("Employee number")
    PIN = "pin", _("PIN")


class RevokeReason(models.TextChoices):
    # The stored values predate the choices; they stay as written in existing rows.
    MOVE_OUT = "move-out", _("Moved out")
    STAFF = "revoked by staff", _("Revoked by staff")


class CredentialQuerySet(models.QuerySet):
    def active(self, at=None) -> CredentialQuerySet:
        at = at or timezone.now()
        return self.filter(
            Q(revoked_at__isnull=True),
            Q(valid_from__isnull=True) | Q(valid_from__lte=at),
            Q(valid_until__isnull=True) | Q(valid_until__gt=at),
        )


class Credential(models.Model):
    estate_path = "estate"

    estate = models.ForeignKey(
        Estate, on_delete=models.PROTECT, related_name="credentials", verbose_name=_("estate")
    )
    resident = models.ForeignKey(
        Resident, on_delete=models.CASCADE, related_name="credentials", verbose_name=_("resident")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=CredentialKind.choices)
    value = models.CharField(_("value"), max_length=64)
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_reason = models.CharField(
        _("revoke reason"), max_length=100, blank=True, choices=RevokeReason.choices
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = CredentialQuerySet.as_manager()

    class Meta:
        verbose_name = _("credential")
        verbose_name_plural = _("credentials")
        ordering = ["estate", "kind", "value"]
        constraints = [
            models.UniqueConstraint(
                fields=["estate", "kind", "value"],
                condition=Q(revoked_at__isnull=True),
                name="credential_unique_live_value",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_until__gt=models.F("valid_from")),
                name="credential_window_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.masked_value}"

    @property
    def masked_value(self) -> str:
        if len(self.value) <= 4:
            return "*" * len(self.value)
        return "*" * (len(self.value) - 4) + self.value[-4:]


class Method(models.TextChoices):
    FACE = "face", _("Face")
    CARD = "card", _("Card")
    QR = "qr", _("QR code")
    PIN = "pin", _("PIN")
    PASSWORD = "password", _("Password")
    FINGERPRINT = "fingerprint", _("Fingerprint")
    REMOTE = "remote", _("Remote open")
    PLATE = "plate", _("Car plate")
    OTHER = "other", _("Other")


class Result(models.TextChoices):
    GRANTED = "granted", _("Granted")
    DENIED = "denied", _("Denied")


# Refusal reasons the platform and its adapters write (devices on the native API may send
# their own words, shown as sent).
REASON_LABELS = {
    "pass_invalid": _("Invalid visitor pass"),
    "pass_revoked": _("Visitor pass revoked"),
    "pass_not_yet_valid": _("Visitor pass not yet valid"),
    "pass_expired": _("Visitor pass expired"),
    "pass_used_up": _("Visitor pass used up"),
    "credential_unknown": _("Unknown card or credential"),
    "no_permission": _("No permission"),
    "invalid_card": _("Invalid card"),
    "card_expired": _("Card expired"),
    "fingerprint_mismatch": _("Fingerprint not recognised"),
    "face_mismatch": _("Face not recognised"),
    "qr_invalid": _("Invalid QR code"),
    "too_short_interval": _("Too soon after the last pass"),
    "door_inactive": _("Door not active"),
    "illegal_time_zone": _("Outside the allowed hours"),
    "access_denied": _("Access denied"),
    "anti_passback": _("Anti-passback"),
    "interlock": _("Interlock"),
    "unregistered": _("Not registered"),
    "expired": _("Expired"),
    "password_error": _("Wrong password"),
}


def reason_label(reason: str) -> str:
    return str(REASON_LABELS.get(reason, reason))


class PassStatus(models.TextChoices):
    VALID = "valid", _("Valid")
    REVOKED = "revoked", _("Revoked")
    NOT_YET_VALID = "not_yet_valid", _("Not yet valid")
    EXPIRED = "expired", _("Expired")
    USED_UP = "used_up", _("Used up")


class VisitorPass(models.Model):
    """A pass a resident gives a visitor: a signed QR token, a window and a number of entries."""

    estate_path = "estate"

    estate = models.ForeignKey(
        Estate, on_delete=models.PROTECT, related_name="visitor_passes", verbose_name=_("estate")
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="visitor_passes", verbose_name=_("host household")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    visitor_name = models.CharField(_("visitor name"), max_length=100)
    visitor_phone = models.CharField(_("visitor phone"), max_length=20, blank=True)
    plate = models.CharField(_("car plate"), max_length=16, blank=True)
    valid_from = models.DateTimeField(_("valid from"))
    valid_until = models.DateTimeField(_("valid until"))
    max_entries = models.PositiveSmallIntegerField(_("entries allowed"), default=1)
    entries_used = models.PositiveSmallIntegerField(_("entries used"), default=0)
    nonce = models.CharField(_("nonce"), max_length=24, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("visitor pass")
        verbose_name_plural = _("visitor passes")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gt=models.F("valid_from")), name="visitorpass_window_ordered"
            ),
            models.CheckConstraint(
                condition=Q(entries_used__lte=models.F("max_entries")),
                name="visitorpass_entries_within_limit",
            ),
        ]
        indexes = [models.Index(fields=["unit", "-created_at"], name="visitorpass_unit_created_idx")]

    def __str__(self) -> str:
        return f"{self.visitor_name} ({self.valid_from:%Y-%m-%d})"

    @property
    def entries_left(self) -> int:
        return max(self.max_entries - self.entries_used, 0)

    def status_at(self, at=None) -> PassStatus:
        at = at or timezone.now()
        if self.revoked_at:
            return PassStatus.REVOKED
        if at < self.valid_from:
            return PassStatus.NOT_YET_VALID
        if at >= self.valid_until:
            return PassStatus.EXPIRED
        if self.entries_used >= self.max_entries:
            return PassStatus.USED_UP
        return PassStatus.VALID


class AccessEvent(models.Model):
    """One pass or refusal at a gate. Append-only; never updated after insert."""

    estate_path = "estate"

    id = models.BigAutoField(primary_key=True)
    # Foreign keys without their own index where a composite index below starts with them: every
    # index costs on the ingest path (see docs/performance.md).
    estate = models.ForeignKey(
        Estate, on_delete=models.PROTECT, related_name="+", verbose_name=_("estate"), db_index=False
    )
    device = models.ForeignKey(
        Device, on_delete=models.PROTECT, related_name="+", verbose_name=_("device"), db_index=False
    )
    gate = models.ForeignKey(
        Gate,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("gate"),
        db_index=False,
    )
    occurred_at = models.DateTimeField(_("occurred at"))
    received_at = models.DateTimeField(_("received at"))
    direction = models.CharField(
        _("direction"), max_length=8, choices=Direction.choices, default=Direction.UNKNOWN
    )
    method = models.CharField(_("method"), max_length=12, choices=Method.choices, default=Method.OTHER)
    result = models.CharField(_("result"), max_length=8, choices=Result.choices)
    reason = models.CharField(_("reason"), max_length=100, blank=True)
    resident = models.ForeignKey(
        Resident,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resident"),
        db_index=False,
    )
    # Credentials are revoked, never deleted, so no index is kept for the rare cascade.
    credential = models.ForeignKey(
        Credential,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("credential"),
        db_index=False,
    )
    visitor_pass = models.ForeignKey(
        VisitorPass,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("visitor pass"),
    )
    # What the device presented, as sent: searchable by exact value (card number, plate).
    credential_value = models.CharField(_("credential presented"), max_length=64, blank=True)
    plate = models.CharField(_("car plate"), max_length=16, blank=True)
    vendor_code = models.CharField(
        _("vendor code"),
        max_length=32,
        blank=True,
        help_text=_("e.g. Hikvision major/minor '5/75', ZKTeco event code."),
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=100)
    replayed = models.BooleanField(
        _("retransmitted or replayed"),
        default=False,
        help_text=_("Sent again or from the device's offline buffer; never acted on live."),
    )
    clock_skewed = models.BooleanField(_("device clock skewed"), default=False)
    snapshot = models.ImageField(_("snapshot"), upload_to="access/snapshots/%Y/%m/", blank=True)

    class Meta:
        verbose_name = _("access event")
        verbose_name_plural = _("access events")
        ordering = ["-occurred_at"]
        constraints = [
            # occurred_at is part of the key because PostgreSQL partitions the table on it.
            models.UniqueConstraint(
                fields=["device", "idempotency_key", "occurred_at"], name="accessevent_unique_device_key"
            ),
        ]
        indexes = [
            models.Index(fields=["estate", "-occurred_at"], name="accessevent_estate_time_idx"),
            models.Index(fields=["gate", "result", "-occurred_at"], name="accessevent_gate_result_idx"),
            models.Index(fields=["resident", "-occurred_at"], name="accessevent_resident_time_idx"),
            models.Index(
                fields=["credential_value"],
                name="accessevent_credvalue_idx",
                condition=~Q(credential_value=""),
            ),
            models.Index(fields=["plate"], name="accessevent_plate_idx", condition=~Q(plate="")),
            models.Index(fields=["-occurred_at"], name="accessevent_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.get_result_display()}"

    @property
    def reason_display(self) -> str:
        return reason_label(self.reason)


class RawStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for replay")
    PROCESSED = "processed", _("Processed")
    REJECTED = "rejected", _("Rejected (unknown device)")


class RawDeviceMessage(models.Model):
    """An inbound device request that could not be fully processed, kept byte for byte."""

    estate_path = "estate"

    estate = models.ForeignKey(
        Estate, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("estate")
    )
    device = models.ForeignKey(
        Device,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="raw_messages",
        verbose_name=_("device"),
    )
    protocol = models.CharField(_("protocol"), max_length=12, choices=Protocol.choices)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    method = models.TextField(_("HTTP method"))
    path = models.TextField(_("path"))
    query_string = models.TextField(_("query string"), blank=True)
    content_type = models.TextField(_("content type"), blank=True)
    body = models.BinaryField(_("body"), blank=True)
    error = models.TextField(_("error"))
    status = models.CharField(
        _("status"), max_length=10, choices=RawStatus.choices, default=RawStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("replay attempts"), default=0)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("raw device message")
        verbose_name_plural = _("raw device messages")
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["status", "received_at"], name="rawmessage_status_idx")]

    def __str__(self) -> str:
        return f"{self.protocol} {self.method} {self.path} ({self.get_status_display()})"


class CommandStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    # Acknowledged, but from another address than the one the command was handed to: a copy of
    # the panel's SN may have answered in its place (issue #15). Handed out again until the
    # panel itself confirms it.
    UNCONFIRMED = "unconfirmed", pgettext_lazy("device command", "Unconfirmed")


class DeviceCommand(models.Model):
    """A command queued for a device, delivered on its next poll (ZKTeco getrequest)."""

    estate_path = "device__estate"

    device = models.ForeignKey(
        Device, on_delete=models.CASCADE, related_name="commands", verbose_name=_("device")
    )
    credential = models.ForeignKey(
        Credential,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="commands",
        verbose_name=_("credential"),
    )
    command = models.TextField(_("command"))
    status = models.CharField(
        _("status"), max_length=12, choices=CommandStatus.choices, default=CommandStatus.PENDING
    )
    return_code = models.IntegerField(_("return code"), null=True, blank=True)
    result = models.TextField(_("result"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    sent_to = models.GenericIPAddressField(_("sent to address"), null=True, blank=True)
    acknowledged_from = models.GenericIPAddressField(_("acknowledged from"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("device command")
        verbose_name_plural = _("device commands")
        ordering = ["device", "id"]
        indexes = [models.Index(fields=["device", "status", "id"], name="devicecommand_queue_idx")]

    def __str__(self) -> str:
        return f"C:{self.pk}:{self.command[:40]}"


class MovementLookup(models.Model):
    """Audit entry: a manager looked at one person's movement history (PIPL)."""

    estate_path = "estate"

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="+", verbose_name=_("estate"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("looked up by")
    )
    resident = models.ForeignKey(
        Resident, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("resident")
    )
    reason = models.CharField(_("reason"), max_length=200)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("movement lookup")
        verbose_name_plural = _("movement lookups")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.resident_id} @ {self.created_at:%Y-%m-%d %H:%M}"


class AuditAction(models.TextChoices):
    CREDENTIAL_ISSUED = "credential_issued", _("Credential issued")
    CREDENTIAL_UPDATED = "credential_updated", _("Credential validity changed")
    CREDENTIAL_REVOKED = "credential_revoked", _("Credential revoked")
    CREDENTIAL_SYNCED = "credential_synced", _("Credential sent to devices")
    DEVICE_CREATED = "device_created", _("Device added")
    DEVICE_UPDATED = "device_updated", _("Device changed")
    DEVICE_DELETED = "device_deleted", _("Device deleted")
    DEVICE_APPROVED = "device_approved", _("Device approved")
    DEVICE_TOKEN_SET = "device_token_set", _("Device token set")
    DEVICE_MARKED_OFFLINE = "device_marked_offline", _("Device marked offline")
    DEVICE_COMMAND_QUEUED = "device_command_queued", _("Device command queued")
    VISITOR_PASSES_REVOKED = "visitor_passes_revoked", _("Visitor passes revoked")
    RAW_MESSAGE_REPLAYED = "raw_message_replayed", _("Raw message replayed")
    DEVICE_COMMAND_UNCONFIRMED = "device_command_unconfirmed", _("Command acknowledged from another address")


class AccessAudit(models.Model):
    """Who did what to credentials, devices and kept device messages (append-only).

    Stored as an action plus parameters and rendered when read, in the reader's language. The
    actor is a user (``by_user``) or, for automatic acts, a system actor (``by_system``:
    ``system:<job>`` or ``device:<id>``)."""

    estate_path = "estate"

    # Empty for a message from an unknown device, which belongs to no estate yet.
    estate = models.ForeignKey(
        Estate, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("estate")
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True)
    action = models.CharField(_("action"), max_length=32, choices=AuditAction.choices)
    by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by user"),
    )
    by_system = models.CharField(_("by system"), max_length=64, blank=True)
    device = models.ForeignKey(
        Device, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("device")
    )
    credential = models.ForeignKey(
        Credential,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("credential"),
    )
    raw_message = models.ForeignKey(
        RawDeviceMessage,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("raw device message"),
    )
    params = models.JSONField(_("parameters"), default=dict, blank=True)

    class Meta:
        verbose_name = _("access audit entry")
        verbose_name_plural = _("access audit")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(by_user__isnull=False, by_system="") | Q(by_user__isnull=True) & ~Q(by_system=""),
                name="accessaudit_one_actor",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} ({self.actor})"

    @property
    def actor(self) -> str:
        return str(self.by_user) if self.by_user_id else self.by_system
