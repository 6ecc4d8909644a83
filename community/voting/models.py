"""Owners' assembly (业主大会): meetings, motions, the frozen roll, ballots and published results.

The roll (投票权数) is a snapshot taken when the notice is published: later move-ins or sales
do not change who may vote. Ballots form one hash chain per meeting so any later edit of a
row is detectable (``manage.py voting_verify``).

Longer than ~400 lines on purpose: one models module per app is what Django's migrations and
the admin expect, and these models reference each other (meeting → roll → ballots → results);
the rules live elsewhere (``rules``, ``heads``, ``transitions``), so what is here is fields.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from community.residents.models import AreaSource, Building, Estate, Resident, Unit, UnitUsage

from . import rules
from .transitions import MeetingAction, MeetingStatus

__all__ = ["MeetingAction", "MeetingStatus"]  # re-exported: models are where callers look

ATTACHMENT_EXTENSIONS = ["pdf", "jpg", "jpeg", "png", "doc", "docx", "xls", "xlsx"]
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_PROXY_PRINCIPAL_LIMIT = 3
MAX_SEATS = 50
MAX_PROXY_PRINCIPAL_LIMIT = 50
AUTHORISATION_EXTENSIONS = ["pdf", "jpg", "jpeg", "png"]


def validate_file_size(value) -> None:
    if value.size > ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            _("The file is too large (%(size)s bytes); at most %(max)s bytes are allowed."),
            params={"size": value.size, "max": ATTACHMENT_MAX_BYTES},
        )


class Convenor(models.TextChoices):
    """Who convenes the assembly: the owners' committee, or — for the first assembly, before
    any committee is elected — the preparatory group (筹备组) formed under the street office.
    The street office itself never convenes, and the property company only assists (#10)."""

    OWNERS_COMMITTEE = "owners_committee", _("Owners' committee")
    PREPARATORY_GROUP = "preparatory_group", _("Preparatory group (first assembly)")


class BallotMode(models.TextChoices):
    NAMED = "named", _("Named ballot")
    SECRET = "secret", _("Secret ballot")


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
    # The written clause of the estate's rules (议事规则/管理规约) adopting the local rule: the
    # switch has no effect without it.
    follow_majority_clause = models.FileField(
        _("clause adopting “non-voters follow the majority”"),
        upload_to="voting/rules/%Y/%m/",
        blank=True,
        validators=[FileExtensionValidator(AUTHORISATION_EXTENSIONS), validate_file_size],
    )
    proxy_principal_limit = models.PositiveSmallIntegerField(
        _("principals per proxy"),
        default=DEFAULT_PROXY_PRINCIPAL_LIMIT,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_PROXY_PRINCIPAL_LIMIT)],
    )
    # SPC interpretation Art. 2 lets parking spaces be exclusive parts; whether they count for
    # the vote is the estate's decision (printed on the notice). Off by default.
    parking_spaces_count = models.BooleanField(
        _("parking spaces count as exclusive parts"),
        default=False,
        help_text=_("Printed on the notice. Off: parking spaces carry no votes and no area."),
    )
    blank_is_abstention = models.BooleanField(
        _("blank or spoiled items count as abstentions"),
        default=True,
        help_text=_("Printed on the ballot. Off: a blank item takes no part in that motion."),
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
    # The meeting's scope: none chosen = the whole estate; else the owners of these buildings
    # and of the entrances in ``scope_entrances`` decide (e.g. using the maintenance funds for
    # one building's or one entrance's lift).
    scope_buildings = models.ManyToManyField(
        Building,
        blank=True,
        related_name="+",
        verbose_name=_("buildings in scope"),
        help_text=_("Leave empty for the whole estate."),
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
        validators=[MinValueValidator(1), MaxValueValidator(MAX_PROXY_PRINCIPAL_LIMIT)],
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


class ScopeEntrance(models.Model):
    """One entrance (单元) of a building in a meeting's scope: its units' owners are on the roll.

    Entrances are not rows of their own (``Unit.entrance`` is text), so the pair names one."""

    estate_path = "meeting__estate"

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="scope_entrances", verbose_name=_("meeting")
    )
    building = models.ForeignKey(
        Building, on_delete=models.PROTECT, related_name="+", verbose_name=_("building")
    )
    entrance = models.CharField(_("entrance (单元)"), max_length=20)

    class Meta:
        verbose_name = _("entrance in scope")
        verbose_name_plural = _("entrances in scope")
        ordering = ["meeting", "building__name", "entrance"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "building", "entrance"], name="scopeentrance_once"),
        ]

    def __str__(self) -> str:
        return f"{self.building.name}-{self.entrance}单元"


