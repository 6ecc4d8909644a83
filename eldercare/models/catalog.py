"""The catalog: care stations and the service items each offers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from community.residents.models import Estate


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
