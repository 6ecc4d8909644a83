"""Owners' assembly (业主大会): meetings, motions, the frozen roll, ballots and published results.

The roll (投票权数) is a snapshot taken when the notice is published: later move-ins or sales
do not change who may vote. Ballots form one hash chain per meeting so any later edit of a
row is detectable (``manage.py voting_verify``).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from community.residents.models import AreaSource, Estate, Resident, Unit, UnitUsage

from . import rules

ATTACHMENT_EXTENSIONS = ["pdf", "jpg", "jpeg", "png", "doc", "docx", "xls", "xlsx"]
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
AUTHORISATION_EXTENSIONS = ["pdf", "jpg", "jpeg", "png"]


def validate_file_size(value) -> None:
    if value.size > ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            _("The file is too large (%(size)s bytes); at most %(max)s bytes are allowed."),
            params={"size": value.size, "max": ATTACHMENT_MAX_BYTES},
        )


class Convenor(models.TextChoices):
    OWNERS_COMMITTEE = "owners_committee", _("Owners' committee")
    PREPARATORY_GROUP = "preparatory_group", _("Preparatory group")
    SUBDISTRICT_OFFICE = "subdistrict_office", _("Sub-district office")


class BallotMode(models.TextChoices):
    NAMED = "named", _("Named ballot")
    SECRET = "secret", _("Secret ballot")


class MeetingStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    NOTICED = "noticed", _("Notice published")
    OPEN = "open", _("Voting open")
    CLOSED = "closed", _("Voting closed")
    PUBLISHED = "published", _("Results published")
    CANCELLED = "cancelled", _("Cancelled")


class VotingSettings(models.Model):
    """Per-estate voting rules. Absent row = defaults."""

    estate_path = "estate"

    estate = models.OneToOneField(
        Estate, on_delete=models.CASCADE, related_name="voting_settings", verbose_name=_("estate")
    )
    # Contested since the Civil Code: shown beside the raw figures, never instead of them.
    non_voters_follow_majority = models.BooleanField(
        _("non-voters follow the majority"),
        default=False,
        help_text=_("Local rule: show figures where owners who did not vote are counted with the majority."),
    )
    proxy_principal_limit = models.PositiveSmallIntegerField(
        _("principals per proxy"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
    )

    class Meta:
        verbose_name = _("voting settings")
        verbose_name_plural = _("voting settings")

    def __str__(self) -> str:
        return str(self.estate_id)


class Meeting(models.Model):
    estate_path = "estate"

    estate = models.ForeignKey(
        Estate, on_delete=models.PROTECT, related_name="meetings", verbose_name=_("estate")
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    convenor = models.CharField(
        _("convenor"), max_length=24, choices=Convenor.choices, default=Convenor.OWNERS_COMMITTEE
    )
    ballot_mode = models.CharField(
        _("ballot mode"), max_length=8, choices=BallotMode.choices, default=BallotMode.NAMED
    )
    status = models.CharField(
        _("status"), max_length=12, choices=MeetingStatus.choices, default=MeetingStatus.DRAFT, editable=False
    )
    notice_published_at = models.DateTimeField(
        _("notice published at"), null=True, blank=True, editable=False
    )
    voting_opens_at = models.DateTimeField(_("voting opens at"))
    voting_closes_at = models.DateTimeField(_("voting closes at"))
    results_published_at = models.DateTimeField(
        _("results published at"), null=True, blank=True, editable=False
    )
    # SHA-256 over the frozen roll (entries, their units' areas and sources, their owners),
    # set at the notice and by each recorded correction: ``voting_verify`` recomputes it, so an
    # edit of the roll outside the corrections is caught even when the edit is self-consistent.
    roll_digest = models.CharField(_("roll digest"), max_length=64, blank=True, editable=False)
    # None: the estate's VotingSettings.proxy_principal_limit applies.
    proxy_principal_limit = models.PositiveSmallIntegerField(
        _("principals per proxy"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
        help_text=_("Leave empty to use the estate's setting (3 by default)."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-voting_opens_at", "-id"]
        indexes = [models.Index(fields=["estate", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(voting_closes_at__gt=models.F("voting_opens_at")),
                name="meeting_closes_after_opening",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_secret(self) -> bool:
        return self.ballot_mode == BallotMode.SECRET


class Choice(models.TextChoices):
    AGREE = "agree", _("Agree")
    OPPOSE = "oppose", _("Oppose")
    ABSTAIN = "abstain", _("Abstain")


class Matter(models.IntegerChoices):
    RULES_OF_PROCEDURE = 1, _("1. Rules of procedure of the owners' assembly")
    COVENANT = 2, _("2. Owners' covenant (management rules)")
    COMMITTEE = 3, _("3. Electing or replacing the owners' committee")
    PROPERTY_COMPANY = 4, _("4. Hiring or dismissing the property company")
    USE_FUNDS = 5, _("5. Using the maintenance funds")
    RAISE_FUNDS = 6, _("6. Raising the maintenance funds")
    REBUILD = 7, _("7. Rebuilding or altering buildings and facilities")
    COMMON_PARTS = 8, _("8. Changing the use of common parts or running a business on them")
    OTHER = 9, _("9. Other major matters")


class MotionKind(models.TextChoices):
    ORDINARY = rules.ORDINARY, _("Ordinary (more than half)")
    SPECIAL = rules.SPECIAL, _("Special (three quarters)")


class Motion(models.Model):
    estate_path = "meeting__estate"

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="motions", verbose_name=_("meeting")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"))
    matter = models.PositiveSmallIntegerField(_("Art. 278 matter"), choices=Matter.choices)

    class Meta:
        verbose_name = _("motion")
        verbose_name_plural = _("motions")
        ordering = ["meeting", "position", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def kind(self) -> str:
        return rules.kind_of_matter(self.matter)

    def get_kind_display(self) -> str:
        return str(MotionKind(self.kind).label)


class MotionAttachment(models.Model):
    estate_path = "motion__meeting__estate"

    motion = models.ForeignKey(
        Motion, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("motion")
    )
    file = models.FileField(
        _("file"),
        upload_to="voting/attachments/%Y/%m/",
        validators=[FileExtensionValidator(ATTACHMENT_EXTENSIONS), validate_file_size],
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["motion", "id"]

    def __str__(self) -> str:
        return self.name or self.file.name


class RollEntry(models.Model):
    """One owner for head count (一户一票 per person, not per unit), with all their area."""

    estate_path = "meeting__estate"

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="roll", verbose_name=_("meeting")
    )
    # Who the entry is: "user:<id>", "phone:<e164>", "resident:<id>", "developer", "unit:<id>".
    voter_key = models.CharField(_("voter key"), max_length=64)
    name = models.CharField(_("name"), max_length=300)
    is_developer = models.BooleanField(_("developer's unsold units"), default=False)
    area = models.DecimalField(_("voting area (m²)"), max_digits=14, decimal_places=2, default=Decimal(0))
    members = models.ManyToManyField(
        Resident, related_name="roll_entries", blank=True, verbose_name=_("owners")
    )
    # Staff can take an entry off the roll (with a recorded reason) until voting opens.
    excluded = models.BooleanField(_("excluded"), default=False)

    class Meta:
        verbose_name = _("roll entry")
        verbose_name_plural = _("roll entries")
        ordering = ["meeting", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "voter_key"], name="rollentry_unique_voter_per_meeting"
            ),
            models.CheckConstraint(condition=Q(area__gte=0), name="rollentry_area_not_negative"),
        ]
        # Key columns, not INCLUDE, so SQLite (embedded mode) builds the same index without a warning.
        indexes = [models.Index(fields=["meeting", "excluded", "area"], name="rollentry_meeting_area")]

    def __str__(self) -> str:
        return self.name


class RollUnit(models.Model):
    estate_path = "roll_entry__meeting__estate"

    roll_entry = models.ForeignKey(
        RollEntry, on_delete=models.CASCADE, related_name="units", verbose_name=_("roll entry")
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit"))
    label = models.CharField(_("unit"), max_length=100)
    usage = models.CharField(_("usage"), max_length=12, choices=UnitUsage.choices)
    # The registered (else surveyed, else contract) exclusive area; parking spaces carry 0.
    area = models.DecimalField(_("voting area (m²)"), max_digits=10, decimal_places=2)
    area_source = models.CharField(_("area source"), max_length=10, choices=AreaSource.choices)

    class Meta:
        verbose_name = _("roll unit")
        verbose_name_plural = _("roll units")
        ordering = ["roll_entry", "label"]
        constraints = [models.CheckConstraint(condition=Q(area__gte=0), name="rollunit_area_not_negative")]

    def __str__(self) -> str:
        return self.label


class RollCorrectionKind(models.TextChoices):
    AREA = "area", _("Unit area corrected")
    EXCLUDE = "exclude", _("Entry taken off the roll")
    RESTORE = "restore", _("Entry put back on the roll")
    ADD_MEMBER = "add_member", _("Owner added to an entry")
    REMOVE_MEMBER = "remove_member", _("Owner removed from an entry")


class RollCorrection(models.Model):
    estate_path = "meeting__estate"

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="roll_corrections", verbose_name=_("meeting")
    )
    roll_entry = models.ForeignKey(
        RollEntry, on_delete=models.CASCADE, related_name="corrections", verbose_name=_("roll entry")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=RollCorrectionKind.choices)
    reason = models.TextField(_("reason"))
    before = models.JSONField(_("before"), default=dict, blank=True)
    after = models.JSONField(_("after"), default=dict, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("roll correction")
        verbose_name_plural = _("roll corrections")
        ordering = ["meeting", "at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.roll_entry_id}"


class ProxyAuthorisation(models.Model):
    """A written authorisation (委托书) for one principal's roll entry in one meeting."""

    estate_path = "meeting__estate"

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="proxies", verbose_name=_("meeting")
    )
    principal = models.ForeignKey(
        RollEntry, on_delete=models.CASCADE, related_name="proxies", verbose_name=_("principal")
    )
    proxy_name = models.CharField(_("proxy's name"), max_length=100)
    # The proxy's ID number (or phone when there is none): the key the per-proxy cap counts by.
    proxy_key = models.CharField(_("proxy's ID number or phone"), max_length=32)
    document = models.FileField(
        _("written authorisation"),
        upload_to="voting/proxies/%Y/%m/",
        validators=[FileExtensionValidator(AUTHORISATION_EXTENSIONS), validate_file_size],
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("entered by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("proxy authorisation")
        verbose_name_plural = _("proxy authorisations")
        ordering = ["meeting", "proxy_key", "id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "principal"], name="proxy_one_per_principal"),
        ]

    def __str__(self) -> str:
        return f"{self.proxy_name} → {self.principal_id}"


class Channel(models.TextChoices):
    PORTAL = "portal", _("Portal")
    PAPER = "paper", _("Paper ballot")
    PROXY = "proxy", _("Proxy")


class Ballot(models.Model):
    """One cast. A changed vote adds a row and marks the earlier one superseded: the last counts.

    Rows are appended to the meeting's hash chain (``seq``, ``prev_hash``, ``hash``); the
    ``superseded`` flag is derived from the chain and checked by ``voting_verify``.
    """

    estate_path = "meeting__estate"

    meeting = models.ForeignKey(
        Meeting, on_delete=models.PROTECT, related_name="ballots", verbose_name=_("meeting")
    )
    motion = models.ForeignKey(
        Motion, on_delete=models.PROTECT, related_name="ballots", verbose_name=_("motion")
    )
    roll_entry = models.ForeignKey(
        RollEntry, on_delete=models.PROTECT, related_name="ballots", verbose_name=_("roll entry")
    )
    choice = models.CharField(_("choice"), max_length=8, choices=Choice.choices)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    proxy = models.ForeignKey(
        ProxyAuthorisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ballots",
        verbose_name=_("proxy authorisation"),
    )
    cast_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("entered by")
    )
    cast_at = models.DateTimeField(_("cast at"))
    superseded = models.BooleanField(_("superseded"), default=False)
    seq = models.PositiveIntegerField(_("sequence"))
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)
    receipt_code = models.CharField(_("receipt code"), max_length=24, unique=True)
    # Random per ballot and hashed with it: in a secret meeting, staff who know every other field
    # cannot recover the choice by hashing the three options.
    nonce = models.CharField(_("nonce"), max_length=32, editable=False)

    class Meta:
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")
        ordering = ["meeting", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "seq"], name="ballot_unique_seq_per_meeting"),
            models.UniqueConstraint(
                fields=["motion", "roll_entry"],
                condition=Q(superseded=False),
                name="ballot_one_current_per_entry_motion",
            ),
        ]
        indexes = [
            # The tally scans current ballots of one motion and joins the roll entry's area.
            models.Index(
                fields=["meeting", "motion", "choice", "roll_entry"],
                condition=Q(superseded=False),
                name="ballot_current_by_motion",
            ),
        ]

    def __str__(self) -> str:
        # Never the choice: in a secret meeting staff see who took part, not what they chose.
        return f"#{self.seq}"


