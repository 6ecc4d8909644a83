"""The one money ledger: charge items and tariffs, bills and their lines, payments and what
providers told us about them, the prepaid balance, receipts, meters and their readings.

Money is Decimal yuan with 2 places. A bill's total is the sum of its lines, and a bill is
never edited once issued: corrections are further lines with a reason. What a bill has been
paid is the sum of its allocations (from a payment or from the prepaid balance).

Why one module of this length: the models are one web of foreign keys and constraints that
hold the ledger's invariants together (a bill's allocations, the payment that made them, the
prepaid entry, the receipt, the provider's notification and statement row that prove it), and
a reader checking an invariant needs them side by side. The code around them is split by job
instead (``services/`` by write, ``providers/`` by wire format, ``calc`` for the maths). In
order: charges (items, tariffs, assignments, bills, lines, numbering), payments (merchants,
payments, allocations, prepaid entries, refunds, receipts, notifications), late fees, meters
and readings, reminders and fapiao, provider statements, smart-meter gateways and pushes.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .transitions import PaymentStatus

ZERO = Decimal("0.00")


def money_field(verbose_name, **kwargs):
    return models.DecimalField(verbose_name, max_digits=12, decimal_places=2, **kwargs)


class ItemType(models.TextChoices):
    PROPERTY_FEE = "property_fee", _("Property service fee (物业费)")
    SHARED_UTILITIES = "shared_utilities", _("Shared utilities (公摊水电)")
    WATER = "water", _("Water")
    ELECTRICITY = "electricity", _("Electricity")
    GAS = "gas", pgettext_lazy("fee", "Gas")
    GARBAGE = "garbage", _("Garbage disposal")
    PARKING_MANAGEMENT = "parking_management", _("Parking space management fee")
    PARKING = "parking", _("Parking fee")
    ELDERCARE = "eldercare", _("Eldercare service")
    OTHER = "other", _("Other")


class Basis(models.TextChoices):
    EXCLUSIVE_AREA = "exclusive_area", _("Exclusive area (m²)")
    BUILT_UP_AREA = "built_up_area", _("Built-up area (m²)")
    FIXED = "fixed", _("Fixed per period")
    METERED = "metered", _("Metered use")
    SHARED = "shared", _("Shared (公摊) by area")
    PER_SPACE = "per_space", _("Per parking space")


class ShareBy(models.TextChoices):
    AREA = "area", _("Exclusive area")
    SUB_METER = "sub_meter", _("Sub-meter use")


class Cycle(models.TextChoices):
    MONTH = "month", pgettext_lazy("billing cycle", "Monthly")
    QUARTER = "quarter", _("Quarterly")
    YEAR = "year", pgettext_lazy("billing cycle", "Yearly")


class ChargeItem(models.Model):
    """What an estate charges for (物业费, 水费 …) and how the quantity is measured."""

    estate_path = "estate"

    estate = models.ForeignKey(
        "residents.Estate", on_delete=models.PROTECT, related_name="charge_items", verbose_name=_("estate")
    )
    name = models.CharField(_("name"), max_length=60)
    item_type = models.CharField(_("type"), max_length=24, choices=ItemType.choices)
    basis = models.CharField(_("basis"), max_length=20, choices=Basis.choices, default=Basis.EXCLUSIVE_AREA)
    cycle = models.CharField(_("billing cycle"), max_length=10, choices=Cycle.choices, default=Cycle.MONTH)
    prepaid = models.BooleanField(
        _("billed in advance"),
        default=False,
        help_text=_("Billed at the start of the period, else after it."),
    )
    due_days = models.PositiveSmallIntegerField(_("days to pay"), default=30)
    vacancy_rate = models.DecimalField(
        _("vacant unit rate"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("1.000"),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
        help_text=_("Share of the charge a vacant (空置) unit pays, e.g. 0.700."),
    )
    prepay_discount_rate = models.DecimalField(
        _("prepay discount"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.000"),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal("0.5"))],
        help_text=_("Share taken off a quarter's or year's charge billed in advance, e.g. 0.050 (预缴优惠)."),
    )
    payable_from_prepaid = models.BooleanField(_("payable from the prepaid balance"), default=True)
    shared_meter = models.ForeignKey(
        "Meter",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("shared (公摊) meter"),
        help_text=_("Shared basis: the meter whose use is split among the units; empty: a price per m²."),
    )
    share_by = models.CharField(
        _("split by"), max_length=12, choices=ShareBy.choices, default="area", blank=True
    )
    reading_window_days = models.PositiveSmallIntegerField(
        _("reading window (days)"),
        default=0,
        validators=[MaxValueValidator(15)],
        help_text=_(
            "Metered items: readings dated up to this many days after a period ends count for it "
            "(late meter reports), and the period is billed once that window has closed."
        ),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("charge item")
        verbose_name_plural = _("charge items")
        ordering = ["estate", "name"]
        constraints = [
            models.UniqueConstraint(fields=["estate", "name"], name="billing_item_unique_name_per_estate"),
        ]

    def __str__(self) -> str:
        return self.name


class Tariff(models.Model):
    """One price version of an item; a period is billed at the version in force on its first day."""

    estate_path = "item__estate"

    item = models.ForeignKey(
        ChargeItem, on_delete=models.CASCADE, related_name="tariffs", verbose_name=_("item")
    )
    unit_price = models.DecimalField(
        _("unit price (yuan)"),
        max_digits=12,
        decimal_places=4,
        validators=[MinValueValidator(Decimal(0))],
        help_text=_("Per m² per month, per period, or per unit of metered use, by the item's basis."),
    )
    effective_from = models.DateField(_("effective from"))

    class Meta:
        verbose_name = _("tariff")
        verbose_name_plural = _("tariffs")
        ordering = ["item", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["item", "effective_from"], name="billing_tariff_one_per_day"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="billing_tariff_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} {self.unit_price} @ {self.effective_from}"


class HouseholdAccount(models.Model):
    """A household account (户) that pays for several units together, e.g. a flat and its
    parking space, or a company renting several shops. Each unit is in at most one account."""

    estate_path = "estate"

    estate = models.ForeignKey(
        "residents.Estate", on_delete=models.PROTECT, related_name="household_accounts"
    )
    name = models.CharField(_("name"), max_length=100)
    units = models.ManyToManyField(
        "residents.Unit",
        through="HouseholdAccountUnit",
        related_name="household_accounts",
        verbose_name=_("units"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.CharField(_("created by"), max_length=80)

    class Meta:
        verbose_name = _("household account")
        verbose_name_plural = _("household accounts")
        ordering = ["estate", "name"]

    def __str__(self) -> str:
        return self.name


class HouseholdAccountUnit(models.Model):
    estate_path = "account__estate"

    account = models.ForeignKey(HouseholdAccount, on_delete=models.CASCADE, related_name="memberships")
    unit = models.OneToOneField(
        "residents.Unit", on_delete=models.PROTECT, related_name="household_account_link"
    )

    def __str__(self) -> str:
        return f"{self.account_id}:{self.unit_id}"


class Assignment(models.Model):
    """An item charged to a payer from a start date: a unit (flat, shop or titled parking
    space) or a household account (the quantity then comes from all its units)."""

    estate_path = "item__estate"

    item = models.ForeignKey(
        ChargeItem, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("item")
    )
    unit = models.ForeignKey(
        "residents.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="charge_assignments",
        verbose_name=_("unit"),
    )
    account = models.ForeignKey(
        HouseholdAccount,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assignments",
        verbose_name=_("household account"),
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True, help_text=_("First day not charged."))
    vacant = models.BooleanField(_("vacant (空置)"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["item", "unit"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gt=models.F("start_date")),
                name="billing_assignment_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(unit__isnull=False, account__isnull=True)
                | Q(unit__isnull=True, account__isnull=False),
                name="billing_assignment_one_payer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}→{self.unit_id or f'account {self.account_id}'}"


class BillStatus(models.TextChoices):
    ISSUED = "issued", _("Issued")
    PARTIALLY_PAID = "partially_paid", _("Partially paid")
    PAID = "paid", _("Paid")
    CREDITED = "credited", _("Credited in full")


class BillQuerySet(models.QuerySet):
    def open(self) -> BillQuerySet:
        return self.filter(status__in=[BillStatus.ISSUED, BillStatus.PARTIALLY_PAID])


class Bill(models.Model):
    """A demand for money (账单), issued once. Its lines never change; corrections add lines."""

    estate_path = "estate"

    # FK indexes that a composite index below already covers are left out: the bill run
    # writes tens of thousands of rows, and every index is paid for on each one.
    estate = models.ForeignKey(
        "residents.Estate",
        on_delete=models.PROTECT,
        related_name="bills",
        verbose_name=_("estate"),
        db_index=False,
    )
    number = models.CharField(_("number"), max_length=32)
    payer_unit = models.ForeignKey(
        "residents.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bills",
        verbose_name=_("payer unit"),
        db_index=False,
        help_text=_("Empty for a walk-in payer (a temporary car at the car-park exit)."),
    )
    payer_account = models.ForeignKey(
        HouseholdAccount,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bills",
        verbose_name=_("payer household account"),
    )
    item_type = models.CharField(_("type"), max_length=24, choices=ItemType.choices)
    assignment = models.ForeignKey(
        Assignment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bills",
        verbose_name=_("assignment"),
        db_index=False,
    )
    period_start = models.DateField(_("period start"), null=True, blank=True)
    period_end = models.DateField(
        _("period end"), null=True, blank=True, help_text=_("First day not covered.")
    )
    # Another app's charge (parking session, eldercare order) by reference: billing imports none of them.
    source = models.CharField(_("source"), max_length=40, blank=True, default="")
    source_ref = models.CharField(_("source reference"), max_length=80, blank=True, default="")
    description = models.CharField(_("description"), max_length=200, blank=True, default="")
    status = models.CharField(
        _("status"), max_length=16, choices=BillStatus.choices, default=BillStatus.ISSUED
    )
    total = money_field(_("total"), default=ZERO)
    amount_paid = money_field(_("amount paid"), default=ZERO)
    due_date = models.DateField(_("due date"))
    disputed = models.BooleanField(_("disputed"), default=False, help_text=_("A dispute stops reminders."))
    issued_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    issued_by = models.CharField(_("issued by"), max_length=80)

    objects = BillQuerySet.as_manager()

    class Meta:
        verbose_name = _("bill")
        verbose_name_plural = _("bills")
        ordering = ["-period_start", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["estate", "number"], name="billing_bill_unique_number_per_estate"
            ),
            # The bill run's idempotency: one bill per assignment and period, whoever runs it.
            models.UniqueConstraint(
                fields=["assignment", "period_start"],
                condition=Q(assignment__isnull=False),
                name="billing_bill_once_per_assignment_period",
            ),
            models.UniqueConstraint(
                fields=["source", "source_ref"],
                condition=~Q(source=""),
                name="billing_bill_once_per_source_ref",
            ),
            models.CheckConstraint(condition=Q(amount_paid__gte=0), name="billing_bill_paid_not_negative"),
        ]
        indexes = [
            models.Index(fields=["payer_unit", "status"]),
            models.Index(fields=["estate", "status", "due_date"]),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def amount_due(self) -> Decimal:
        return max(self.total - self.amount_paid, ZERO)

    @property
    def is_open(self) -> bool:
        return self.status in (BillStatus.ISSUED, BillStatus.PARTIALLY_PAID)


class LineKind(models.TextChoices):
    CHARGE = "charge", _("Charge")
    VACANCY = "vacancy", _("Vacancy discount")
    PREPAY_DISCOUNT = "prepay_discount", _("Prepay discount")
    ADJUSTMENT = "adjustment", _("Adjustment")
    CREDIT = "credit", _("Credit")
    LATE_FEE = "late_fee", _("Late fee (违约金)")
    LATE_FEE_WAIVER = "late_fee_waiver", _("Late fee waived")


class BillLine(models.Model):
    """quantity × unit price = amount, rounded to the fen per line."""

    estate_path = "bill__estate"

    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, related_name="lines", verbose_name=_("bill"))
    kind = models.CharField(_("kind"), max_length=16, choices=LineKind.choices, default=LineKind.CHARGE)
    description = models.CharField(_("description"), max_length=200)
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=4, default=Decimal(1))
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=4)
    amount = money_field(_("amount"))
    reason = models.CharField(_("reason"), max_length=200, blank=True, default="")
    # For late fees: the date the fee was computed as of (one late-fee line per bill and date).
    as_of = models.DateField(_("as of"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.CharField(_("created by"), max_length=80)

    class Meta:
        verbose_name = _("bill line")
        verbose_name_plural = _("bill lines")
        ordering = ["bill", "id"]

    def __str__(self) -> str:
        return f"{self.description} {self.amount}"

    @property
    def quantity_display(self) -> str:
        """89.5, not 89.5000: the stored precision is for the arithmetic, not for the reader."""
        return _plain(self.quantity)

    @property
    def unit_price_display(self) -> str:
        return _plain(self.unit_price)


def _plain(value: Decimal) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


class Sequence(models.Model):
    """Per-estate counters for bill and receipt numbers; taken under a row lock, so a rolled
    back transaction gives its number back and receipt numbers have no gaps."""

    estate = models.ForeignKey("residents.Estate", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16)
    last = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["estate", "kind"], name="billing_sequence_unique")]

    def __str__(self) -> str:
        return f"{self.kind}@{self.estate_id}: {self.last}"


class Provider(models.TextChoices):
    WECHATPAY = "wechatpay", _("WeChat Pay")
    ALIPAY = "alipay", _("Alipay")
    DEMO = "demo", _("Demo (WeChat Pay format)")
    OFFLINE = "offline", _("Offline (cash, transfer, POS)")


class Merchant(models.Model):
    """A merchant account at a provider, addressed by ``code`` in the notification URL.

    WeChat Pay: the APIv3 key decrypts notifications; ``platform_keys`` maps each serial
    (a platform certificate's serial, or ``PUB_KEY_ID_…`` in public-key mode) to its PEM
    (certificate or public key). Alipay: ``app_id``, ``seller_id`` and Alipay's public key.
    """

    estate_path = "estate"

    code = models.SlugField(_("code"), max_length=40, unique=True)
    # Empty for the platform's demo merchant, which serves every estate in the embedded mode.
    estate = models.ForeignKey(
        "residents.Estate",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merchants",
        verbose_name=_("estate"),
    )
    provider = models.CharField(pgettext_lazy("payment", "provider"), max_length=12, choices=Provider.choices)
    app_id = models.CharField(_("app id"), max_length=64, blank=True, default="")
    mch_id = models.CharField(_("merchant id / seller id"), max_length=64, blank=True, default="")
    api_v3_key = models.CharField(_("APIv3 key"), max_length=32, blank=True, default="")
    platform_keys = models.JSONField(_("platform keys by serial"), default=dict, blank=True)
    alipay_public_key = models.TextField(_("Alipay public key (PEM)"), blank=True, default="")
    is_demo = models.BooleanField(_("demo merchant"), default=False)
    # For live calls (start, query, refund, statements). The private key stays on the server's
    # disk, never in the database: only its path is kept here.
    api_base = models.URLField(
        _("API base URL"),
        blank=True,
        default="",
        help_text=_("Empty: the provider's production endpoint. Set it for a sandbox."),
    )
    merchant_serial = models.CharField(
        _("merchant certificate serial"),
        max_length=64,
        blank=True,
        default="",
        help_text=_("WeChat Pay: the serial of the merchant API certificate that signs requests."),
    )
    private_key_path = models.CharField(
        _("private key file"),
        max_length=255,
        blank=True,
        default="",
        help_text=_(
            "Path on the server of the PEM key that signs requests (WeChat merchant key, Alipay app key)."
        ),
    )

    class Meta:
        verbose_name = _("merchant account")
        verbose_name_plural = _("merchant accounts")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class Channel(models.TextChoices):
    NONE = "", _("—")
    JSAPI = "jsapi", _("In WeChat (JSAPI)")
    H5 = "h5", _("Mobile browser (H5)")
    NATIVE = "native", _("QR code (Native)")
    APP = "app", _("App")
    CASH = "cash", _("Cash")
    TRANSFER = "transfer", _("Bank transfer")
    POS = "pos", _("POS terminal")


class Payment(models.Model):
    """Money a payer sends for some bills (or a top-up), through one provider."""

    estate_path = "estate"

    estate = models.ForeignKey(
        "residents.Estate", on_delete=models.PROTECT, related_name="payments", verbose_name=_("estate")
    )
    out_trade_no = models.CharField(_("out trade no"), max_length=32, unique=True)
    provider = models.CharField(pgettext_lazy("payment", "provider"), max_length=12, choices=Provider.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, blank=True, default="")
    merchant = models.ForeignKey(
        Merchant,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
        verbose_name=_("merchant"),
    )
    payer_unit = models.ForeignKey(
        "residents.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
        verbose_name=_("payer unit"),
    )
    # Set where the payment pays a household account's bills or tops up its balance: what it
    # pays beyond the bills goes to the account's prepaid balance.
    payer_account = models.ForeignKey(
        HouseholdAccount,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
        verbose_name=_("payer household account"),
    )
    bills = models.ManyToManyField(Bill, related_name="payments", blank=True, verbose_name=_("bills"))
    amount = money_field(_("amount"))
    refunded_amount = money_field(_("refunded"), default=ZERO)
    # Money this payment brought beyond its bills where the payer has no prepaid balance to
    # hold it (a walk-in whose bill someone else settled meanwhile): staff refund it. A field of
    # its own, not a note, so the amount is never cut off and a refund can take it back.
    unallocated_amount = money_field(
        _("not allocated"),
        default=ZERO,
        help_text=_("Paid beyond its bills by a payer with no prepaid balance: to be refunded."),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.CREATED
    )
    provider_transaction_id = models.CharField(
        _("provider transaction id"), max_length=64, blank=True, default=""
    )
    provider_params = models.JSONField(_("provider parameters"), default=dict, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True, default="")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.CharField(_("created by"), max_length=80)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_transaction_id"],
                condition=~Q(provider_transaction_id=""),
                name="billing_payment_unique_transaction_per_provider",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="billing_payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0) & Q(refunded_amount__lte=models.F("amount")),
                name="billing_payment_refund_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(payer_unit__isnull=True) | Q(payer_account__isnull=True),
                name="billing_payment_at_most_one_payer",
            ),
            models.CheckConstraint(
                condition=Q(unallocated_amount__gte=0) & Q(unallocated_amount__lte=models.F("amount")),
                name="billing_payment_unallocated_within_amount",
            ),
        ]
        indexes = [models.Index(fields=["estate", "status", "paid_at"])]

    def __str__(self) -> str:
        return self.out_trade_no

    @property
    def amount_fen(self) -> int:
        return int(self.amount * 100)


class Allocation(models.Model):
    """Part of a bill settled, by a payment or by the prepaid balance (negative: a refund)."""

    estate_path = "bill__estate"

    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, related_name="allocations")
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="allocations"
    )
    prepaid_entry = models.OneToOneField(
        "PrepaidEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="allocation"
    )
    amount = money_field(_("amount"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        constraints = [
            models.CheckConstraint(
                condition=Q(payment__isnull=False) | Q(prepaid_entry__isnull=False),
                name="billing_allocation_has_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bill_id}: {self.amount}"


class PrepaidKind(models.TextChoices):
    TOP_UP = "top_up", _("Top-up")
    OVERPAYMENT = "overpayment", _("Overpayment")
    APPLIED = "applied", _("Applied to a bill")
    REFUND = "refund", _("Refunded")
    TRANSFER = "transfer", _("Transferred between balances")


class PrepaidEntry(models.Model):
    """One movement of a payer's prepaid balance (预存款), a unit's or a household account's
    (exactly one of them); the balance is the sum of the payer's entries. Movements of one
    payer queue on the payer's row (``ledger.lock_payers``), so the sum never goes negative."""

    # The estate is stored (not followed through the payer) so that an account's entries are
    # scoped like a unit's, and the bill run sums an estate's balances without a join.
    estate_path = "estate"

    estate = models.ForeignKey(
        "residents.Estate", on_delete=models.PROTECT, related_name="+", verbose_name=_("estate")
    )
    unit = models.ForeignKey(
        "residents.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="prepaid_entries",
        verbose_name=_("unit"),
    )
    account = models.ForeignKey(
        HouseholdAccount,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="prepaid_entries",
        verbose_name=_("household account"),
        db_index=False,  # the (account, created_at) index below serves it
    )
    kind = models.CharField(_("kind"), max_length=12, choices=PrepaidKind.choices)
    amount = money_field(_("amount"))
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="prepaid_entries"
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True, default="")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.CharField(_("created by"), max_length=80)

    class Meta:
        verbose_name = _("prepaid balance entry")
        verbose_name_plural = _("prepaid balance entries")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["unit", "created_at"]),
            models.Index(fields=["account", "created_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(unit__isnull=False, account__isnull=True)
                | Q(unit__isnull=True, account__isnull=False),
                name="billing_prepaid_entry_one_payer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"


class RefundState(models.TextChoices):
    LEDGER_ONLY = "ledger_only", _("Recorded (money returned by hand)")
    REQUESTED = "requested", _("Asked of the provider")
    PROCESSING = "processing", _("Provider is processing")
    SUCCEEDED = "succeeded", _("Returned by the provider")
    FAILED = "failed", _("Provider refused (flagged)")


class Refund(models.Model):
    """Money given back. The ledger is undone when staff refund; ``provider_state`` says what
    the provider did with the request sent after the commit."""

    estate_path = "payment__estate"

    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("payment")
    )
    out_refund_no = models.CharField(_("refund number"), max_length=32, unique=True)
    amount = money_field(_("amount"))
    reason = models.CharField(_("reason"), max_length=200)
    provider_state = models.CharField(
        _("provider state"), max_length=12, choices=RefundState.choices, default=RefundState.LEDGER_ONLY
    )
    provider_refund_id = models.CharField(_("provider refund id"), max_length=64, blank=True, default="")
    provider_detail = models.CharField(_("provider detail"), max_length=300, blank=True, default="")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.CharField(_("created by"), max_length=80)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="billing_refund_amount_positive")
        ]

    def __str__(self) -> str:
        return self.out_refund_no