class Choice(models.TextChoices):
    AGREE = "agree", _("Agree")
    OPPOSE = "oppose", _("Oppose")
    ABSTAIN = "abstain", _("Abstain")
    # Recorded as found on a returned ballot. Invalid always counts as an abstention; a blank
    # item does when the estate's ``blank_is_abstention`` is on (the default), else it takes
    # no part in that motion. The export keeps both apart (the strict figures).
    INVALID = "invalid", _("Invalid (counted as abstention)")
    BLANK = "blank", _("Blank")
    # A candidate-list motion: the owner chose one or more candidates (``Ballot.candidates``).
    SELECTED = "selected", _("Chose candidates")


# What an owner chooses in the portal; blank and invalid come only from returned paper.
OWNER_CHOICES = (Choice.AGREE, Choice.OPPOSE, Choice.ABSTAIN)


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
    # Matter 9 ("other major matters") must say why the matter is major and why it is none of
    # matters 6–8 (which need three quarters).
    justification = models.TextField(_("why this classification"), blank=True)
    # The kind may be raised (ordinary -> special) after the notice, never lowered.
    raised_to_special = models.BooleanField(_("raised to the special majority"), default=False)
    # Set: a candidate-list motion (an election with more candidates than seats): each owner
    # chooses up to ``seats`` candidates; ``rules.elect`` decides who is elected.
    seats = models.PositiveSmallIntegerField(
        _("seats"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_SEATS)],
        help_text=_(
            "Only for an election: how many candidates can be elected. Leave empty for a yes/no motion."
        ),
    )

    class Meta:
        verbose_name = _("motion")
        verbose_name_plural = _("motions")
        ordering = ["meeting", "position", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def kind(self) -> str:
        return rules.SPECIAL if self.raised_to_special else rules.kind_of_matter(self.matter)

    def get_kind_display(self) -> str:
        return str(MotionKind(self.kind).label)

    @property
    def is_election(self) -> bool:
        return self.seats is not None


class Candidate(models.Model):
    """One candidate on a candidate-list motion (e.g. for the owners' committee)."""

    estate_path = "motion__meeting__estate"

    motion = models.ForeignKey(
        Motion, on_delete=models.CASCADE, related_name="candidates", verbose_name=_("motion")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    name = models.CharField(_("name"), max_length=100)
    statement = models.TextField(pgettext_lazy("candidate", "statement"), blank=True)

    class Meta:
        verbose_name = _("candidate")
        verbose_name_plural = _("candidates")
        ordering = ["motion", "position", "id"]

    def __str__(self) -> str:
        return self.name


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
    """One head (SPC interpretation Art. 9) with all its area.

    One exclusive part is one head, except that the developer's parts count as one, and the
    same owner set (one person, or exactly the same co-owners) holding several parts counts as
    one. ``voter_key`` is the owner set ("owners:<k1>|<k2>"), "developer" or "unit:<id>" for a
    unit whose owner is unknown.
    """

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
    # Set only by the correction "not an exclusive part" when the entry has no exclusive part
    # left: the one correction that lowers the base. Nothing else takes an entry off the roll.
    excluded = models.BooleanField(_("no exclusive part left"), default=False)

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
    # Found not to be an exclusive part (with an uploaded document): its area leaves the base.
    not_exclusive_part = models.BooleanField(_("not an exclusive part"), default=False)

    class Meta:
        verbose_name = _("roll unit")
        verbose_name_plural = _("roll units")
        ordering = ["roll_entry", "label"]
        constraints = [models.CheckConstraint(condition=Q(area__gte=0), name="rollunit_area_not_negative")]

    def __str__(self) -> str:
        return self.label


class RollCorrectionKind(models.TextChoices):
    """Typed corrections: none of them removes real area or heads except NOT_EXCLUSIVE_PART."""

    AREA = "area", _("Unit area corrected to the register")
    MERGE = "merge", _("Two entries are the same owner set (merged, area kept)")
    ADD_MEMBER = "add_member", _("Owner added to an entry")
    REMOVE_MEMBER = "remove_member", _("Person removed: not an owner (the unit stays)")
    NOT_EXCLUSIVE_PART = "not_exclusive", _("Unit removed: not an exclusive part")


# Identity corrections stay possible until the end of counting; the others end at opening.
IDENTITY_CORRECTIONS = frozenset(
    {RollCorrectionKind.MERGE, RollCorrectionKind.ADD_MEMBER, RollCorrectionKind.REMOVE_MEMBER}
)
# Corrections that must carry an uploaded document (evidence).
DOCUMENTED_CORRECTIONS = frozenset(
    {RollCorrectionKind.NOT_EXCLUSIVE_PART, RollCorrectionKind.AREA} | IDENTITY_CORRECTIONS
)


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
    document = models.FileField(
        _("evidence"),
        upload_to="voting/corrections/%Y/%m/",
        blank=True,
        validators=[FileExtensionValidator(AUTHORISATION_EXTENSIONS), validate_file_size],
    )
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
    # The proxy's normalised ID number: the per-proxy cap counts people by it.
    proxy_key = models.CharField(_("proxy's ID number"), max_length=32)
    document = models.FileField(
        _("written authorisation"),
        upload_to="voting/proxies/%Y/%m/",
        validators=[FileExtensionValidator(AUTHORISATION_EXTENSIONS), validate_file_size],
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("entered by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Revoked by the owner (in writing, or by voting themselves) or replaced by a new one.
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
        editable=False,
    )

    class Meta:
        verbose_name = _("proxy authorisation")
        verbose_name_plural = _("proxy authorisations")
        ordering = ["meeting", "proxy_key", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "principal"],
                condition=Q(revoked_at__isnull=True),
                name="proxy_one_current_per_principal",
            ),
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
    # Candidate-list motions: the chosen candidates' ids, sorted (choice "selected"); hashed.
    candidates = models.JSONField(_("chosen candidates"), default=list, blank=True)
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
    # When the intention was expressed: the portal's submission time, or the time a paper or
    # proxy ballot was received. Precedence between an owner's ballots goes by it, not by seq.
    cast_at = models.DateTimeField(_("expressed at"))
    paper = models.ForeignKey(
        "PaperBallot",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ballots",
        verbose_name=_("returned ballot"),
    )
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


class CandidateResult(models.Model):
    """One candidate's frozen figures and outcome (``rules.elect``), beside the MotionResult."""

    estate_path = "candidate__motion__meeting__estate"

    candidate = models.OneToOneField(
        Candidate, on_delete=models.CASCADE, related_name="result", verbose_name=_("candidate")
    )
    yes_area = models.DecimalField(_("area choosing the candidate"), max_digits=14, decimal_places=2)
    yes_owners = models.PositiveIntegerField(_("owners choosing the candidate"))
    passed = models.BooleanField(_("reached the Art. 278 thresholds"))
    elected = models.BooleanField(_("elected"))
    tied = models.BooleanField(_("tied for the last seat"), default=False)
    rank = models.PositiveSmallIntegerField(_("rank"), null=True, blank=True)

    class Meta:
        verbose_name = _("candidate result")
        verbose_name_plural = _("candidate results")

    def __str__(self) -> str:
        return str(self.candidate_id)


class MeetingEventType(models.TextChoices):
    NOTICE = "notice", _("Notice published; roll frozen")
    OPEN = "open", _("Voting opened")
    CLOSE = "close", _("Voting closed")
    COUNT = "count", _("Counting of paper ballots started")
    PUBLISH = "publish", _("Results published")
    CANCEL = "cancel", _("Meeting cancelled")
    IDENTITY_DECISION = "identity_decision", _("Possible duplicate owners decided")
    SCRUTINEER = "scrutineer", _("Scrutineer appointed")
    MOTION_RAISED = "motion_raised", _("Motion raised to the special majority")


class MeetingEvent(models.Model):
    """A legally significant act on a meeting: its type and parameters, who did it, when.

    Stored as type + parameters and rendered in the reader's language (``selectors``); the
    actor is a user, or for the clock job the system actor string ("system:voting.advance").
    """

    estate_path = "meeting__estate"

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="events", verbose_name=_("meeting")
    )
    type = models.CharField(_("type"), max_length=24, choices=MeetingEventType.choices)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    system_actor = models.CharField(_("system actor"), max_length=64, blank=True)
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("meeting event")
        verbose_name_plural = _("meeting events")
        ordering = ["meeting", "at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(actor__isnull=False) | ~Q(system_actor=""), name="meetingevent_has_an_actor"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} · {self.meeting_id}"

    @property
    def actor_display(self) -> str:
        return self.system_actor or str(self.actor)


class IdentityDecision(models.Model):
    """Staff's recorded decision on resident records that look like one person.

    ``key`` names the group ("id:<number>" or "name_phone:<name>|<phone>"); ``residents`` are
    the record ids the decision was made on. Same person: they are one owner on the roll.
    Different people: each record is its own owner.
    """

    estate_path = "meeting__estate"

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="identity_decisions", verbose_name=_("meeting")
    )
    key = models.CharField(_("group"), max_length=200)
    residents = models.JSONField(_("resident records"), default=list)
    same_person = models.BooleanField(_("same person"))
    reason = models.TextField(_("reason"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("identity decision")
        verbose_name_plural = _("identity decisions")
        ordering = ["meeting", "key"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "key"], name="identitydecision_one_per_group"),
        ]

    def __str__(self) -> str:
        return self.key


class Scrutineer(models.Model):
    """A resident appointed for one meeting to confirm paper ballots (监票人). Not a staff role."""

    estate_path = "meeting__estate"

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="scrutineers", verbose_name=_("meeting")
    )
    resident = models.ForeignKey(
        Resident, on_delete=models.PROTECT, related_name="scrutineer_for", verbose_name=_("resident")
    )
    appointed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    appointed_at = models.DateTimeField(_("appointed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("scrutineer")
        verbose_name_plural = _("scrutineers")
        ordering = ["meeting", "id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "resident"], name="scrutineer_once_per_meeting"),
        ]

    def __str__(self) -> str:
        return str(self.resident)


class PaperBallotStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting a scrutineer")
    CONFIRMED = "confirmed", _("Confirmed")
    REJECTED = "rejected", _("Rejected")


class PaperBallot(models.Model):
    """A returned paper (or proxy) ballot sheet: keyed by one person, confirmed by a scrutineer.

    ``choices`` maps every motion of the meeting (str id) to the choice found on the sheet,
    ``blank`` where nothing was marked: a returned ballot takes part in every motion on it.
    On confirmation its ballots join the chain with ``cast_at`` = ``received_at``.
    """

    estate_path = "meeting__estate"

    meeting = models.ForeignKey(
        Meeting, on_delete=models.PROTECT, related_name="paper_ballots", verbose_name=_("meeting")
    )
    roll_entry = models.ForeignKey(
        RollEntry, on_delete=models.PROTECT, related_name="paper_ballots", verbose_name=_("roll entry")
    )
    proxy = models.ForeignKey(
        ProxyAuthorisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="paper_ballots",
        verbose_name=_("proxy authorisation"),
    )
    signer_name = models.CharField(_("signed by"), max_length=100)
    received_at = models.DateTimeField(_("received at"))
    scan = models.FileField(
        _("scan of the ballot"),
        upload_to="voting/paper/%Y/%m/",
        validators=[FileExtensionValidator(AUTHORISATION_EXTENSIONS), validate_file_size],
    )
    choices = models.JSONField(_("choices"), default=dict)
    status = models.CharField(
        _("status"), max_length=10, choices=PaperBallotStatus.choices, default=PaperBallotStatus.PENDING
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("entered by")
    )
    entered_at = models.DateTimeField(_("entered at"), auto_now_add=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)

    class Meta:
        verbose_name = _("returned paper ballot")
        verbose_name_plural = _("returned paper ballots")
        ordering = ["meeting", "received_at", "id"]

    def __str__(self) -> str:
        return f"{self.signer_name} · {self.roll_entry_id}"
