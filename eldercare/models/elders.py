"""Elders: profiles, emergency contacts, consent per data category, ability assessments, and
the per-estate eldercare settings.

Health data (the assessment, care notes' medical parts) and movement traces are sensitive
personal information (PIPL Art. 28): services check the elder's consent before storing them.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from access.models import Device
from community.residents.models import Estate, Resident


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
