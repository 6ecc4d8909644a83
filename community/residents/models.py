"""Estates, buildings, units, the people who live there and the staff who serve them.

Every staff-visible model reaches an Estate through a declared path (``estate_path``), which
``community.scoping`` uses to filter every staff query.

About 400 lines on purpose: one module holds the app's models (Django's convention; the
migrations' autodetector and every reader look in one place), and each class is small.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from community.accounts.roles import StaffRole


class Estate(models.Model):
    estate_path = "id"

    name = models.CharField(_("name"), max_length=100)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(-90)), MaxValueValidator(Decimal(90))],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(-180)), MaxValueValidator(Decimal(180))],
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("estate")
        verbose_name_plural = _("estates")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Building(models.Model):
    estate_path = "estate"

    estate = models.ForeignKey(
        Estate, on_delete=models.PROTECT, related_name="buildings", verbose_name=_("estate")
    )
    name = models.CharField(_("name"), max_length=50, help_text=_("e.g. 3栋"))
    floors = models.PositiveSmallIntegerField(_("floors above ground"), null=True, blank=True)

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["estate", "name"]
        constraints = [
            models.UniqueConstraint(fields=["estate", "name"], name="building_unique_name_per_estate")
        ]

    def __str__(self) -> str:
        return f"{self.estate.name} {self.name}" if self._state.fields_cache.get("estate") else self.name


class AreaSource(models.TextChoices):
    REGISTER = "register", _("Property register (不动产登记簿)")
    SURVEY = "survey", _("Surveyed area")
    CONTRACT = "contract", _("Contract area")


class UnitUsage(models.TextChoices):
    RESIDENTIAL = "residential", _("Residential")
    COMMERCIAL = "commercial", _("Commercial")
    PARKING = "parking", _("Parking space")


class Unit(models.Model):
    """One exclusive part (专有部分): a flat, a shop or a parking space."""

    estate_path = "building__estate"

    building = models.ForeignKey(
        Building, on_delete=models.PROTECT, related_name="units", verbose_name=_("building")
    )
    entrance = models.CharField(_("entrance (单元)"), max_length=20, blank=True, default="")
    floor = models.SmallIntegerField(_("floor"))
    number = models.CharField(_("number"), max_length=20)
    exclusive_area = models.DecimalField(
        _("exclusive area (m²)"), max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal(0))]
    )
    area_source = models.CharField(
        _("area source"), max_length=10, choices=AreaSource.choices, default=AreaSource.REGISTER
    )
    # 建筑面积 (exclusive area plus the unit's share of common areas): what property fees are
    # usually charged on. Votes never use it; empty where the register does not give it.
    built_up_area = models.DecimalField(
        _("built-up area (m²)"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
    )
    usage = models.CharField(
        _("usage"), max_length=12, choices=UnitUsage.choices, default=UnitUsage.RESIDENTIAL
    )
    # Units still held by the developer (unsold) count together as one owner in votes.
    developer_owned = models.BooleanField(_("held by the developer"), default=False)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["building", "entrance", "floor", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["building", "entrance", "number"], name="unit_unique_number_per_building"
            ),
            models.CheckConstraint(condition=Q(exclusive_area__gte=0), name="unit_area_not_negative"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        building = self.building.name if self._state.fields_cache.get("building") else str(self.building_id)
        entrance = f"{self.entrance}单元-" if self.entrance else ""
        return f"{building}-{entrance}{self.number}"


class Resident(models.Model):
    """A person known to one estate's office. A person in two estates has two records."""

    estate_path = "estate"

    estate = models.ForeignKey(
        Estate, on_delete=models.PROTECT, related_name="residents", verbose_name=_("estate")
    )
    name = models.CharField(_("name"), max_length=100)
    phone = PhoneNumberField(_("mobile phone"), region="CN", blank=True)
    id_number = models.CharField(_("ID number"), max_length=32, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="resident_records",
        verbose_name=_("login account"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["estate", "phone"], condition=~Q(phone=""), name="resident_unique_phone_per_estate"
            ),
            models.UniqueConstraint(
                fields=["estate", "user"],
                condition=Q(user__isnull=False),
                name="resident_unique_user_per_estate",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def masked_phone(self) -> str:
        return mask_phone(str(self.phone) if self.phone else "")


def normalise_id_number(value: str | None) -> str:
    """The canonical form of an ID number, the first key of a person's identity (the voting roll,
    the importer): full-width characters folded, spaces dropped, the check letter X upper-case."""
    folded = unicodedata.normalize("NFKC", value or "")
    return "".join(folded.split()).upper()


def mask_id_number(value: str) -> str:
    """Keep the first 3 and last 4 characters, as Chinese services print ID numbers."""
    if not value:
        return ""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***: the surname stays, as notices and certificates print names."""
    value = (value or "").strip()
    return value[:1] + "*" * (len(value) - 1) if len(value) > 1 else value


def mask_phone(value: str) -> str:
    digits = value.removeprefix("+86")
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "****" + digits[-4:]


class OccupancyRole(models.TextChoices):
    OWNER = "owner", _("Owner")
    CO_OWNER = "co_owner", _("Co-owner")
    FAMILY = "family", _("Family member")
    TENANT = "tenant", _("Tenant")


def current_q(on: dt.date, prefix: str = "") -> Q:
    """An occupancy is current on ``on`` when ``on`` lies in the half-open ``[start_date, end_date)``.

    The end date is the hand-over or transfer day: the first day the person no longer lives
    there (issue #11). On move-out day the leaver has no home here any more; the buyer does.
    """
    return Q(**{f"{prefix}start_date__lte": on}) & (
        Q(**{f"{prefix}end_date__isnull": True}) | Q(**{f"{prefix}end_date__gt": on})
    )


class OccupancyQuerySet(models.QuerySet):
    def active(self, on: dt.date | None = None) -> OccupancyQuerySet:
        return self.filter(current_q(on or timezone.localdate()))


class Occupancy(models.Model):
    """A resident's tie to a unit. Ended by setting end_date, never deleted, so history stays."""

    estate_path = "unit__building__estate"

    resident = models.ForeignKey(
        Resident, on_delete=models.CASCADE, related_name="occupancies", verbose_name=_("resident")
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="occupancies", verbose_name=_("unit")
    )
    role = models.CharField(_("role"), max_length=10, choices=OccupancyRole.choices)
    start_date = models.DateField(_("start date"), default=dt.date.today)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    is_primary_contact = models.BooleanField(_("primary contact"), default=False)
    # Who entered the move-out, and when its consequences (credentials, visitor passes) ran:
    # at once for an end date today or past, on that day (occupancies_end_due) for a future one.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entered by"),
    )
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("move-out entered by"),
    )
    # Who last changed the role, start date or primary-contact flag (occupancy_update).
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("last changed by"),
    )
    move_out_done_at = models.DateTimeField(_("move-out processed at"), null=True, blank=True)

    objects = OccupancyQuerySet.as_manager()

    class Meta:
        verbose_name = _("occupancy")
        verbose_name_plural = _("occupancies")
        ordering = ["unit", "role", "resident"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="occupancy_end_not_before_start",
            ),
            # "Active" in the database is "not ended": an occupancy is ended by setting end_date.
            models.UniqueConstraint(
                fields=["unit"],
                condition=Q(is_primary_contact=True, end_date__isnull=True),
                name="occupancy_one_primary_contact_per_unit",
            ),
            models.UniqueConstraint(
                fields=["resident", "unit"],
                condition=Q(end_date__isnull=True),
                name="occupancy_one_open_tie_per_resident_unit",
            ),
        ]
        indexes = [models.Index(fields=["unit", "end_date"])]

    def __str__(self) -> str:
        return f"{self.resident_id}@{self.unit_id} ({self.get_role_display()})"

    def is_current(self, on: dt.date | None = None) -> bool:
        """The same half-open rule as ``current_q``, for one loaded row."""
        on = on or timezone.localdate()
        return self.start_date <= on and (self.end_date is None or self.end_date > on)

    @property
    def is_owner(self) -> bool:
        return self.role in (OccupancyRole.OWNER, OccupancyRole.CO_OWNER)