class Receipt(models.Model):
    """A receipt (收据) for money received, numbered per estate without gaps."""

    estate_path = "estate"

    estate = models.ForeignKey("residents.Estate", on_delete=models.PROTECT, related_name="receipts")
    number = models.PositiveIntegerField(_("number"))
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="receipt")
    issued_at = models.DateTimeField(_("issued at"), auto_now_add=True)

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        ordering = ["estate", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["estate", "number"], name="billing_receipt_unique_number")
        ]

    def __str__(self) -> str:
        return self.display_number

    @property
    def display_number(self) -> str:
        return f"SJ{self.number:08d}"


class NotificationOutcome(models.TextChoices):
    RECEIVED = "received", _("Received")
    APPLIED = "applied", _("Applied")
    DUPLICATE = "duplicate", _("Already applied")
    AMOUNT_MISMATCH = "amount_mismatch", _("Amount does not match (flagged)")
    UNKNOWN_TRADE = "unknown_trade", _("Unknown trade (flagged)")
    IGNORED = "ignored", _("Not a payment success")
    BAD_SIGNATURE = "bad_signature", _("Bad signature")
    UNDECRYPTABLE = "undecryptable", _("Could not be decrypted")
    REJECTED = "rejected", _("Rejected")


class PaymentNotification(models.Model):
    """A provider's notification, kept raw exactly as it arrived, before anything acts on it."""

    estate_path = "merchant__estate"

    provider = models.CharField(pgettext_lazy("payment", "provider"), max_length=12, choices=Provider.choices)
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    merchant_code = models.CharField(_("merchant code"), max_length=60)
    # The provider's id of the notification (WeChat ``id``, Alipay ``notify_id``), set only
    # once the signature is verified: a replay finds its first delivery here.
    event_id = models.CharField(_("event id"), max_length=80, null=True, blank=True)
    headers = models.JSONField(_("headers"), default=dict)
    body = models.TextField(_("raw body"))
    outcome = models.CharField(_("outcome"), max_length=16, choices=NotificationOutcome.choices)
    detail = models.CharField(_("detail"), max_length=300, blank=True, default="")
    flagged = models.BooleanField(_("flagged for staff"), default=False)
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="notifications"
    )
    deliveries = models.PositiveIntegerField(pgettext_lazy("payment notification", "deliveries"), default=1)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("payment notification")
        verbose_name_plural = _("payment notifications")
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "event_id"],
                condition=Q(event_id__isnull=False),
                name="billing_notification_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_id or '-'} {self.outcome}"


