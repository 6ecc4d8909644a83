"""The tally: SQL aggregates over the roll and the current ballots (exact Decimals on every
database), the figures and decision of each motion, the candidates of a candidate-list motion
(``rules.elect``), and the "non-voters follow the majority" figures beside them where an estate
adopted that rule (never for elections: who is elected comes from actual votes only).

Slightly over ~400 lines on purpose: the live tally, the frozen (published) one and the Python
recount share the figures types and must stay side by side to stay equal."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import BigIntegerField, Count, F, Q, Sum
from django.db.models.functions import Cast, Round

from . import rules
from .models import (
    Ballot,
    Candidate,
    CandidateResult,
    Choice,
    Meeting,
    Motion,
    MotionResult,
    RollEntry,
    VotingSettings,
)

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


def area_sum(path: str, filter: Q | None = None):
    """Sum of an area column (two decimals), exactly on every database.

    PostgreSQL sums numerics exactly. SQLite stores them as binary floats and Django turns the
    float sum into a Decimal of 15 significant digits, so there the sum is taken over whole
    cents (each value rounded to its cent, then summed as integers: exact). Read the result
    with ``to_cents``.
    """
    if connection.vendor == "sqlite":
        return Sum(Cast(Round(F(path) * 100), BigIntegerField()), filter=filter)
    return Sum(path, filter=filter)


def to_cents(value) -> Decimal:
    if value is None:
        return ZERO
    if isinstance(value, int):  # whole cents (SQLite, see area_sum)
        return (Decimal(value) / 100).quantize(CENT)
    return Decimal(value).quantize(CENT)


@dataclass(frozen=True)
class Figures:
    """One motion's figures; areas exact Decimals, owners ints."""

    total_area: Decimal
    total_owners: int
    agree_area: Decimal
    agree_owners: int
    oppose_area: Decimal
    oppose_owners: int
    abstain_area: Decimal
    abstain_owners: int

    @property
    def participating_area(self) -> Decimal:
        return self.agree_area + self.oppose_area + self.abstain_area

    @property
    def participating_owners(self) -> int:
        return self.agree_owners + self.oppose_owners + self.abstain_owners

    @property
    def non_voting_area(self) -> Decimal:
        return self.total_area - self.participating_area

    @property
    def non_voting_owners(self) -> int:
        return self.total_owners - self.participating_owners

    def decide(self, kind: str) -> rules.Decision:
        return rules.decide(
            kind,
            total_area=self.total_area,
            total_owners=self.total_owners,
            participating_area=self.participating_area,
            participating_owners=self.participating_owners,
            yes_area=self.agree_area,
            yes_owners=self.agree_owners,
        )


@dataclass(frozen=True)
class CandidateTally:
    candidate_id: int
    name: str
    yes_area: Decimal
    yes_owners: int
    outcome: rules.CandidateOutcome

    def result_fields(self) -> dict:
        return {
            "yes_area": self.yes_area,
            "yes_owners": self.yes_owners,
            "passed": self.outcome.decision.passed,
            "elected": self.outcome.elected,
            "tied": self.outcome.tied,
            "rank": self.outcome.rank,
        }


@dataclass(frozen=True)
class MotionTally:
    motion_id: int
    title: str
    matter: int
    kind: str
    figures: Figures
    decision: rules.Decision
    # "Non-voters follow the majority" (per-estate switch): beside the raw figures, never instead.
    imputed: Figures | None = None
    imputed_decision: rules.Decision | None = None
    imputed_side: str = ""
    extra: dict = field(default_factory=dict)
    # A candidate-list motion: one row per candidate, in list order; ``decision.passed`` is
    # whether anyone was elected.
    seats: int | None = None
    candidates: list[CandidateTally] = field(default_factory=list)

    @property
    def quorum_shortfall(self) -> tuple[Decimal, int]:
        """(m², owners) still needed for the quorum; (0, 0) once it is met."""
        f = self.figures
        return rules.quorum_shortfall(
            total_area=f.total_area,
            total_owners=f.total_owners,
            participating_area=f.participating_area,
            participating_owners=f.participating_owners,
        )

    @property
    def imputed_side_label(self) -> str:
        return str(Choice(self.imputed_side).label) if self.imputed_side else ""

    def result_fields(self) -> dict:
        f = self.figures
        return {
            "total_area": f.total_area,
            "total_owners": f.total_owners,
            "participating_area": f.participating_area,
            "participating_owners": f.participating_owners,
            "agree_area": f.agree_area,
            "agree_owners": f.agree_owners,
            "oppose_area": f.oppose_area,
            "oppose_owners": f.oppose_owners,
            "abstain_area": f.abstain_area,
            "abstain_owners": f.abstain_owners,
            "quorum_met": self.decision.quorum_met,
            "passed": self.decision.passed,
        }


