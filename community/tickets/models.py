"""Property service tickets (报修/投诉/咨询/建议), their timeline, photos and ratings.

``Ticket.status`` only changes through ``services`` and the table in ``transitions``;
``version`` is the optimistic lock: every write bumps it, a write based on an older version
is refused.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

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

    class Meta:
        verbose_name = _("ticket settings")
        verbose_name_plural = _("ticket settings")

    def __str__(self) -> str:
        return str(self.estate)


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
        return self.filter(status__in=RUNNING_STATUSES)

    def overdue(self, now):
        return self.running().filter(resolution_due_at__lte=now)

    def at_risk(self, now):
        """Running, past the at-risk mark, not yet overdue."""
        return self.running().filter(at_risk_at__lte=now, resolution_due_at__gt=now)


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
    resolution_note = models.TextField(_("resolution note"), blank=True, default="")

    # SLA clock (see sla.Clock): resolution runs from sla_started_at, minus time on hold.
    sla_started_at = models.DateTimeField(_("SLA clock started at"))
    paused_seconds = models.PositiveIntegerField(_("time on hold (seconds)"), default=0)
    on_hold_since = models.DateTimeField(_("on hold since"), null=True, blank=True)
    response_due_at = models.DateTimeField(_("respond by"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolve by"), null=True, blank=True, db_index=True)
    at_risk_at = models.DateTimeField(_("at risk from"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(
        _("escalation level"), default=0, help_text=_("0 none, 1 at risk, 2 overdue")
    )

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
    body = models.TextField(_("text"), blank=True, default="")
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
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"])]

    def __str__(self) -> str:
        return f"{self.ticket_id}:{self.kind}"


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
