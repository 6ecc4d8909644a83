"""Car parks: lots and their lanes, spaces, vehicles, permits, fee rules, plate reads and
parking sessions.

PlateEvent is the stored camera read (raw body kept, unique per camera and camera key), the
thing every decision is made from; Session is one stay of one plate in one lot, with the
reason of every decision taken about it. AllowListEntry and BarrierRequest are what the
platform told (or will tell) the cameras.

Why one module of ~700 lines: it is declarations only (fields, constraints, indexes; no
logic beyond one-line properties), and the models reference one another both ways (Session ⇄
PlateEvent, Lane ← everything a camera does), so a package would split one schema across files
that each import all the others. The rules live in ``parking.services`` and ``parking.fees``.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.core import signing
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from access.models import Device
from community.residents.models import Estate, Resident, Unit

from . import decisions
from .transitions import LIVE_STATUSES, Status


class PlateColour(models.TextChoices):
    # Vzenith colorType numbers map onto these (parking.protocols.vzenith).
    UNKNOWN = "unknown", _("Unknown")
    BLUE = "blue", _("Blue")
    YELLOW = "yellow", _("Yellow")
    WHITE = "white", _("White")
    BLACK = "black", _("Black")
    GREEN = "green", _("Green (new energy)")


class ReconcileRule(models.TextChoices):
    """What a lot does when reads do not pair up (a missed entry, a missed exit)."""

    LENIENT = "lenient", _("Open: exit without entry leaves free, a second entry closes the first")
    STAFF = "staff", _("Ask staff: exit without entry waits for a decision at the booth")


class Lot(models.Model):
    """A car park behind barriers. An inner lot (厂中厂) sits inside its parent's barriers."""

    estate_path = "estate"

    estate = models.ForeignKey(
        Estate, on_delete=models.PROTECT, related_name="parking_lots", verbose_name=_("estate")
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inner_lots",
        verbose_name=_("outer lot"),
        help_text=_("For a lot inside another lot's barriers (厂中厂)."),
    )
    name = models.CharField(_("name"), max_length=100)
    capacity = models.PositiveIntegerField(
        pgettext_lazy("parking lot", "capacity"), help_text=_("Spaces for cars, all kinds.")
    )
    temporary_capacity = models.PositiveIntegerField(
        _("spaces for temporary cars"),
        null=True,
        blank=True,
        help_text=_("Temporary cars are turned away when this many are inside; empty: the whole capacity."),
    )
    # Booth policy.
    allow_temporary = models.BooleanField(_("temporary cars allowed"), default=True)
    allowed_colours = models.CharField(
        _("plate colours let in as temporary"),
        max_length=100,
        blank=True,
        help_text=_("Comma-separated (blue,green,yellow…); empty: every colour."),
    )
    charging_enabled = models.BooleanField(_("charging on"), default=True)
    charge_separately = models.BooleanField(
        _("charged separately"),
        default=True,
        help_text=_("An inner lot charged on its own; when off, its stays are free (the outer lot charges)."),
    )
    exit_grace_minutes = models.PositiveSmallIntegerField(
        _("minutes to leave after paying"), default=15, validators=[MinValueValidator(1)]
    )
    reconcile_rule = models.CharField(
        _("unpaired reads"), max_length=10, choices=ReconcileRule.choices, default=ReconcileRule.LENIENT
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("parking lot")
        verbose_name_plural = _("parking lots")
        ordering = ["estate", "name"]
        constraints = [models.UniqueConstraint(fields=["estate", "name"], name="parking_lot_unique_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def colours(self) -> frozenset[str]:
        return frozenset(c.strip() for c in self.allowed_colours.split(",") if c.strip())

    @property
    def charges(self) -> bool:
        return self.charging_enabled and (self.parent_id is None or self.charge_separately)


# The salt of a lane's signed exit-payment token (read back by ``parking.pay_views``).
LANE_PAY_SALT = "parking.lane-pay"


class LaneDirection(models.TextChoices):
    IN = "in", _("Entry")
    OUT = "out", _("Exit")


class Lane(models.Model):
    """A plate camera at a barrier of a lot: which way its cars go."""

    estate_path = "lot__estate"

    lot = models.ForeignKey(Lot, on_delete=models.CASCADE, related_name="lanes", verbose_name=_("lot"))
    device = models.OneToOneField(
        Device, on_delete=models.CASCADE, related_name="parking_lane", verbose_name=_("plate camera")
    )
    direction = models.CharField(_("direction"), max_length=3, choices=LaneDirection.choices)
    name = models.CharField(_("name"), max_length=100, blank=True)
    # Hikvision barriers are opened by a call from the platform (Digest auth), where reachable.
    barrier_url = models.URLField(
        _("barrier control URL"), blank=True, help_text=_("e.g. http://192.168.1.64 (Hikvision ISAPI).")
    )
    barrier_channel = models.PositiveSmallIntegerField(_("barrier channel"), default=1)
    barrier_username = models.CharField(_("barrier user"), max_length=64, blank=True)
    barrier_password = models.CharField(_("barrier password"), max_length=128, blank=True)

    class Meta:
        verbose_name = _("lane")
        verbose_name_plural = _("lanes")
        ordering = ["lot", "direction", "name"]

    def __str__(self) -> str:
        return self.name or f"{self.lot} {self.get_direction_display()}"

    @property
    def pay_token(self) -> str:
        """The signed key of this lane's exit payment QR code (``/parking/pay/<token>/``)."""
        return signing.Signer(salt=LANE_PAY_SALT).sign(f"lane.{self.pk}")


class SpaceKind(models.TextChoices):
    OWNED = "owned", _("Owned")
    RENTED = "rented", _("Rented")
    PUBLIC = "public", pgettext_lazy("parking space", "Public")
    DEVELOPER = "developer", _("Developer's")


class Space(models.Model):
    """A parking space. A titled space is the residents app's parking Unit: voting and billing
    see the Unit, the car park sees this row, and ``unit`` links the two."""

    estate_path = "lot__estate"

    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="spaces", verbose_name=_("lot"))
    number = models.CharField(_("number"), max_length=20)
    kind = models.CharField(_("kind"), max_length=10, choices=SpaceKind.choices, default=SpaceKind.PUBLIC)
    unit = models.OneToOneField(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="parking_space",
        verbose_name=_("titled unit"),
        limit_choices_to={"usage": "parking"},
    )
    holder = models.ForeignKey(
        Resident,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="parking_spaces",
        verbose_name=_("owner or tenant"),
    )
    # 子母车位: two spaces one behind the other, held together.
    tandem_with = models.OneToOneField(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tandem_of",
        verbose_name=_("tandem partner (子母车位)"),
    )
    cars_inside = models.PositiveSmallIntegerField(
        _("cars inside at once"),
        default=1,
        validators=[MinValueValidator(1)],
        help_text=_("Several cars may be registered to one space; this many may be inside on it."),
    )

    class Meta:
        verbose_name = _("parking space")
        verbose_name_plural = _("parking spaces")
        ordering = ["lot", "number"]
        constraints = [models.UniqueConstraint(fields=["lot", "number"], name="parking_space_unique_number")]

    def __str__(self) -> str:
        return f"{self.lot} {self.number}" if self._state.fields_cache.get("lot") else self.number


class Vehicle(models.Model):
    estate_path = "estate"

    estate = models.ForeignKey(
        Estate, on_delete=models.PROTECT, related_name="vehicles", verbose_name=_("estate")
    )
    plate = models.CharField(_("plate"), max_length=16, help_text=_("Normalised: no spaces, upper case."))
    colour = models.CharField(
        _("plate colour"), max_length=8, choices=PlateColour.choices, default=PlateColour.BLUE
    )
    owner = models.ForeignKey(
        Resident,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="vehicles",
        verbose_name=_("owner"),
    )
    space = models.ForeignKey(
        Space,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="vehicles",
        verbose_name=_("space"),
    )
    approved = models.BooleanField(_("approved"), default=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("registered by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("vehicle")
        verbose_name_plural = _("vehicles")
        ordering = ["estate", "plate"]
        constraints = [
            models.UniqueConstraint(fields=["estate", "plate"], name="parking_vehicle_unique_plate")
        ]

    def __str__(self) -> str:
        return self.plate


class PermitKind(models.TextChoices):
    MONTHLY = "monthly", pgettext_lazy("parking permit", "Monthly")
    YEARLY = "yearly", pgettext_lazy("parking permit", "Yearly")
    SOLD = "sold", _("Space sold (permanent)")
    INTERNAL = "internal", _("Internal (staff)")
    FREE = "free", _("Free")


class Permit(models.Model):
    """A right for one vehicle to park in one lot over a window: ``[valid_from, valid_until)``."""

    estate_path = "lot__estate"

    vehicle = models.ForeignKey(
        Vehicle, on_delete=models.PROTECT, related_name="permits", verbose_name=_("vehicle")
    )
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="permits", verbose_name=_("lot"))
    kind = models.CharField(_("kind"), max_length=10, choices=PermitKind.choices)
    valid_from = models.DateTimeField(_("valid from"))
    valid_until = models.DateTimeField(_("valid until"))
    price = models.DecimalField(_("price"), max_digits=10, decimal_places=2, default=Decimal("0.00"))
    paid_amount = models.DecimalField(_("paid"), max_digits=10, decimal_places=2, default=Decimal("0.00"))
    bill_ref = models.CharField(_("bill"), max_length=64, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    created_by = models.CharField(_("created by"), max_length=100)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("permit")
        verbose_name_plural = _("permits")
        ordering = ["-valid_until"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gt=models.F("valid_from")), name="parking_permit_window"
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="parking_permit_price_not_negative"),
        ]
        indexes = [models.Index(fields=["vehicle", "lot", "valid_until"], name="parking_permit_lookup_idx")]

    def __str__(self) -> str:
        return f"{self.vehicle} {self.get_kind_display()}"

    def is_valid_at(self, at: dt.datetime) -> bool:
        return self.revoked_at is None and self.valid_from <= at < self.valid_until


class FeeRule(models.Model):
    """One version of a lot's tariff. Never edited once published: a new version is added, and
    a session keeps the version it started under."""

    estate_path = "lot__estate"

    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="fee_rules", verbose_name=_("lot"))
    version = models.PositiveIntegerField(_("version"))
    effective_from = models.DateTimeField(_("effective from"))
    free_minutes = models.PositiveIntegerField(_("free minutes"), default=15)
    unit_minutes = models.PositiveIntegerField(
        _("billing unit (minutes)"), default=60, validators=[MinValueValidator(1)]
    )
    price_per_unit = models.DecimalField(_("price per unit"), max_digits=8, decimal_places=2)
    daily_cap = models.DecimalField(
        _("cap per calendar day"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    night_start = models.TimeField(_("night from"), null=True, blank=True)
    night_end = models.TimeField(_("night until"), null=True, blank=True)
    night_price_per_unit = models.DecimalField(
        _("night price per unit"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    created_by = models.CharField(_("created by"), max_length=100)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("fee rule")
        verbose_name_plural = _("fee rules")
        ordering = ["lot", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["lot", "version"], name="parking_feerule_unique_version"),
            models.CheckConstraint(
                condition=Q(price_per_unit__gte=0), name="parking_feerule_price_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(daily_cap__isnull=True) | Q(daily_cap__gte=0),
                name="parking_feerule_cap_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lot} v{self.version}"

    @property
    def tzinfo(self):
        try:
            return zoneinfo.ZoneInfo(self.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo(settings.TIME_ZONE)


class PlateEvent(models.Model):
    """One plate read as a camera sent it: stored before anything is decided or answered."""

    estate_path = "estate"

    # No index of its own: (estate, received_at) leads with it. Every index is written on each of
    # the car park's busiest inserts.
    estate = models.ForeignKey(
        Estate, on_delete=models.PROTECT, related_name="+", db_index=False, verbose_name=_("estate")
    )
    device = models.ForeignKey(
        Device, on_delete=models.PROTECT, related_name="plate_events", verbose_name=_("camera")
    )
    lot = models.ForeignKey(
        Lot, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("lot")
    )
    direction = models.CharField(_("direction"), max_length=3, choices=LaneDirection.choices, blank=True)
    plate = models.CharField(_("plate"), max_length=16, blank=True)
    plate_as_read = models.CharField(_("plate as read"), max_length=32, blank=True)
    colour = models.CharField(
        _("plate colour"), max_length=8, choices=PlateColour.choices, default=PlateColour.UNKNOWN
    )
    confidence = models.PositiveSmallIntegerField(_("confidence"), null=True, blank=True)
    motion = models.CharField(_("motion in the picture"), max_length=8, blank=True)
    # The camera's own time, kept as it sent it; decisions go by ``received_at`` (the server's).
    device_time = models.DateTimeField(_("device time"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"))
    clock_skewed = models.BooleanField(
        _("camera clock skewed"),
        default=False,
        help_text=_(
            "The camera's time was off the server's by more than two minutes: its clock needs setting."
        ),
    )
    device_key = models.CharField(_("device key (plateid)"), max_length=64, blank=True)
    offline = models.BooleanField(_("replayed from the camera's offline store"), default=False)
    image = models.ImageField(_("image"), upload_to="parking/plates/%Y/%m/", blank=True)
    raw_body = models.BinaryField(_("raw body"), blank=True)
    # The decision taken on this read (none for offline records and duplicates).
    opened = models.BooleanField(_("barrier opened"), default=False)
    reason = models.CharField(_("reason"), max_length=32, blank=True)
    amount_due = models.DecimalField(
        _("amount due"), max_digits=10, decimal_places=2, default=Decimal("0.00")
    )
    session = models.ForeignKey(
        "Session",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=pgettext_lazy("parking", "session"),
    )
    needs_staff = models.BooleanField(_("needs a staff decision"), default=False)
    handled_by = models.CharField(_("handled by"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("plate read")
        verbose_name_plural = _("plate reads")
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["device", "device_key"],
                condition=~Q(device_key=""),
                name="parking_plateevent_device_key",
            ),
        ]
        indexes = [
            models.Index(fields=["estate", "-received_at"], name="parking_plateevent_estate_idx"),
            models.Index(
                fields=["estate", "-received_at"],
                condition=Q(needs_staff=True),
                name="parking_plateevent_staff_idx",
            ),
            models.Index(fields=["plate"], name="parking_plateevent_plate_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.plate or self.plate_as_read} @ {self.received_at:%Y-%m-%d %H:%M:%S}"

    @property
    def reason_label(self) -> str:
        return decisions.reason_label(self.reason)


class SessionKind(models.TextChoices):
    PERMIT = "permit", _("Permit")
    SPACE = "space", _("Own or rented space")
    VISITOR = "visitor", _("Visitor")
    TEMPORARY = "temporary", _("Temporary")


class Session(models.Model):
    """One stay of one plate in one lot."""

    estate_path = "estate"

    # estate, lot and vehicle have no index of their own: (estate, entered_at), (lot, status)
    # and (vehicle, entered_at) lead with them, and every index is written on each entry and exit.
    estate = models.ForeignKey(
        Estate, on_delete=models.PROTECT, related_name="+", db_index=False, verbose_name=_("estate")
    )
    lot = models.ForeignKey(
        Lot, on_delete=models.PROTECT, related_name="sessions", db_index=False, verbose_name=_("lot")
    )
    plate = models.CharField(_("plate"), max_length=16)
    kind = models.CharField(_("kind"), max_length=10, choices=SessionKind.choices)
    vehicle = models.ForeignKey(
        Vehicle,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_index=False,
        related_name="sessions",
        verbose_name=_("vehicle"),
    )
    space = models.ForeignKey(
        Space,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sessions",
        verbose_name=_("space"),
    )
    visitor_pass = models.ForeignKey(
        "access.VisitorPass",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="parking_sessions",
        verbose_name=_("visitor pass"),
    )
    entry_event = models.ForeignKey(
        PlateEvent,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entry read"),
    )
    exit_event = models.ForeignKey(
        PlateEvent,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("exit read"),
    )
    entered_at = models.DateTimeField(pgettext_lazy("parking", "entered at"), null=True, blank=True)
    exited_at = models.DateTimeField(_("left at"), null=True, blank=True)
    fee_rule = models.ForeignKey(
        FeeRule,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sessions",
        verbose_name=_("fee rule"),
    )
    fee = models.DecimalField(_("fee"), max_digits=10, decimal_places=2, default=Decimal("0.00"))
    paid_amount = models.DecimalField(_("paid"), max_digits=10, decimal_places=2, default=Decimal("0.00"))
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    bill_ref = models.CharField(_("bill"), max_length=64, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    # Every decision about this stay: [{"at", "code", "by", "note"?}], oldest first.
    reasons = models.JSONField(_("decisions"), default=list, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("parking session")
        verbose_name_plural = _("parking sessions")
        ordering = ["-entered_at"]
        constraints = [
            # The anchor of every race: one live stay per plate and lot.
            models.UniqueConstraint(
                fields=["lot", "plate"],
                condition=Q(status__in=sorted(LIVE_STATUSES)),
                name="parking_session_one_live",
            ),
            models.CheckConstraint(
                condition=Q(exited_at__isnull=True)
                | Q(entered_at__isnull=True)
                | Q(exited_at__gte=models.F("entered_at")),
                name="parking_session_exit_after_entry",
            ),
            models.CheckConstraint(
                condition=Q(fee__gte=0) & Q(paid_amount__gte=0), name="parking_session_money"
            ),
        ]
        indexes = [
            models.Index(fields=["lot", "status"], name="parking_session_lot_status_idx"),
            models.Index(fields=["estate", "-entered_at"], name="parking_session_estate_idx"),
            models.Index(fields=["vehicle", "-entered_at"], name="parking_session_vehicle_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.plate} {self.lot_id} {self.get_status_display()}"

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES

    @property
    def duration(self) -> dt.timedelta | None:
        if self.entered_at is None or self.exited_at is None:
            return None
        return self.exited_at - self.entered_at

    @property
    def amount_owed(self) -> Decimal:
        return max(self.fee - self.paid_amount, Decimal("0.00"))


class GateActionKind(models.TextChoices):
    MANUAL_OPEN = "manual_open", _("Barrier opened by hand")
    SESSION_CLOSE = "session_close", _("Session closed by hand")
    PLATE_CORRECT = "plate_correct", _("Plate corrected")
    BARRIER_CALL = "barrier_call", _("Barrier call to the camera")
    ALLOWLIST_SYNC = "allowlist_sync", _("Allow-list sync to the camera")


class GateAction(models.Model):
    """Audit of what staff did at a barrier, and of barrier calls the platform made."""

    estate_path = "estate"

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="+", verbose_name=_("estate"))
    kind = models.CharField(_("kind"), max_length=16, choices=GateActionKind.choices)
    lane = models.ForeignKey(
        Lane, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("lane")
    )
    session = models.ForeignKey(
        Session,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="actions",
        verbose_name=pgettext_lazy("parking", "session"),
    )
    plate_event = models.ForeignKey(
        PlateEvent,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("plate read"),
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    by = models.CharField(_("by"), max_length=100)
    ok = models.BooleanField(_("succeeded"), default=True)
    detail = models.TextField(_("detail"), blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("gate action")
        verbose_name_plural = _("gate actions")
        ordering = ["-at"]
        indexes = [models.Index(fields=["estate", "-at"], name="parking_gateaction_estate_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"


class AllowListEntry(models.Model):
    """A plate in a camera's own allow-list, as we last pushed it (Hikvision ANPR cameras decide
    from it). ``confirmed`` once the camera took it; an unconfirmed row is pushed again."""

    estate_path = "lane__lot__estate"

    lane = models.ForeignKey(
        Lane, on_delete=models.CASCADE, related_name="allow_list", verbose_name=_("lane")
    )
    plate = models.CharField(_("plate"), max_length=16)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until (last day)"))
    confirmed = models.BooleanField(_("taken by the camera"), default=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("allow-list entry")
        verbose_name_plural = _("allow-list entries")
        ordering = ["lane", "plate"]
        constraints = [
            models.UniqueConstraint(fields=["lane", "plate"], name="parking_allowlist_unique_plate")
        ]

    def __str__(self) -> str:
        return f"{self.lane} {self.plate}"


class BarrierRequest(models.Model):
    """A barrier staff opened from the platform, waiting for a camera that only listens in the
    answers to its own requests (Vzenith: the next heartbeat). Delivered once, or not at all
    once ``expires_at`` has passed: a barrier lifting minutes late would let in another car."""

    estate_path = "lane__lot__estate"

    lane = models.ForeignKey(
        Lane, on_delete=models.CASCADE, related_name="barrier_requests", verbose_name=_("lane")
    )
    action = models.OneToOneField(
        GateAction, on_delete=models.CASCADE, related_name="barrier_request", verbose_name=_("staff action")
    )
    by = models.CharField(_("by"), max_length=100)
    requested_at = models.DateTimeField(_("requested at"))
    expires_at = models.DateTimeField(_("expires at"))
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    expired = models.BooleanField(_("expired undelivered"), default=False)

    class Meta:
        verbose_name = _("barrier request")
        verbose_name_plural = _("barrier requests")
        ordering = ["-requested_at"]
        indexes = [
            models.Index(
                fields=["lane", "requested_at"],
                condition=Q(delivered_at__isnull=True, expired=False),
                name="parking_barrierreq_pending_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.lane} {self.requested_at:%Y-%m-%d %H:%M:%S}"
