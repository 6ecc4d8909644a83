"""Remote-care alarms: raised by a device, a job (welfare check) or a person; one row per
device event."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from access.models import Device
from community.residents.models import Estate

from ..transitions import AlarmStatus
from .elders import ElderProfile
from .orders import Order


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
