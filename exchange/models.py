"""The outbox and its destinations.

An ``OutboxRecord`` is written in the same transaction as the change that causes it (the
receivers in ``exchange.receivers`` run inside the sender's transaction), so a record exists
exactly when its cause committed. One ``Delivery`` per (record, destination) carries the
delivery state; the record's payload is stored whole and minimised per destination when sent,
so a grant narrowed later also narrows what is still queued.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from community.residents.models import Estate


class Category(models.TextChoices):
    GATE_PASSAGE = "gate_passage", _("Gate passage")
    CAR_PASSAGE = "car_passage", _("Car passage")
    RESIDENT_CHANGE = "resident_change", _("Resident registration change")
    GRID_EVENT = "grid_event", _("Grid event")
    STATISTICS = "statistics", _("Daily statistics")
    # Registries (state, not events): a record per version of a door device or a vehicle.
    DOOR_DEVICE = "door_device", _("Door device (registry)")
    CAR_INFO = "car_info", _("Vehicle information (registry)")


class SystemKind(models.TextChoices):
    GAT1400 = "gat1400", _("Public-security view library (GA/T 1400)")
    CITY_PUSH = "city_push", _("City data-exchange platform (signed JSON push)")
    FILE_EXPORT = "file_export", _("File export (provincial Excel tables)")


class LegalBasis(models.TextChoices):
    # PIPL Art. 13: the grounds on which personal information may be processed without consent.
    LEGAL_OBLIGATION = "legal_obligation", _("Statutory duty or obligation (PIPL Art. 13(3))")
    PUBLIC_HEALTH_SAFETY = (
        "public_safety",
        _("Protecting life, health or property in an emergency (Art. 13(4))"),
    )
    PUBLIC_INTEREST = "public_interest", _("Public interest reporting within reason (Art. 13(5))")
    CONSENT = "consent", _("Individual's consent (Art. 13(1))")
    NOT_PERSONAL = "not_personal", _("Not personal information (aggregates only)")


class ExternalSystem(models.Model):
    """A destination outside the platform. Credentials are never stored: ``credentials_ref``
    names an entry of ``settings.EXCHANGE_SECRETS`` / an environment variable (see
    ``exchange.secrets``)."""

    estate_path = "estate"

    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="+", verbose_name=_("estate"))
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=SystemKind.choices)
    endpoint = models.URLField(_("endpoint"), max_length=300, blank=True)
    credentials_ref = models.CharField(
        _("credentials reference"),
        max_length=100,
        blank=True,
        help_text=_("Name of the secret (environment variable or EXCHANGE_SECRETS entry), never the secret."),
    )
    enabled = models.BooleanField(_("enabled"), default=False)
    # GA/T 1400: our system's 20-digit id (GB/T 2260 area code first) and the extensions deployed.
    device_id = models.CharField(_("our device/system id"), max_length=20, blank=True)
    extensions = models.JSONField(
        _("extensions"),
        default=list,
        blank=True,
        help_text=_("GA/T 1400 community extensions the destination accepts, e.g. PersonInfos, DoorInfos."),
    )
    # City push: the service code the city assigned.
    service_code = models.CharField(_("service code"), max_length=40, blank=True)
    batch_size = models.PositiveSmallIntegerField(_("records per request"), default=50)
    # The open API: the system reads with this token (only its hash is kept).
    api_token_hash = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    registered_at = models.DateTimeField(_("registered at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("external system")
        verbose_name_plural = _("external systems")
        ordering = ["estate", "name"]
        constraints = [models.UniqueConstraint(fields=["estate", "name"], name="exchange_system_unique_name")]

    def __str__(self) -> str:
        return self.name


class DataGrant(models.Model):
    """What one destination may receive: a category, on a recorded legal basis, minimised."""

    estate_path = "system__estate"

    system = models.ForeignKey(ExternalSystem, on_delete=models.CASCADE, related_name="grants")
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    legal_basis = models.CharField(_("legal basis"), max_length=20, choices=LegalBasis.choices)
    basis_reference = models.CharField(
        _("basis reference"), max_length=200, blank=True, help_text=_("The statute, order or agreement.")
    )
    fields = models.JSONField(
        _("fields sent"), default=list, blank=True, help_text=_("Empty: the category's defaults.")
    )
    # None: the category's default masks; {} (set on purpose): nothing masked.
    masked = models.JSONField(
        _("masked fields"),
        null=True,
        blank=True,
        default=None,
        help_text=_('Field → mask: {"person_phone": "phone"}. Empty: the defaults.'),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("data grant")
        verbose_name_plural = _("data grants")
        constraints = [models.UniqueConstraint(fields=["system", "category"], name="exchange_grant_unique")]

    def __str__(self) -> str:
        return f"{self.system} · {self.get_category_display()}"


class OutboxRecord(models.Model):
    """One fact that must leave the platform. ``id`` is the sequence number operators resend from."""

    estate_path = "estate"

    id = models.BigAutoField(primary_key=True)
    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="+")
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    # The cause, as the sending app names it ("access.event", "123"); unique so a signal that
    # fires twice for one fact writes one record.
    source = models.CharField(_("source"), max_length=40)
    source_ref = models.CharField(_("source reference"), max_length=80)
    payload = models.JSONField(_("payload"))
    occurred_at = models.DateTimeField(_("occurred at"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("outbox record")
        verbose_name_plural = _("outbox records")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "source", "source_ref"], name="exchange_outbox_unique_cause"
            )
        ]
        indexes = [models.Index(fields=["estate", "category", "id"], name="exchange_outbox_cat_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.category}"


class PassageQueued(models.Model):
    """An access event not yet relayed to the outbox.

    Written by the access ingest statement itself (``access.services.event_sinks``: a CTE of the
    autocommitted INSERT on PostgreSQL, the same transaction elsewhere), so a stored event
    always has its row here; ``exchange.passages.gate_passages_relay`` turns rows into outbox
    records and deletes them in one transaction, so each event is relayed exactly once. Only the
    id: the ingest path pays one narrow row, the relay reads the rest.
    """

    event_id = models.BigIntegerField(primary_key=True)

    class Meta:
        verbose_name = _("gate passage awaiting the outbox")
        verbose_name_plural = _("gate passages awaiting the outbox")

    def __str__(self) -> str:
        return f"access event {self.event_id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    REJECTED = "rejected", _("Rejected by the destination")
    WITHHELD = "withheld", _("Withheld (no grant any more)")


class Delivery(models.Model):
    estate_path = "system__estate"

    record = models.ForeignKey(OutboxRecord, on_delete=models.CASCADE, related_name="deliveries")
    system = models.ForeignKey(ExternalSystem, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # Due time; while a worker holds the row it is pushed ahead by the lease (a worker that
    # dies leaves the row due again when the lease runs out).
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    # The key the destination deduplicates on (GA/T 1400 object id, the city's recordId).
    remote_key = models.CharField(_("remote key"), max_length=64)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["system", "record"]
        constraints = [
            models.UniqueConstraint(fields=["system", "record"], name="exchange_delivery_once"),
            models.UniqueConstraint(fields=["system", "remote_key"], name="exchange_delivery_remote_key"),
        ]
        indexes = [
            models.Index(
                fields=["system", "next_attempt_at"],
                condition=Q(status="pending"),
                name="exchange_delivery_due_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.system} ← #{self.record_id} ({self.status})"


class ActionKind(models.TextChoices):
    RESEND = "resend", _("Resend from a record")
    TOKEN_ROTATED = "token_rotated", _("Open-API token rotated")
    EXPORTED = "exported", _("File exported")
    REGISTERED = "registered", _("Registered with the destination")


class ExchangeAction(models.Model):
    """What operators (or jobs) did to a destination: who, when, with which parameters."""

    estate_path = "system__estate"

    system = models.ForeignKey(ExternalSystem, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(_("kind"), max_length=16, choices=ActionKind.choices)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    actor = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    actor_label = models.CharField(_("by (system)"), max_length=60, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("exchange action")
        verbose_name_plural = _("exchange actions")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.system}"
