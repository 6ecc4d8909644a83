"""Care orders and the recurring plans that generate them."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from community.residents.models import Estate

from ..transitions import OrderStatus
from .catalog import CareStation, MealSlot, ServiceItem
from .elders import ElderProfile
from .subsidies import Voucher


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
