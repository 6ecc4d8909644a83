"""Community affairs (社区事务): service items the community office handles, residents'
applications with their materials, and the certificates they end in.

Applications are their own model, built on the ticket engine's pieces: the SLA clock
(``community.tickets.sla.Clock``: deadline = start + budget + time on hold, the same at-risk
rule), the same escalation levels and the same rating scale — not tickets.

Over ~400 lines on purpose: one models module per app (Django's convention), and service items,
applications, materials, certificates, appointments, grids and rosters refer to each other;
the rules live in ``transitions``, ``time_limits`` and ``services``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from community.residents.models import Estate, Resident, Unit

from .grid_transitions import GridStatus
from .transitions import Status


class ServiceItem(models.Model):
    """A matter (事项) the office handles: what to bring, who is eligible, how long it takes."""

    estate_path = "estate"

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="+", verbose_name=_("estate"))
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    office = models.CharField(
        _("office"), max_length=100, help_text=_("Who handles it, e.g. 阳光社区居委会.")
    )
    eligibility = models.TextField(_("who may apply"), blank=True)
    # [{"key": "id_card", "label": "身份证复印件", "required": true}, …]
    materials = models.JSONField(_("materials"), default=list, blank=True)
    time_limit_days = models.PositiveSmallIntegerField(
        _("promised time limit (working days)"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
    )
    needs_appointment = models.BooleanField(_("needs an appointment"), default=False)
    issues_certificate = models.BooleanField(_("ends in a certificate"), default=False)
    certificate_title = models.CharField(_("certificate title"), max_length=60, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = pgettext_lazy("community office", "service item")
        verbose_name_plural = pgettext_lazy("community office", "service items")
        ordering = ["estate", "name"]
        constraints = [models.UniqueConstraint(fields=["estate", "code"], name="affairs_item_unique_code")]

    def __str__(self) -> str:
        return self.name

    @property
    def material_keys(self) -> list[str]:
        return [m["key"] for m in self.materials]

    def material_label(self, key: str) -> str:
        return next((m["label"] for m in self.materials if m["key"] == key), key)


class Application(models.Model):
    estate_path = "estate"

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="+", verbose_name=_("estate"))
    number = models.CharField(_("number"), max_length=24, unique=True)
    item = models.ForeignKey(
        ServiceItem,
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=pgettext_lazy("community office", "item"),
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("applicant")
    )
    # For themselves or a household member: the person the matter concerns.
    beneficiary = models.ForeignKey(
        Resident, on_delete=models.PROTECT, related_name="+", verbose_name=_("for whom")
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("home"))
    note = models.TextField(_("note"), blank=True, max_length=1000)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    version = models.PositiveIntegerField(default=1)
    # The one-time notice: every missing material, told at once.
    missing = models.JSONField(_("missing materials"), default=list, blank=True)
    missing_note = models.TextField(_("what to correct"), blank=True)
    notices_sent = models.PositiveSmallIntegerField(default=0)
    decision_reason = models.TextField(_("reason"), blank=True)
    # SLA clock (community.tickets.sla.Clock) and its stored marks, for SQL filters.
    sla_started_at = models.DateTimeField()
    sla_paused_seconds = models.PositiveIntegerField(default=0)
    sla_paused_since = models.DateTimeField(null=True, blank=True)
    # The time limit counts working days (community.affairs.time_limits): working time used in
    # earlier runs of the clock, and the start of the current run (None while on hold or decided).
    sla_worked_seconds = models.PositiveIntegerField(default=0)
    sla_run_since = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    at_risk_at = models.DateTimeField(null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    rating = models.PositiveSmallIntegerField(
        _("rating"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    rating_comment = models.CharField(_("comment"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["estate", "status", "due_at"], name="affairs_app_queue_idx")]

    def __str__(self) -> str:
        return self.number


class ApplicationMaterial(models.Model):
    estate_path = "application__estate"

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="material_files")
    key = models.CharField(_("material"), max_length=40)
    file = models.FileField(_("file"), upload_to="affairs/%Y/%m/")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("material")
        verbose_name_plural = _("materials")
        ordering = ["application", "key", "-uploaded_at"]

    def __str__(self) -> str:
        return f"{self.application_id}:{self.key}"


class EventType(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    MATERIAL_UPLOADED = "material_uploaded", _("Material uploaded")
    MOVED = "moved", _("Status changed")
    ESCALATED = "escalated", _("Escalated")
    CERTIFICATE_ISSUED = "certificate_issued", _("Certificate issued")
    RATED = "rated", _("Rated")


class ApplicationEvent(models.Model):
    """The history: a type plus parameters, rendered in the reader's language when read."""

    estate_path = "application__estate"

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=20, choices=EventType.choices)
    params = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    actor_label = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.application_id}:{self.type}"


