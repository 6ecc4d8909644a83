"""Property service tickets (报修/投诉/咨询/建议), their timeline, photos and ratings.

``Ticket.status`` only changes through ``services`` and the table in ``transitions``;
``version`` is the optimistic lock: every write bumps it, a write based on an older version
is refused.

About 500 lines on purpose: one models module per app (Django's convention; the migration
autodetector reads one place), and the ticket, its timeline, photos, ratings and settings refer
to each other; the rules are elsewhere (``transitions``, ``filing``, ``sla``).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.calendar.rules import DEFAULT_DAY_END, DEFAULT_DAY_START
from community.notifications.messages import render

from .sla import sla_state
from .transitions import FINAL_STATUSES, OPEN_STATUSES, RUNNING_STATUSES, Status


class Kind(models.TextChoices):
    REPAIR = "repair", _("Repair")
    COMPLAINT = "complaint", _("Complaint")
    INQUIRY = "inquiry", _("Inquiry")
    SUGGESTION = "suggestion", _("Suggestion")


# Readable number prefixes, as Chinese property offices write them (报修 / 投诉 / 咨询 / 建议).
KIND_PREFIX = {Kind.REPAIR: "BX", Kind.COMPLAINT: "TS", Kind.INQUIRY: "ZX", Kind.SUGGESTION: "JY"}


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class Channel(models.TextChoices):
    PORTAL = "portal", _("Portal")
    PHONE = "phone", _("Phone")
    WALK_IN = "walk_in", _("Walk-in")
    STAFF = "staff", _("Staff")


class Category(models.Model):
    estate_path = "estate"

    estate = models.ForeignKey(
        "residents.Estate",
        on_delete=models.CASCADE,
        related_name="ticket_categories",
        verbose_name=_("estate"),
    )
    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.REPAIR)
    default_priority = models.CharField(
        _("default priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL
    )
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("ticket category")
        verbose_name_plural = _("ticket categories")
        ordering = ["estate", "sort_order", "name"]
        constraints = [models.UniqueConstraint(fields=["estate", "name"], name="ticket_category_unique_name")]

    def __str__(self) -> str:
        return self.name


class SLAPolicy(models.Model):
    """Response and resolution budgets of one category at one priority."""

    estate_path = "category__estate"

    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, related_name="sla_policies", verbose_name=_("category")
    )
    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices)
    response_minutes = models.PositiveIntegerField(_("response within (minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolve within (minutes)"))

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["category", "priority"]
        constraints = [
            models.UniqueConstraint(fields=["category", "priority"], name="slapolicy_unique_priority"),
            models.CheckConstraint(
                condition=Q(resolution_minutes__gt=0) & Q(response_minutes__gt=0), name="slapolicy_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category_id}/{self.priority}"


class HoldReason(models.TextChoices):
    RESIDENT = "resident", _("Waiting for the resident")
    PARTS = "parts", _("Waiting for parts or a supplier")


# Priorities an estate may put on working hours; urgent and high run around the clock.
BUSINESS_HOURS_PRIORITIES = frozenset({"normal", "low"})

# Arrival on site, per priority, when an estate sets none (物业服务等级标准: urgent repairs on
# site within 30 minutes).
DEFAULT_ARRIVAL_MINUTES = {"urgent": 30, "high": 120, "normal": 24 * 60, "low": 72 * 60}


class TicketSettings(models.Model):
    estate_path = "estate"

    estate = models.OneToOneField(
        "residents.Estate", on_delete=models.CASCADE, related_name="ticket_settings", verbose_name=_("estate")
    )
    auto_close_days = models.PositiveSmallIntegerField(
        _("auto-close after (days)"),
        default=7,
        help_text=_(
            "Resolved tickets the resident neither confirms nor reopens are closed after this many days."
        ),
    )
    reopen_days = models.PositiveSmallIntegerField(_("residents may reopen within (days)"), default=7)
    # Technicians see the tickets assigned to them; some estates let them pick up work too.
    technicians_see_queue = models.BooleanField(
        _("technicians see the unassigned queue"),
        default=False,
        help_text=_(
            "Technicians always see the tickets assigned to them; with this, also open unassigned ones."
        ),
    )
    business_hours = models.BooleanField(
        _("normal and low priority count working hours only"),
        default=False,
        help_text=_(
            "Working days of the calendar table (holidays and 调休 included); urgent and high stay 24/7."
        ),
    )
    workday_start = models.TimeField(_("working day starts"), default=DEFAULT_DAY_START)
    workday_end = models.TimeField(_("working day ends"), default=DEFAULT_DAY_END)
    long_hold_days = models.PositiveSmallIntegerField(
        _("alert the manager after on hold for (days)"), default=3
    )
    arrival_urgent_minutes = models.PositiveIntegerField(
        _("urgent: on site within (minutes)"), default=DEFAULT_ARRIVAL_MINUTES["urgent"]
    )
    arrival_high_minutes = models.PositiveIntegerField(
        _("high: on site within (minutes)"), default=DEFAULT_ARRIVAL_MINUTES["high"]
    )
    arrival_normal_minutes = models.PositiveIntegerField(
        _("normal: on site within (minutes)"), default=DEFAULT_ARRIVAL_MINUTES["normal"]
    )
    arrival_low_minutes = models.PositiveIntegerField(
        _("low: on site within (minutes)"), default=DEFAULT_ARRIVAL_MINUTES["low"]
    )

    class Meta:
        verbose_name = _("ticket settings")
        verbose_name_plural = _("ticket settings")
        constraints = [
            # A resident may reopen only while the ticket is not yet auto-closed.
            models.CheckConstraint(
                condition=Q(workday_end__gt=models.F("workday_start")),
                name="ticketsettings_workday_ordered",
                violation_error_message=_("The working day must end after it starts."),
            ),
            models.CheckConstraint(
                condition=Q(reopen_days__lte=models.F("auto_close_days")),
                name="ticketsettings_reopen_within_auto_close",
                violation_error_message=_("Residents must be able to reopen at most until the auto-close."),
            ),
        ]

    def __str__(self) -> str:
        return str(self.estate)

    def arrival_minutes(self, priority: str) -> int:
        return getattr(self, f"arrival_{priority}_minutes")


class TicketCounter(models.Model):
    """Last number handed out per estate and day; its row lock serialises number allocation."""

    estate = models.ForeignKey(
        "residents.Estate", on_delete=models.CASCADE, related_name="+", verbose_name=_("estate")
    )
    day = models.DateField(_("day"))
    last = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("ticket counter")
        verbose_name_plural = _("ticket counters")
        constraints = [models.UniqueConstraint(fields=["estate", "day"], name="ticketcounter_unique_day")]

    def __str__(self) -> str:
        return f"{self.estate_id}/{self.day}: {self.last}"


class TicketQuerySet(models.QuerySet):
    """The SLA filters, in one place for the admin queues, the API and the dashboard."""

    def open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def running(self):
        """Tickets whose SLA clock runs: open and not paused (a wait for parts not approved by a
        manager is on hold with the clock running)."""
        return self.filter(
            Q(status__in=RUNNING_STATUSES) | Q(status=Status.ON_HOLD, on_hold_since__isnull=True)
        )

    # These mirror sla.sla_state exactly (same marks, same <=): a test holds them together.
    def overdue(self, now):
        return self.running().filter(resolution_due_at__lte=now)

    def at_risk(self, now):
        """Running, past the at-risk mark, not yet overdue."""
        return (
            self.running()
            .filter(at_risk_at__lte=now)
            .filter(Q(resolution_due_at__gt=now) | Q(resolution_due_at__isnull=True))
        )


class Ticket(models.Model):
    estate_path = "estate"

    estate = models.ForeignKey(
        "residents.Estate", on_delete=models.PROTECT, related_name="tickets", verbose_name=_("estate")
    )
    number = models.CharField(_("number"), max_length=20, editable=False)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("category")
    )
    priority = models.CharField(
        _("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL
    )
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices, default=Channel.PORTAL)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.NEW, editable=False
    )

    reporter = models.ForeignKey(
        "residents.Resident",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("reporter"),
    )
    reporter_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reported_tickets",
        verbose_name=_("filed by"),
    )
    unit = models.ForeignKey(
        "residents.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("unit"),
    )
    common_area = models.CharField(
        _("common area"),
        max_length=100,
        blank=True,
        default="",
        help_text=_("Where, when the problem is not inside a unit (e.g. 3栋电梯)."),
    )
    description = models.TextField(_("description"))

    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tickets",
        verbose_name=_("assignee"),
    )
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("on site at"), null=True, blank=True)
    hold_reason = models.CharField(
        _("on hold because"), max_length=10, choices=HoldReason.choices, blank=True, default=""
    )
    resolution_note = models.TextField(_("resolution note"), blank=True, default="")

    # SLA clock (see sla.Clock): resolution runs from sla_started_at, minus time on hold.
    sla_started_at = models.DateTimeField(_("SLA clock started at"))
    paused_seconds = models.PositiveIntegerField(_("time on hold (seconds)"), default=0)
    on_hold_since = models.DateTimeField(_("on hold since"), null=True, blank=True)
    response_due_at = models.DateTimeField(_("respond by"), null=True, blank=True)
    arrival_due_at = models.DateTimeField(_("on site by"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolve by"), null=True, blank=True, db_index=True)
    at_risk_at = models.DateTimeField(_("at risk from"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(
        _("escalation level"), default=0, help_text=_("0 none, 1 at risk, 2 overdue")
    )
    response_alerted = models.BooleanField(_("late response alerted"), default=False)
    arrival_alerted = models.BooleanField(_("late arrival alerted"), default=False)
    hold_alerted = models.BooleanField(_("long hold alerted"), default=False)
    # Permanent: once any deadline was missed the ticket counts as breached in reports, whatever
    # later changes of priority or category do to its deadlines.
    breached = models.BooleanField(_("deadline breached"), default=False)

    responded_at = models.DateTimeField(_("responded at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # A default, not auto_now_add: phone tickets and imports keep the time the resident called.
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = TicketQuerySet.as_manager()

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["estate", "number"], name="ticket_unique_number_per_estate"),
            models.CheckConstraint(
                condition=Q(unit__isnull=True) | Q(common_area=""), name="ticket_unit_or_common_area"
            ),
            models.CheckConstraint(condition=Q(status__in=Status.values), name="ticket_status_known"),
        ]
        indexes = [
            models.Index(fields=["estate", "status"]),
            models.Index(fields=["assignee", "status"]),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def clock_running(self) -> bool:
        """The same test as ``TicketQuerySet.running``, for one loaded row."""
        return self.status in RUNNING_STATUSES or (
            self.status == Status.ON_HOLD and self.on_hold_since is None
        )

    def sla_state(self, now) -> str | None:
        """On time / at risk / overdue while the clock runs; None when paused or finished."""
        if not self.clock_running:
            return None
        return sla_state(now=now, due_at=self.resolution_due_at, at_risk_at=self.at_risk_at)

    @property
    def location(self) -> str:
        if self.unit_id:
            return self.unit.label
        return self.common_area


class EventKind(models.TextChoices):
    CREATED = "created", _("Created")
    STATUS = "status", _("Status changed")
    ASSIGNED = "assigned", _("Assigned")
    COMMENT = "comment", _("Comment")
    NOTE = "note", _("Internal note")
    RATED = "rated", _("Rated")
    ESCALATED = "escalated", _("Escalated")
    UPDATED = "updated", _("Updated")


class TicketEvent(models.Model):
    estate_path = "ticket__estate"

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="events", verbose_name=_("ticket")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=EventKind.choices)
    action = models.CharField(_("action"), max_length=12, blank=True, default="")
    from_status = models.CharField(
        _("from status"), max_length=12, choices=Status.choices, blank=True, default=""
    )
    to_status = models.CharField(
        _("to status"), max_length=12, choices=Status.choices, blank=True, default=""
    )
    # Text a person wrote (reason, comment), shown as written; generated text is a registered
    # message (community.notifications.messages) plus parameters, rendered for the reader.
    body = models.TextField(_("text"), blank=True, default="")
    message = models.CharField(_("message type"), max_length=64, blank=True, default="")
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    # Internal events (notes, escalations) are never shown to residents.
    is_internal = models.BooleanField(_("internal"), default=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    # For acts of the platform itself: "system:<job>" (the actor is empty then).
    system_actor = models.CharField(_("system actor"), max_length=40, blank=True, default="")
    # The technician the ticket was assigned to right after this event: a reopen (返修) counts
    # against the technician whose work came back, even when the ticket is handed over later.
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assignee at the time"),
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"])]

    def __str__(self) -> str:
        return f"{self.ticket_id}:{self.kind}"

    @property
    def text(self) -> str:
        """What the timeline shows, in the reader's (active) language: the generated line, then
        what the person wrote."""
        generated = render(self.message, self.params) if self.message else ""
        return "\n".join(part for part in (generated, self.body) if part)


class PhotoStage(models.TextChoices):
    REPORT = "report", _("Reported")
    RESOLUTION = "resolution", _("Resolution")


def _photo_path(instance, filename: str) -> str:
    return f"tickets/{instance.ticket.estate_id}/{instance.ticket_id}/{filename}"


class TicketPhoto(models.Model):
    estate_path = "ticket__estate"

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="photos", verbose_name=_("ticket")
    )
    image = models.ImageField(_("image"), upload_to=_photo_path, width_field="width", height_field="height")
    width = models.PositiveIntegerField(_("width"), null=True, blank=True)
    height = models.PositiveIntegerField(_("height"), null=True, blank=True)
    stage = models.CharField(_("stage"), max_length=10, choices=PhotoStage.choices, default=PhotoStage.REPORT)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("ticket photo")
        verbose_name_plural = _("ticket photos")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.image.name


class Rating(models.Model):
    estate_path = "ticket__estate"

    ticket = models.OneToOneField(
        Ticket, on_delete=models.CASCADE, related_name="rating", verbose_name=_("ticket")
    )
    score = models.PositiveSmallIntegerField(
        _("score"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("comment"), blank=True, default="")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("rated by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        constraints = [
            models.CheckConstraint(condition=Q(score__gte=1, score__lte=5), name="rating_score_1_to_5")
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.score}"