class LateFeePolicy(models.Model):
    """违约金 terms of an estate's service contract. Without one, no late fee is ever charged."""

    estate_path = "estate"

    estate = models.OneToOneField(
        "residents.Estate", on_delete=models.CASCADE, related_name="late_fee_policy"
    )
    contract_clause = models.FileField(_("contract clause"), upload_to="billing/contracts/")
    clause_reference = models.CharField(
        _("clause reference"), max_length=100, help_text=_("e.g. 第十二条第三款")
    )
    daily_rate = models.DecimalField(
        _("daily rate"),
        max_digits=6,
        decimal_places=5,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal("0.01"))],
        help_text=_("e.g. 0.00030 for 0.03% a day."),
    )
    grace_days = models.PositiveSmallIntegerField(_("grace days"), default=0)

    class Meta:
        verbose_name = _("late fee (违约金) policy")
        verbose_name_plural = _("late fee (违约金) policies")

    def __str__(self) -> str:
        return self.clause_reference


class MeterKind(models.TextChoices):
    WATER = "water", _("Water")
    ELECTRICITY = "electricity", _("Electricity")
    GAS = "gas", pgettext_lazy("meter", "Gas")


class Meter(models.Model):
    """A water, electricity or gas meter: a unit's own, or a shared (公摊) one with no unit."""

    estate_path = "estate"

    estate = models.ForeignKey("residents.Estate", on_delete=models.PROTECT, related_name="meters")
    unit = models.ForeignKey(
        "residents.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="meters",
        verbose_name=_("unit"),
        help_text=_("Empty for a shared (公摊) meter."),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=MeterKind.choices)
    serial = models.CharField(_("meter number"), max_length=40)
    multiplier = models.DecimalField(
        _("multiplier"),
        max_digits=8,
        decimal_places=2,
        default=Decimal(1),
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    digits = models.PositiveSmallIntegerField(
        _("register digits"), default=6, help_text=_("It rolls over after 10^digits.")
    )
    installed_on = models.DateField(_("installed on"))
    verified_on = models.DateField(_("last verified on"), null=True, blank=True)
    archived = models.BooleanField(_("archived"), default=False)

    class Meta:
        verbose_name = _("meter")
        verbose_name_plural = _("meters")
        ordering = ["estate", "serial"]
        constraints = [
            models.UniqueConstraint(fields=["estate", "serial"], name="billing_meter_unique_serial")
        ]

    def __str__(self) -> str:
        return self.serial


class ReadingSource(models.TextChoices):
    MANUAL = "manual", _("Entered by staff")
    IMPORT = "import", _("Excel import")
    DEVICE = "device", _("Smart meter")


class MeterReading(models.Model):
    """One reading; ``usage`` is what was used since the previous reading (× multiplier)."""

    estate_path = "meter__estate"

    meter = models.ForeignKey(
        Meter, on_delete=models.PROTECT, related_name="readings", verbose_name=_("meter")
    )
    read_on = models.DateField(_("read on"))
    value = models.DecimalField(
        _("reading"), max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal(0))]
    )
    usage = models.DecimalField(
        pgettext_lazy("meter", "usage"), max_digits=14, decimal_places=2, default=Decimal(0)
    )
    source = models.CharField(
        _("source"), max_length=8, choices=ReadingSource.choices, default=ReadingSource.MANUAL
    )
    rollover = models.BooleanField(_("register rolled over"), default=False)
    replacement = models.BooleanField(_("first reading of a replaced meter"), default=False)
    photo = models.ImageField(_("photo"), upload_to="billing/readings/%Y/%m/", null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.CharField(_("created by"), max_length=80)

    class Meta:
        verbose_name = _("meter reading")
        verbose_name_plural = _("meter readings")
        ordering = ["meter", "-read_on"]
        constraints = [
            models.UniqueConstraint(fields=["meter", "read_on"], name="billing_reading_once_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.meter_id} {self.read_on} {self.value}"


class Reminder(models.Model):
    """A reminder (催缴) sent or due for a bill, at most once per level."""

    estate_path = "bill__estate"

    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, related_name="reminders", verbose_name=_("bill"))
    level = models.PositiveSmallIntegerField(_("level"))
    channel = models.CharField(_("channel"), max_length=10)
    days_overdue = models.PositiveIntegerField(_("days overdue"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.CharField(_("created by"), max_length=80)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["bill", "level"], name="billing_reminder_once_per_level")
        ]

    def __str__(self) -> str:
        return f"{self.bill_id} L{self.level}"


class FapiaoStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    ISSUED = "issued", _("Issued")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


class FapiaoRequest(models.Model):
    """A resident's request for a fapiao (发票) for a payment; staff upload the issued file."""

    estate_path = "payment__estate"

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="fapiao_requests")
    title = models.CharField(_("invoice title (抬头)"), max_length=100)
    tax_id = models.CharField(_("tax id (税号)"), max_length=20, blank=True, default="")
    email = models.EmailField(_("email"))
    status = models.CharField(
        _("status"), max_length=10, choices=FapiaoStatus.choices, default=FapiaoStatus.REQUESTED
    )
    issued_file = models.FileField(_("issued fapiao"), upload_to="billing/fapiao/%Y/%m/", blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True, default="")
    requested_by = models.CharField(_("requested by"), max_length=80)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    decided_by = models.CharField(_("decided by"), max_length=80, blank=True, default="")

    class Meta:
        verbose_name = _("fapiao request")
        verbose_name_plural = _("fapiao requests")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["payment"],
                condition=Q(status__in=["requested", "issued"]),
                name="billing_fapiao_one_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_status_display()})"


class Statement(models.Model):
    """A provider's daily statement (对账单) for a merchant, kept raw as it came, with what the
    comparison with the ledger found."""

    estate_path = "merchant__estate"

    merchant = models.ForeignKey(
        Merchant, on_delete=models.PROTECT, related_name="statements", verbose_name=_("merchant")
    )
    bill_date = models.DateField(_("statement date"))
    raw = models.BinaryField(_("raw file"))
    rows = models.PositiveIntegerField(_("rows"), default=0)
    provider_paid_total = money_field(_("paid at the provider"), default=ZERO)
    ledger_paid_total = money_field(_("paid in the ledger"), default=ZERO)
    mismatch_count = models.PositiveIntegerField(_("mismatches"), default=0)
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)
    imported_by = models.CharField(_("imported by"), max_length=80)

    class Meta:
        verbose_name = _("provider statement")
        verbose_name_plural = _("provider statements")
        ordering = ["-bill_date", "-id"]

    def __str__(self) -> str:
        return f"{self.merchant_id} {self.bill_date}"


