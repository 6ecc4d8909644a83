"""Subsidy policies and the monthly vouchers drawn on at each order's completion."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from community.residents.models import Estate

from .elders import ElderCategory, ElderProfile


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
