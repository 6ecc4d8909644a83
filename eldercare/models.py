"""Home eldercare (智慧居家养老): elders, assessments, stations, catalog, orders, subsidies, alarms.

Every staff-visible model declares ``estate_path`` (community.scoping). Health data (the
assessment, care notes' medical parts) and movement traces (visit locations) are sensitive
personal information (PIPL Art. 28): services check the elder's consent before storing them.
"""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from access.models import Device
from community.residents.models import Estate, Resident

from .transitions import AlarmStatus, OrderStatus


def _new_salt() -> str:
    return secrets.token_hex(8)


class ElderCategory(models.TextChoices):
    REGULAR = "regular", _("Regular")
    LOW_INCOME = "low_income", _("Minimum-living-allowance household (低保)")
    SPECIAL_HARDSHIP = "special_hardship", _("Extreme hardship (特困)")
    OLDEST_OLD = "oldest_old", _("Aged 80 and over (高龄)")
    DISABLED = "disabled", _("Disabled (失能)")


class CareSettings(models.Model):
    """Per-estate knobs of the eldercare workflows (defaults when an estate has no row)."""

    estate_path = "estate"

    estate = models.OneToOneField(
        Estate, on_delete=models.CASCADE, related_name="care_settings", verbose_name=_("estate")
    )
    alarm_escalate_after = models.DurationField(
        _("escalate an unacknowledged alarm after"), default=dt.timedelta(minutes=2)
    )
    wellbeing_quiet_hours = models.PositiveSmallIntegerField(
        _("welfare check after hours without a sign of life"), default=24
    )
    late_after_minutes = models.PositiveSmallIntegerField(_("check-in late after (minutes)"), default=15)
    check_in_radius_m = models.PositiveIntegerField(_("check-in radius (metres)"), default=300)

    class Meta:
        verbose_name = _("eldercare settings")
        verbose_name_plural = _("eldercare settings")

    def __str__(self) -> str:
        return str(self.estate)