def _impute(figures: Figures) -> tuple[Figures, str] | None:
    """ "Non-voters follow the majority": the non-voters' weight goes to agree or oppose only
    when that side leads on *both* area and heads; otherwise nothing is imputed."""
    agree = (figures.agree_area, figures.agree_owners)
    oppose = (figures.oppose_area, figures.oppose_owners)
    if agree[0] > oppose[0] and agree[1] > oppose[1]:
        side = Choice.AGREE
    elif oppose[0] > agree[0] and oppose[1] > agree[1]:
        side = Choice.OPPOSE
    else:
        return None
    values = {
        "agree_area": figures.agree_area,
        "agree_owners": figures.agree_owners,
        "oppose_area": figures.oppose_area,
        "oppose_owners": figures.oppose_owners,
        "abstain_area": figures.abstain_area,
        "abstain_owners": figures.abstain_owners,
    }
    values[f"{side}_area"] += figures.non_voting_area
    values[f"{side}_owners"] += figures.non_voting_owners
    return Figures(total_area=figures.total_area, total_owners=figures.total_owners, **values), side


def _election(motion: Motion, figures: Figures, votes: list[tuple[int, str, Decimal, int]]) -> MotionTally:
    """A candidate-list motion: each candidate tested alone on the motion's participation."""
    outcomes = rules.elect(
        motion.kind,
        seats=motion.seats,
        total_area=figures.total_area,
        total_owners=figures.total_owners,
        participating_area=figures.participating_area,
        participating_owners=figures.participating_owners,
        candidates=[rules.CandidateVotes(pk, area, owners) for pk, _name, area, owners in votes],
    )
    decision = figures.decide(motion.kind)
    decision = dataclasses.replace(decision, passed=any(o.elected for o in outcomes))
    return MotionTally(
        motion_id=motion.pk,
        title=motion.title,
        matter=motion.matter,
        kind=motion.kind,
        figures=figures,
        decision=decision,
        seats=motion.seats,
        candidates=[
            CandidateTally(pk, name, area, owners, outcome)
            for (pk, name, area, owners), outcome in zip(votes, outcomes, strict=True)
        ],
    )


def _tally(motion: Motion, figures: Figures, follow_majority: bool, votes=None) -> MotionTally:
    if motion.is_election:
        return _election(motion, figures, votes or [])
    decision = figures.decide(motion.kind)
    imputed = _impute(figures) if follow_majority else None
    imputed_decision = None
    if imputed:
        # The quorum always comes from the owners who actually took part.
        by_rule = imputed[0].decide(motion.kind)
        imputed_decision = dataclasses.replace(
            by_rule, quorum_met=decision.quorum_met, passed=decision.quorum_met and by_rule.passed
        )
    return MotionTally(
        motion_id=motion.pk,
        title=motion.title,
        matter=motion.matter,
        kind=motion.kind,
        figures=figures,
        decision=decision,
        imputed=imputed[0] if imputed else None,
        imputed_decision=imputed_decision,
        imputed_side=imputed[1] if imputed else "",
    )


def _counted_ballots(meeting: Meeting):
    """The ballots that count: current, of entries still on the roll."""
    return Ballot.objects.filter(meeting=meeting, superseded=False, roll_entry__excluded=False)


def follows_majority(meeting: Meeting) -> bool:
    """The local rule applies only where the estate switched it on AND uploaded the clause."""
    return (
        VotingSettings.objects.filter(estate_id=meeting.estate_id, non_voters_follow_majority=True)
        .exclude(follow_majority_clause="")
        .exists()
    )


def counted_as(choice: str, blank_is_abstention: bool) -> str | None:
    """The side a recorded choice counts on: invalid is an abstention; blank is one where the
    estate says so (default), else it takes no part in the motion."""
    if choice == Choice.INVALID:
        return Choice.ABSTAIN
    if choice == Choice.SELECTED:  # an election: chose someone (took part, on the "agree" column)
        return Choice.AGREE
    if choice == Choice.BLANK:
        return Choice.ABSTAIN if blank_is_abstention else None
    return choice


def blank_is_abstention(meeting: Meeting) -> bool:
    found = VotingSettings.objects.filter(estate_id=meeting.estate_id).values_list(
        "blank_is_abstention", flat=True
    )
    return next(iter(found), True)


def roll_totals(meeting: Meeting) -> tuple[Decimal, int]:
    totals = RollEntry.objects.filter(meeting=meeting, excluded=False).aggregate(
        area=area_sum("area"), owners=Count("id")
    )
    return to_cents(totals["area"]), totals["owners"]