class Certificate(models.Model):
    """A document the office issued; anyone holding it can verify it at /verify/<code>."""

    estate_path = "application__estate"

    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="certificate")
    number = models.CharField(_("number"), max_length=24, unique=True)
    code = models.CharField(max_length=43, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=60)
    issued_at = models.DateTimeField(pgettext_lazy("certificate", "issued at"), auto_now_add=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")

    def __str__(self) -> str:
        return self.number


# --- Grids (网格) ------------------------------------------------------------------------------


class Grid(models.Model):
    """A part of the estate (its buildings) with the grid worker responsible for it."""

    estate_path = "estate"

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="+", verbose_name=_("estate"))
    name = models.CharField(_("name"), max_length=60)
    buildings = models.ManyToManyField(
        "residents.Building", related_name="grids", verbose_name=_("buildings")
    )
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("grid worker")
    )

    class Meta:
        verbose_name = _("grid")
        verbose_name_plural = _("grids")
        ordering = ["estate", "name"]
        constraints = [models.UniqueConstraint(fields=["estate", "name"], name="affairs_grid_unique_name")]

    def __str__(self) -> str:
        return self.name


class GridEventType(models.TextChoices):
    SAFETY = "safety", _("Safety hazard")
    DISPUTE = "dispute", _("Neighbour dispute")
    ENVIRONMENT = "environment", _("Environment and sanitation")
    FACILITY = "facility", _("Public facility")
    PEOPLE = "people", _("People needing help")
    OTHER = "other", _("Other")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")


class GridEvent(models.Model):
    estate_path = "estate"

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="+", verbose_name=_("estate"))
    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="events", verbose_name=_("grid"))
    number = models.CharField(_("number"), max_length=24, unique=True)
    type = models.CharField(_("type"), max_length=16, choices=GridEventType.choices)
    urgency = models.CharField(_("urgency"), max_length=8, choices=Urgency.choices, default=Urgency.NORMAL)
    location = models.CharField(_("location"), max_length=120)
    description = models.TextField(_("description"), max_length=2000)
    people_involved = models.CharField(_("people involved"), max_length=200, blank=True)
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"), max_length=10, choices=GridStatus.choices, default=GridStatus.REPORTED
    )
    sla_paused_seconds = models.PositiveIntegerField(default=0)
    sla_paused_since = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    sla_started_at = models.DateTimeField()
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    at_risk_at = models.DateTimeField(null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    rating = models.PositiveSmallIntegerField(
        _("rating"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("grid event")
        verbose_name_plural = _("grid events")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["estate", "status", "due_at"], name="affairs_gridevent_queue_idx")]

    def __str__(self) -> str:
        return self.number


class GridEventPhoto(models.Model):
    estate_path = "event__estate"

    event = models.ForeignKey(GridEvent, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to="grid/%Y/%m/")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.event_id}:{self.pk}"


class GridEventLog(models.Model):
    """History: a type plus parameters, rendered in the reader's language."""

    estate_path = "event__estate"

    event = models.ForeignKey(GridEvent, on_delete=models.CASCADE, related_name="log")
    action = models.CharField(max_length=16)
    params = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    actor_label = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.event_id}:{self.action}"


