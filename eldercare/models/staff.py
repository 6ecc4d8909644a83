"""The care staff side: the coordinators' duty roster, the workers' last reported positions,
and the audit of catalog and subsidy changes made by staff."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from community.residents.models import Estate


class DutyShift(models.Model):
    """One coordinator on duty for one estate over the half-open interval [starts_at, ends_at).

    Alarms are told to whoever is on duty when they are raised and when they escalate; shifts
    of different coordinators may overlap (two on duty), one coordinator's may not."""

    estate_path = "estate"

    estate = models.ForeignKey(Estate, on_delete=models.CASCADE, related_name="+", verbose_name=_("estate"))
    coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="care_duty_shifts",
        verbose_name=pgettext_lazy("care duty", "coordinator"),
    )
    starts_at = models.DateTimeField(_("on duty from"))
    ends_at = models.DateTimeField(_("on duty until"))
    note = models.CharField(pgettext_lazy("care duty", "note"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("duty shift")
        verbose_name_plural = _("duty roster")
        ordering = ["estate", "starts_at", "pk"]
        indexes = [models.Index(fields=["estate", "starts_at", "ends_at"], name="care_duty_at_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="eldercare_duty_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.coordinator} · {self.starts_at:%Y-%m-%d %H:%M}"


class WorkerPosition(models.Model):
    """A care worker's last reported position, kept only while the worker shares it.

    Sharing is the worker's own choice (PIPL: a position is personal information); stopping
    erases the position. Only the latest report is kept: a trace of movements is not needed to
    suggest the nearest worker, so none is stored."""

    worker = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="care_position"
    )
    sharing = models.BooleanField(_("shares position"), default=False)
    sharing_changed_at = models.DateTimeField(_("choice made at"))
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    accuracy_m = models.PositiveIntegerField(null=True, blank=True)
    reported_at = models.DateTimeField(_("reported at"), null=True, blank=True)

    class Meta:
        verbose_name = _("worker position")
        verbose_name_plural = _("worker positions")
        constraints = [
            models.CheckConstraint(
                condition=Q(sharing=True) | Q(latitude__isnull=True, longitude__isnull=True),
                name="eldercare_position_only_when_shared",
            )
        ]

    def __str__(self) -> str:
        return str(self.worker)


class CareAudit(models.Model):
    """Who changed the catalog, a station, a subsidy policy, the settings or the roster, and what."""

    estate_path = "estates"

    at = models.DateTimeField(pgettext_lazy("care audit", "at"), auto_now_add=True, db_index=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=pgettext_lazy("care audit", "by"),
    )
    action = models.CharField(pgettext_lazy("care audit", "action"), max_length=40)
    object_type = models.CharField(pgettext_lazy("care audit", "record type"), max_length=40)
    object_id = models.PositiveBigIntegerField(pgettext_lazy("care audit", "record id"))
    object_repr = models.CharField(pgettext_lazy("care audit", "record"), max_length=200)
    changes = models.JSONField(pgettext_lazy("care audit", "changes"), default=dict, blank=True)
    estates = models.ManyToManyField(
        Estate, related_name="+", verbose_name=pgettext_lazy("care audit", "estates")
    )

    class Meta:
        verbose_name = _("eldercare audit entry")
        verbose_name_plural = _("eldercare audit")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.action} · {self.object_repr}"