class MotionResult(models.Model):
    """The tally frozen at close, as published (公示). ``voting_verify`` recomputes and compares."""

    estate_path = "motion__meeting__estate"

    motion = models.OneToOneField(
        Motion, on_delete=models.CASCADE, related_name="result", verbose_name=_("motion")
    )
    total_area = models.DecimalField(_("total area"), max_digits=14, decimal_places=2)
    total_owners = models.PositiveIntegerField(_("total owners"))
    participating_area = models.DecimalField(_("participating area"), max_digits=14, decimal_places=2)
    participating_owners = models.PositiveIntegerField(_("participating owners"))
    agree_area = models.DecimalField(_("agree area"), max_digits=14, decimal_places=2)
    agree_owners = models.PositiveIntegerField(_("agree owners"))
    oppose_area = models.DecimalField(_("oppose area"), max_digits=14, decimal_places=2)
    oppose_owners = models.PositiveIntegerField(_("oppose owners"))
    abstain_area = models.DecimalField(_("abstain area"), max_digits=14, decimal_places=2)
    abstain_owners = models.PositiveIntegerField(_("abstain owners"))
    quorum_met = models.BooleanField(_("quorum met"))
    passed = models.BooleanField(_("passed"))
    chain_head = models.CharField(_("hash of the last ballot"), max_length=64, blank=True)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("motion result")
        verbose_name_plural = _("motion results")

    def __str__(self) -> str:
        return str(self.motion_id)