class StaffMembership(models.Model):
    estate_path = "estate"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="staff_memberships",
        verbose_name=_("user"),
    )
    estate = models.ForeignKey(
        Estate, on_delete=models.CASCADE, related_name="staff_memberships", verbose_name=_("estate")
    )
    role = models.CharField(_("role"), max_length=24, choices=StaffRole.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("granted by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("staff membership")
        verbose_name_plural = _("staff memberships")
        ordering = ["estate", "role", "user"]
        constraints = [
            models.UniqueConstraint(fields=["user", "estate", "role"], name="staffmembership_unique_role"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"


class AnnouncementQuerySet(models.QuerySet):
    def current(self, at: dt.datetime | None = None) -> AnnouncementQuerySet:
        at = at or timezone.now()
        return self.filter(Q(publish_at__lte=at) & (Q(expires_at__isnull=True) | Q(expires_at__gt=at)))


class Announcement(models.Model):
    estate_path = "estate"

    estate = models.ForeignKey(
        Estate, on_delete=models.CASCADE, related_name="announcements", verbose_name=_("estate")
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"))
    pinned = models.BooleanField(_("pinned"), default=False)
    publish_at = models.DateTimeField(_("publish at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("last changed by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = AnnouncementQuerySet.as_manager()

    class Meta:
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")
        ordering = ["-pinned", "-publish_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__isnull=True) | Q(expires_at__gt=models.F("publish_at")),
                name="announcement_expires_after_publish",
            ),
        ]
        indexes = [models.Index(fields=["estate", "publish_at"])]

    def __str__(self) -> str:
        return self.title