class MismatchKind(models.TextChoices):
    PAID_AT_PROVIDER_ONLY = "provider_only", _("Paid at the provider, not here")
    PAID_HERE_ONLY = "here_only", _("Paid here, not at the provider")
    AMOUNT_DIFFERS = "amount", _("Amounts differ")
    REFUND_AT_PROVIDER_ONLY = "refund_provider_only", _("Refunded at the provider, not here")
    REFUND_HERE_ONLY = "refund_here_only", _("Refunded here, not at the provider")
    REFUND_AMOUNT_DIFFERS = "refund_amount", _("Refund amounts differ")


class StatementMismatch(models.Model):
    estate_path = "statement__merchant__estate"

    statement = models.ForeignKey(
        Statement, on_delete=models.CASCADE, related_name="mismatches", verbose_name=_("statement")
    )
    kind = models.CharField(_("kind"), max_length=24, choices=MismatchKind.choices)
    out_trade_no = models.CharField(_("out trade no"), max_length=64, blank=True, default="")
    reference = models.CharField(
        _("provider reference"),
        max_length=64,
        blank=True,
        default="",
        help_text=_("Transaction or refund id."),
    )
    provider_amount = models.DecimalField(_("provider amount"), max_digits=12, decimal_places=2, null=True)
    ledger_amount = models.DecimalField(_("ledger amount"), max_digits=12, decimal_places=2, null=True)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("statement mismatch")
        verbose_name_plural = _("statement mismatches")
        ordering = ["statement", "kind", "out_trade_no"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.out_trade_no}"