def meeting_tally(meeting: Meeting, *, follow_majority: bool | None = None) -> list[MotionTally]:
    """The live tally of every motion: 4 SQL queries whatever the roll's size."""
    if follow_majority is None:
        follow_majority = follows_majority(meeting)
    total_area, total_owners = roll_totals(meeting)
    blank_abstains = blank_is_abstention(meeting)
    rows = (
        _counted_ballots(meeting)
        .values("motion_id", "choice")
        .annotate(area=area_sum("roll_entry__area"), owners=Count("id"))
        .order_by()
    )
    counts: dict[int, dict[str, tuple[Decimal, int]]] = {}
    for row in rows:
        side = counted_as(row["choice"], blank_abstains)
        if side is None:
            continue
        per = counts.setdefault(row["motion_id"], {})
        area, owners = per.get(side, (ZERO, 0))
        per[side] = (area + to_cents(row["area"]), owners + row["owners"])
    motions = list(meeting.motions.order_by("position", "id"))
    votes = _candidate_votes(meeting) if any(m.is_election for m in motions) else {}
    result = []
    for motion in motions:
        c = counts.get(motion.pk, {})

        def get(choice: str, c=c) -> tuple[Decimal, int]:
            return c.get(choice, (ZERO, 0))

        figures = Figures(
            total_area=total_area,
            total_owners=total_owners,
            agree_area=get(Choice.AGREE)[0],
            agree_owners=get(Choice.AGREE)[1],
            oppose_area=get(Choice.OPPOSE)[0],
            oppose_owners=get(Choice.OPPOSE)[1],
            abstain_area=get(Choice.ABSTAIN)[0],
            abstain_owners=get(Choice.ABSTAIN)[1],
        )
        result.append(_tally(motion, figures, follow_majority, votes.get(motion.pk)))
    return result


def _candidate_votes(meeting: Meeting) -> dict[int, list[tuple[int, str, Decimal, int]]]:
    """Motion id -> (candidate id, name, area, owners) of the counted ballots choosing each
    candidate, in list order. Two queries; the lists are summed here (JSON columns are not
    aggregated alike on every database)."""
    votes: dict[int, dict[int, list]] = {}
    names: dict[int, list[tuple[int, str]]] = {}
    for motion_id, pk, name in (
        Candidate.objects.filter(motion__meeting=meeting)
        .order_by("motion_id", "position", "id")
        .values_list("motion_id", "pk", "name")
    ):
        names.setdefault(motion_id, []).append((pk, name))
        votes.setdefault(motion_id, {})[pk] = [ZERO, 0]
    rows = (
        _counted_ballots(meeting)
        .filter(choice=Choice.SELECTED)
        .values_list("motion_id", "candidates", "roll_entry__area")
    )
    for motion_id, chosen, area in rows.iterator(chunk_size=5000):
        per = votes.get(motion_id, {})
        for pk in chosen:
            if pk in per:
                per[pk][0] += Decimal(area).quantize(CENT)
                per[pk][1] += 1
    return {
        motion_id: [(pk, name, *votes[motion_id][pk]) for pk, name in listed]
        for motion_id, listed in names.items()
    }


def published_tally(meeting: Meeting) -> list[MotionTally]:
    """The results frozen at close (as published), one query for motions and results."""
    follow_majority = follows_majority(meeting)
    tallies = []
    frozen = {
        c.candidate_id: c
        for c in CandidateResult.objects.filter(candidate__motion__meeting=meeting).select_related(
            "candidate"
        )
    }
    for motion in meeting.motions.select_related("result").order_by("position", "id"):
        try:
            r: MotionResult = motion.result
        except MotionResult.DoesNotExist:
            continue
        figures = Figures(
            total_area=r.total_area,
            total_owners=r.total_owners,
            agree_area=r.agree_area,
            agree_owners=r.agree_owners,
            oppose_area=r.oppose_area,
            oppose_owners=r.oppose_owners,
            abstain_area=r.abstain_area,
            abstain_owners=r.abstain_owners,
        )
        votes = sorted(
            (c.candidate.position, c.candidate_id, c.candidate.name, c.yes_area, c.yes_owners)
            for c in frozen.values()
            if c.candidate.motion_id == motion.pk
        )
        tallies.append(_tally(motion, figures, follow_majority, [v[1:] for v in votes]))
    return tallies


def python_tally(meeting: Meeting) -> dict[int, dict[str, tuple[Decimal, int]]]:
    """The same tally done in Python over the fetched rows (benchmark baseline and verification)."""
    out: dict[int, dict[str, tuple[Decimal, int]]] = {}
    blank_abstains = blank_is_abstention(meeting)
    rows = (
        _counted_ballots(meeting)
        .values_list("motion_id", "choice", "roll_entry__area")
        .iterator(chunk_size=5000)
    )
    for motion_id, choice, area in rows:
        side = counted_as(choice, blank_abstains)
        if side is None:
            continue
        per = out.setdefault(motion_id, {})
        a, n = per.get(side, (ZERO, 0))
        per[side] = (a + area, n + 1)
    return out


def recorded_choices(meeting: Meeting) -> dict[int, dict[str, int]]:
    """Owners per motion and recorded choice as cast (blank and invalid kept apart): the strict
    per-motion figures behind the counted ones, for the export. One query."""
    rows = _counted_ballots(meeting).values("motion_id", "choice").annotate(owners=Count("id")).order_by()
    out: dict[int, dict[str, int]] = {}
    for row in rows:
        out.setdefault(row["motion_id"], {})[row["choice"]] = row["owners"]
    return out