# --- Rosters with purpose ----------------------------------------------------------------------


class RosterKind(models.TextChoices):
    ELDERS_ALONE = "elders_alone", _("Elders living alone")
    DISABILITY = "disability", _("People with disabilities")
    LOW_INCOME = "low_income", _("Low-income households")
    OTHER = "other", _("Other")


class RosterBasis(models.TextChoices):
    LEGAL_DUTY = "legal_duty", _("Statutory duty (PIPL Art. 13(3))")
    EMERGENCY = "emergency", _("Protecting life and health (Art. 13(4))")
    CONSENT = "consent", _("Consent of the people listed (Art. 13(1))")


class Roster(models.Model):
    """A list of people the community keeps (sensitive personal information, PIPL Art. 28):
    every roster states why it exists and on what basis, and who may open it."""

    estate_path = "estate"

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="+", verbose_name=_("estate"))
    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=16, choices=RosterKind.choices)
    purpose = models.TextField(_("purpose"), max_length=500)
    legal_basis = models.CharField(_("legal basis"), max_length=12, choices=RosterBasis.choices)
    basis_reference = models.CharField(_("basis reference"), max_length=200, blank=True)
    visible_roles = models.JSONField(_("roles that may open it"), default=list)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("roster")
        verbose_name_plural = _("rosters")
        ordering = ["estate", "name"]

    def __str__(self) -> str:
        return self.name


class RosterEntry(models.Model):
    estate_path = "roster__estate"

    roster = models.ForeignKey(Roster, on_delete=models.CASCADE, related_name="entries")
    resident = models.ForeignKey(
        Resident, on_delete=models.CASCADE, related_name="+", verbose_name=_("resident")
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("roster entry")
        verbose_name_plural = _("roster entries")
        constraints = [
            models.UniqueConstraint(fields=["roster", "resident"], name="affairs_roster_entry_once")
        ]

    def __str__(self) -> str:
        return f"{self.roster_id}:{self.resident_id}"


class RosterAccess(models.Model):
    """Who opened or exported a roster, when, why, and how many people they saw."""

    estate_path = "roster__estate"

    roster = models.ForeignKey(Roster, on_delete=models.PROTECT, related_name="accesses")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    action = models.CharField(_("action"), max_length=8)  # "view" | "export"
    reason = models.CharField(_("reason"), max_length=200)
    people = models.PositiveIntegerField(_("people shown"), default=0)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("roster access")
        verbose_name_plural = _("roster accesses")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.roster_id} {self.action} {self.user_id}"


# --- Appointments ------------------------------------------------------------------------------


class AppointmentSlot(models.Model):
    estate_path = "item__estate"

    item = models.ForeignKey(
        ServiceItem,
        on_delete=models.CASCADE,
        related_name="slots",
        verbose_name=pgettext_lazy("community office", "item"),
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    capacity = models.PositiveSmallIntegerField(
        pgettext_lazy("appointment slot", "capacity"), default=4, validators=[MinValueValidator(1)]
    )
    place = models.CharField(_("place"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("appointment slot")
        verbose_name_plural = _("appointment slots")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="affairs_slot_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.item} {self.starts_at:%Y-%m-%d %H:%M}"


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", _("Booked")
    CANCELLED = "cancelled", _("Cancelled")
    CHECKED_IN = "checked_in", _("Checked in")
    NO_SHOW = "no_show", _("Did not come")


class Appointment(models.Model):
    estate_path = "slot__item__estate"

    slot = models.ForeignKey(AppointmentSlot, on_delete=models.PROTECT, related_name="appointments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"), max_length=12, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    # What the QR code at the office desk carries; unguessable, so a photo of someone else's
    # code is the only way to check in for them.
    code = models.CharField(max_length=32, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["slot__starts_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["slot", "user"],
                condition=models.Q(status="booked"),
                name="affairs_one_booking_per_slot",
            )
        ]

    def __str__(self) -> str:
        return f"{self.slot} · {self.user_id}"