class ElderProfile(models.Model):
    estate_path = "estate"

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="+", verbose_name=_("estate"))
    resident = models.OneToOneField(
        Resident, on_delete=models.PROTECT, related_name="elder_profile", verbose_name=_("resident")
    )
    birth_date = models.DateField(_("birth date"))
    lives_alone = models.BooleanField(_("lives alone"), default=False)
    category = models.CharField(
        _("elder category"), max_length=20, choices=ElderCategory.choices, default=ElderCategory.REGULAR
    )
    home_latitude = models.DecimalField(
        _("home latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    home_longitude = models.DecimalField(
        _("home longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    # Seen by care staff only (never the family portal, never the API for residents).
    care_notes = models.TextField(_("care notes"), blank=True)
    devices = models.ManyToManyField(
        Device, blank=True, related_name="elders", verbose_name=_("care devices")
    )
    # Mixed into the door-code HMAC: changing it invalidates a lost card.
    door_code_salt = models.CharField(max_length=32, default=_new_salt, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("elder")
        verbose_name_plural = _("elders")
        ordering = ["estate", "resident__name"]

    def __str__(self) -> str:
        return self.resident.name

    def age_on(self, on: dt.date) -> int:
        return (
            on.year
            - self.birth_date.year
            - ((on.month, on.day) < (self.birth_date.month, self.birth_date.day))
        )


class EmergencyContact(models.Model):
    """A family resident (who then sees the elder in the portal) or a plain phone number."""

    estate_path = "elder__estate"

    elder = models.ForeignKey(ElderProfile, on_delete=models.CASCADE, related_name="contacts")
    resident = models.ForeignKey(
        Resident,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resident"),
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=100)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    relation = models.CharField(_("relation"), max_length=30, blank=True)
    priority = models.PositiveSmallIntegerField(_("call order"), default=1)

    class Meta:
        verbose_name = _("emergency contact")
        verbose_name_plural = _("emergency contacts")
        ordering = ["elder", "priority", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(resident__isnull=False) | ~Q(phone=""), name="eldercare_contact_reachable"
            )
        ]

    def __str__(self) -> str:
        return self.name


class ConsentCategory(models.TextChoices):
    HEALTH = "health", _("Health data")
    LOCATION = "location", _("Location and movement")
    DEVICES = "devices", _("Home monitoring devices")


class ConsentGiver(models.TextChoices):
    ELDER = "elder", _("The elder")
    GUARDIAN = "guardian", _("Guardian")


class Consent(models.Model):
    """Append-only: the latest record per category is the elder's current choice."""

    estate_path = "elder__estate"

    elder = models.ForeignKey(ElderProfile, on_delete=models.CASCADE, related_name="consents")
    category = models.CharField(_("data category"), max_length=12, choices=ConsentCategory.choices)
    granted = models.BooleanField(_("granted"))
    given_by = models.CharField(_("given by"), max_length=10, choices=ConsentGiver.choices)
    guardian_name = models.CharField(_("guardian name"), max_length=100, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["elder", "category", "-recorded_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(given_by="guardian") | ~Q(guardian_name=""),
                name="eldercare_consent_guardian_named",
            )
        ]

    def __str__(self) -> str:
        return f"{self.elder} · {self.get_category_display()}"


class AssessmentReason(models.TextChoices):
    FIRST = "first", _("First assessment")
    ROUTINE = "routine", _("Routine")
    IMMEDIATE = "immediate", _("Immediate (condition changed)")
    REASSESSMENT = "reassessment", _("Re-assessment on request")


class AbilityAssessment(models.Model):
    estate_path = "elder__estate"

    elder = models.ForeignKey(ElderProfile, on_delete=models.CASCADE, related_name="assessments")
    self_care = models.PositiveSmallIntegerField(_("self-care"), validators=[MaxValueValidator(32)])
    mobility = models.PositiveSmallIntegerField(_("mobility"), validators=[MaxValueValidator(15)])
    mental_state = models.PositiveSmallIntegerField(_("mental state"), validators=[MaxValueValidator(28)])
    perception_social = models.PositiveSmallIntegerField(
        _("perception and social participation"), validators=[MaxValueValidator(15)]
    )
    coma = models.BooleanField(_("coma"), default=False)
    dementia = models.BooleanField(_("dementia"), default=False)
    mental_disorder = models.BooleanField(_("other diagnosed mental disorder"), default=False)
    risk_events_30d = models.PositiveSmallIntegerField(_("care-risk events in 30 days"), default=0)
    preliminary_level = models.PositiveSmallIntegerField(_("preliminary level"), editable=False)
    level = models.PositiveSmallIntegerField(_("ability level"), editable=False)
    reason = models.CharField(_("reason"), max_length=14, choices=AssessmentReason.choices)
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("assessor")
    )
    assessed_on = models.DateField(_("assessed on"))
    next_due_on = models.DateField(_("next due on"))

    class Meta:
        verbose_name = _("ability assessment")
        verbose_name_plural = _("ability assessments")
        ordering = ["elder", "-assessed_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.elder} · {self.assessed_on} · {self.level}"

    @property
    def total(self) -> int:
        return self.self_care + self.mobility + self.mental_state + self.perception_social


class CareStation(models.Model):
    """A care station (养老服务站) serving one or more estates. Its coordinators and workers are
    staff memberships (roles eldercare_coordinator / eldercare_worker) in the estates it serves."""

    estate_path = "estates"

    name = models.CharField(_("name"), max_length=100)
    estates = models.ManyToManyField(Estate, related_name="care_stations", verbose_name=_("estates served"))
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)

    class Meta:
        verbose_name = _("care station")
        verbose_name_plural = _("care stations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ServiceCategory(models.TextChoices):
    MEALS = "meals", _("Meals (助餐)")
    CLEANING = "cleaning", _("Cleaning (助洁)")
    BATHING = "bathing", _("Bathing (助浴)")
    WALKING = "walking", _("Walking aid (助行)")
    MEDICAL_ESCORT = "medical_escort", _("Medical escort (助医)")
    EMERGENCY = "emergency", _("Emergency help (助急)")
    BASIC_CARE = "basic_care", _("Basic care (基础照护)")
    HEALTH = "health", _("Health management (健康管理)")
    VISIT = "visit", _("Visit and care (探访关爱)")
    COMPANY = "company", _("Emotional support (精神慰藉)")
    ERRANDS = "errands", _("Errands (委托代办)")
    HOME_ADAPTATION = "home_adaptation", _("Home adaptation (适老化改造)")
    REMOTE = "remote", _("Remote care (远程照护)")


class ServiceUnit(models.TextChoices):
    VISIT = "visit", _("per visit")
    MEAL = "meal", _("per meal")
    HOUR = "hour", _("per hour")


class ServiceItem(models.Model):
    estate_path = "station__estates"

    station = models.ForeignKey(CareStation, on_delete=models.CASCADE, related_name="items")
    name = models.CharField(_("name"), max_length=100)
    category = models.CharField(_("category"), max_length=20, choices=ServiceCategory.choices)
    unit = models.CharField(
        pgettext_lazy("price", "unit"), max_length=8, choices=ServiceUnit.choices, default=ServiceUnit.VISIT
    )
    price = models.DecimalField(
        _("price (yuan)"), max_digits=8, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    duration_minutes = models.PositiveSmallIntegerField(_("expected duration (minutes)"), default=60)
    min_minutes = models.PositiveSmallIntegerField(
        _("shortest acceptable visit (minutes)"),
        default=0,
        help_text=_("Visits shorter than this go to the coordinator's exception list."),
    )
    eligible_levels = models.JSONField(
        _("eligible ability levels"), default=list, blank=True, help_text=_("Empty: every level.")
    )
    needs_assessment = models.BooleanField(_("needs an assessment"), default=False)
    # Meals: the order cut-off before the slot and the delivery time promised.
    meal_cutoff_hours = models.PositiveSmallIntegerField(_("order cut-off (hours before)"), default=2)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("service item")
        verbose_name_plural = _("service items")
        ordering = ["station", "category", "name"]

    def __str__(self) -> str:
        return self.name


class MealSlot(models.TextChoices):
    BREAKFAST = "breakfast", _("Breakfast")
    LUNCH = "lunch", _("Lunch")
    DINNER = "dinner", _("Dinner")


MEAL_SLOT_TIMES = {
    MealSlot.BREAKFAST: dt.time(7, 30),
    MealSlot.LUNCH: dt.time(11, 30),
    MealSlot.DINNER: dt.time(17, 30),
}


class RecurringPlan(models.Model):
    """ "Lunch every weekday for a month": orders are generated ahead from this plan."""

    estate_path = "elder__estate"

    elder = models.ForeignKey(ElderProfile, on_delete=models.CASCADE, related_name="plans")
    item = models.ForeignKey(ServiceItem, on_delete=models.PROTECT, related_name="+")
    weekdays = models.JSONField(_("weekdays (0 = Monday)"), default=list)
    time_of_day = models.TimeField(_("time"))
    meal_slot = models.CharField(_("meal slot"), max_length=10, choices=MealSlot.choices, blank=True)
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("until"))
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    generated_through = models.DateField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("recurring plan")
        verbose_name_plural = _("recurring plans")

    def __str__(self) -> str:
        return f"{self.elder} · {self.item}"


class BookedVia(models.TextChoices):
    ELDER = "elder", _("The elder")
    FAMILY = "family", _("Family")
    PHONE = "phone", _("Staff, by phone")
    SYSTEM = "system", _("System")


class CheckMethod(models.TextChoices):
    GEO = "geo", _("Location")
    DOOR_CODE = "door_code", _("Door code")
    NONE = "none", _("No location")


class FailOutcome(models.TextChoices):
    NOT_HOME = "not_home", _("Not at home")
    REFUSED = "refused", _("Refused the service")


class SubsidyKind(models.TextChoices):
    FIXED = "fixed", _("Fixed monthly amount")
    PERCENT = "percent", _("Percentage with a monthly cap")


class SubsidyPolicy(models.Model):
    estate_path = "estate"

    estate = models.ForeignKey(Estate, on_delete=models.CASCADE, related_name="+", verbose_name=_("estate"))
    name = models.CharField(_("name"), max_length=100)
    elder_category = models.CharField(_("elder category"), max_length=20, choices=ElderCategory.choices)
    min_level = models.PositiveSmallIntegerField(_("from ability level"), default=0)
    max_level = models.PositiveSmallIntegerField(_("to ability level"), default=4)
    kind = models.CharField(_("kind"), max_length=8, choices=SubsidyKind.choices)
    monthly_amount = models.DecimalField(
        _("monthly amount / cap (yuan)"), max_digits=8, decimal_places=2, validators=[MinValueValidator(0)]
    )
    percent = models.DecimalField(
        _("percentage"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)

    class Meta:
        verbose_name = _("subsidy policy")
        verbose_name_plural = _("subsidy policies")

    def __str__(self) -> str:
        return self.name


class Voucher(models.Model):
    """A month's subsidy of one elder under one policy; what is unused expires at the month's end."""

    estate_path = "elder__estate"

    elder = models.ForeignKey(ElderProfile, on_delete=models.CASCADE, related_name="vouchers")
    policy = models.ForeignKey(SubsidyPolicy, on_delete=models.PROTECT, related_name="vouchers")
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    amount = models.DecimalField(_("amount (yuan)"), max_digits=8, decimal_places=2)
    used = models.DecimalField(_("used (yuan)"), max_digits=8, decimal_places=2, default=Decimal("0.00"))

    class Meta:
        verbose_name = _("voucher")
        verbose_name_plural = _("vouchers")
        constraints = [
            models.UniqueConstraint(fields=["elder", "month"], name="eldercare_one_voucher_per_month"),
            models.CheckConstraint(
                condition=Q(used__lte=models.F("amount")), name="eldercare_voucher_not_overdrawn"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.elder} · {self.month:%Y-%m}"

    @property
    def remaining(self) -> Decimal:
        return self.amount - self.used


class Order(models.Model):
    estate_path = "estate"

    number = models.CharField(_("number"), max_length=24, unique=True)
    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="+", verbose_name=_("estate"))
    station = models.ForeignKey(CareStation, on_delete=models.PROTECT, related_name="orders")
    elder = models.ForeignKey(ElderProfile, on_delete=models.PROTECT, related_name="orders")
    item = models.ForeignKey(ServiceItem, on_delete=models.PROTECT, related_name="orders")
    # None: booked by the platform itself (an escalated alarm's urgent order).
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    booked_via = models.CharField(_("booked via"), max_length=8, choices=BookedVia.choices)
    plan = models.ForeignKey(
        RecurringPlan, on_delete=models.SET_NULL, null=True, blank=True, related_name="orders"
    )
    status = models.CharField(
        _("status"), max_length=12, choices=OrderStatus.choices, default=OrderStatus.PENDING, db_index=True
    )
    urgent = models.BooleanField(_("urgent"), default=False)
    scheduled_at = models.DateTimeField(_("scheduled at"))
    quantity = models.DecimalField(_("quantity"), max_digits=5, decimal_places=2, default=Decimal("1"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    # Meals
    meal_slot = models.CharField(_("meal slot"), max_length=10, choices=MealSlot.choices, blank=True)
    promised_at = models.DateTimeField(_("promised delivery"), null=True, blank=True)
    late_minutes = models.PositiveIntegerField(_("minutes late"), null=True, blank=True)
    # Who and when
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="care_orders",
        verbose_name=_("worker"),
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    en_route_at = models.DateTimeField(null=True, blank=True)
    # The server's clock is the record; what the phone said is kept as a claim.
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    check_in_claimed_at = models.DateTimeField(null=True, blank=True)
    check_in_method = models.CharField(max_length=10, choices=CheckMethod.choices, blank=True)
    check_in_distance_m = models.PositiveIntegerField(null=True, blank=True)
    check_in_accuracy_m = models.PositiveIntegerField(null=True, blank=True)
    check_in_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    check_in_synced_late = models.BooleanField(_("synced late"), default=False)
    checked_out_at = models.DateTimeField(_("checked out at"), null=True, blank=True)
    check_out_claimed_at = models.DateTimeField(null=True, blank=True)
    check_out_method = models.CharField(max_length=10, choices=CheckMethod.choices, blank=True)
    check_out_distance_m = models.PositiveIntegerField(null=True, blank=True)
    check_out_accuracy_m = models.PositiveIntegerField(null=True, blank=True)
    check_out_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    check_out_synced_late = models.BooleanField(_("check-out synced late"), default=False)
    completed_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(
        _("rating"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    rating_comment = models.CharField(_("comment"), max_length=300, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(_("cancel reason"), max_length=300, blank=True)
    fail_outcome = models.CharField(
        _("failed because"), max_length=10, choices=FailOutcome.choices, blank=True
    )
    # Money, fixed at completion.
    price = models.DecimalField(_("price (yuan)"), max_digits=9, decimal_places=2, null=True, blank=True)
    subsidy_amount = models.DecimalField(
        _("subsidy (yuan)"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    self_pay_amount = models.DecimalField(
        _("self-pay (yuan)"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    voucher = models.ForeignKey(
        Voucher, on_delete=models.PROTECT, null=True, blank=True, related_name="orders"
    )
    self_pay_paid_at = models.DateTimeField(_("self-pay paid at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("care order")
        verbose_name_plural = _("care orders")
        ordering = ["scheduled_at", "pk"]
        indexes = [
            models.Index(fields=["estate", "status", "scheduled_at"], name="care_order_open_idx"),
            models.Index(fields=["worker", "scheduled_at"], name="care_order_worker_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "scheduled_at"],
                condition=Q(plan__isnull=False),
                name="eldercare_plan_once_per_time",
            ),
            models.CheckConstraint(
                condition=Q(price__isnull=True)
                | Q(subsidy_amount__isnull=False, self_pay_amount__isnull=False),
                name="eldercare_order_split_complete",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def visit_minutes(self) -> int | None:
        if self.checked_in_at and self.checked_out_at:
            return int((self.checked_out_at - self.checked_in_at).total_seconds() // 60)
        return None


class AlarmKind(models.TextChoices):
    SOS = "sos", _("SOS button")
    FALL = "fall", _("Fall detected")
    SMOKE = "smoke", _("Smoke")
    GAS = "gas", pgettext_lazy("alarm", "Gas")
    WATER = "water", _("Water-meter anomaly")
    WELFARE_CHECK = "welfare_check", _("No sign of life (welfare check)")


class AlarmOutcome(models.TextChoices):
    HANDLED = "handled", _("Handled")
    FALSE_ALARM = "false_alarm", _("False alarm")


class Alarm(models.Model):
    estate_path = "estate"

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="+", verbose_name=_("estate"))
    elder = models.ForeignKey(ElderProfile, on_delete=models.PROTECT, related_name="alarms")
    device = models.ForeignKey(Device, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    device_event_id = models.CharField(_("device event id"), max_length=100, blank=True)
    kind = models.CharField(_("kind"), max_length=14, choices=AlarmKind.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=AlarmStatus.choices, default=AlarmStatus.RAISED, db_index=True
    )
    occurred_at = models.DateTimeField(_("occurred at (device clock)"), null=True, blank=True)
    raised_at = models.DateTimeField(_("raised at"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    on_site_at = models.DateTimeField(_("on site at"), null=True, blank=True)
    on_site_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    urgent_order = models.ForeignKey(
        Order, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField(_("outcome"), max_length=12, choices=AlarmOutcome.choices, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    # Welfare checks: the last sign of life seen (rendered in the reader's language, not stored as text).
    quiet_since = models.DateTimeField(_("no sign of life since"), null=True, blank=True)
    raised_by = models.CharField(_("raised by"), max_length=60)

    class Meta:
        verbose_name = _("alarm")
        verbose_name_plural = _("alarms")
        ordering = ["-raised_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["device", "device_event_id"],
                condition=Q(device__isnull=False),
                name="eldercare_alarm_once_per_device_event",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.elder}"