class MeterGateway(models.Model):
    """A smart meter, or a concentrator (集中器) reporting for many meters, that pushes readings
    with a device token. Only the token's sha256 is kept; the token is shown once."""

    estate_path = "estate"

    estate = models.ForeignKey("residents.Estate", on_delete=models.PROTECT, related_name="meter_gateways")
    name = models.CharField(_("name"), max_length=60)
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    active = models.BooleanField(_("active"), default=True)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.CharField(_("created by"), max_length=80)

    class Meta:
        verbose_name = _("smart meter gateway")
        verbose_name_plural = _("smart meter gateways")
        ordering = ["estate", "name"]

    def __str__(self) -> str:
        return self.name


class MeterPush(models.Model):
    """One message a gateway pushed, kept raw under its message id before anything acts on it:
    a resent message finds this row and is answered again, never stored twice."""

    estate_path = "gateway__estate"

    gateway = models.ForeignKey(MeterGateway, on_delete=models.PROTECT, related_name="pushes")
    message_id = models.CharField(_("message id"), max_length=80, null=True, blank=True)
    body = models.TextField(_("raw body"))
    stored = models.PositiveIntegerField(_("readings stored"), default=0)
    refused = models.JSONField(_("readings refused"), default=list, blank=True)
    flagged = models.BooleanField(_("flagged for staff"), default=False)
    deliveries = models.PositiveIntegerField(_("deliveries"), default=1)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("meter push")
        verbose_name_plural = _("meter pushes")
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["gateway", "message_id"],
                condition=Q(message_id__isnull=False),
                name="billing_meter_push_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.gateway_id} {self.message_id or '-'}"
