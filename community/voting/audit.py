"""Verification of a meeting: the ballot hash chain, the current-ballot flags, the roll's sums
and the tally (recomputed from the chain, compared with the SQL tally and the results frozen at
close). Used by ``manage.py voting_verify``."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q

from . import selectors, services
from .models import Ballot, CandidateResult, Choice, Meeting, MotionResult, RollEntry


@dataclass
class Report:
    meeting_id: int
    ballots: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def stored_differs(row, fields: dict) -> bool:
    return any(getattr(row, name) != value for name, value in fields.items())


def meeting_verify(meeting: Meeting) -> Report:
    report = Report(meeting_id=meeting.pk)
    prev = services.GENESIS_HASH
    current: dict[tuple[int, int], Ballot] = {}
    ballots = list(Ballot.objects.filter(meeting=meeting).order_by("seq"))
    report.ballots = len(ballots)
    for expected_seq, ballot in enumerate(ballots, start=1):
        if ballot.seq != expected_seq:
            report.problems.append(f"ballot id={ballot.pk}: sequence {ballot.seq}, expected {expected_seq}")
        if ballot.prev_hash != prev:
            report.problems.append(
                f"ballot #{ballot.seq}: previous hash does not match ballot #{ballot.seq - 1}"
            )
        recomputed = services.ballot_hash(ballot)
        if recomputed != ballot.hash:
            report.problems.append(f"ballot #{ballot.seq}: contents do not match its hash (altered)")
        if services.receipt_code_for(ballot.hash) != ballot.receipt_code:
            report.problems.append(f"ballot #{ballot.seq}: receipt code does not match")
        key = (ballot.motion_id, ballot.roll_entry_id)
        held = current.get(key)
        if held is None or services.precedence(
            ballot.channel, ballot.cast_at, ballot.seq
        ) > services.precedence(held.channel, held.cast_at, held.seq):
            current[key] = ballot
        prev = ballot.hash
    current_ids = {b.pk for b in current.values()}
    for ballot in ballots:
        if ballot.superseded == (ballot.pk in current_ids):
            state = "superseded" if ballot.superseded else "current"
            report.problems.append(f"ballot #{ballot.seq}: marked {state}, but the chain says otherwise")

    if meeting.roll_digest and services.roll_digest_compute(meeting) != meeting.roll_digest:
        report.problems.append(
            "the roll differs from the roll frozen at the notice and its recorded corrections"
        )

    entries = {
        e.pk: e
        for e in RollEntry.objects.filter(meeting=meeting).annotate(
            units_area=selectors.area_sum("units__area", filter=Q(units__not_exclusive_part=False))
        )
    }
    for entry in entries.values():
        entry.units_area = selectors.to_cents(entry.units_area)
        if entry.units_area != entry.area:
            report.problems.append(
                f"roll entry {entry.pk}: area {entry.area} ≠ sum of its units {entry.units_area}"
            )

    chain: dict[int, dict[str, tuple[Decimal, int]]] = {}
    blank_abstains = selectors.blank_is_abstention(meeting)
    for (motion_id, entry_id), ballot in current.items():
        entry = entries.get(entry_id)
        side = selectors.counted_as(ballot.choice, blank_abstains)
        if entry is None or entry.excluded or side is None:
            continue
        per = chain.setdefault(motion_id, {})
        area, owners = per.get(side, (Decimal(0), 0))
        per[side] = (area + entry.area, owners + 1)
    total_area = sum((e.area for e in entries.values() if not e.excluded), Decimal(0))
    total_owners = sum(1 for e in entries.values() if not e.excluded)

    # Candidate lists: each candidate's figures from the chain's current ballots.
    chosen: dict[int, tuple[Decimal, int]] = {}
    for (_motion_id, entry_id), ballot in current.items():
        entry = entries.get(entry_id)
        if entry is None or entry.excluded or ballot.choice != Choice.SELECTED:
            continue
        for pk in ballot.candidates:
            area, owners = chosen.get(pk, (Decimal(0), 0))
            chosen[pk] = (area + entry.area, owners + 1)
    frozen = {r.candidate_id: r for r in CandidateResult.objects.filter(candidate__motion__meeting=meeting)}

    results = {r.motion_id: r for r in MotionResult.objects.filter(motion__meeting=meeting)}
    for tally in selectors.meeting_tally(meeting, follow_majority=False):
        f = tally.figures
        per = chain.get(tally.motion_id, {})
        for choice in (Choice.AGREE, Choice.OPPOSE, Choice.ABSTAIN):
            from_chain = per.get(choice, (Decimal(0), 0))
            from_sql = (getattr(f, f"{choice}_area"), getattr(f, f"{choice}_owners"))
            if from_chain != from_sql:
                report.problems.append(
                    f"motion {tally.motion_id} {choice}: chain gives {from_chain}, database tally {from_sql}"
                )
        if (f.total_area, f.total_owners) != (total_area, total_owners):
            report.problems.append(f"motion {tally.motion_id}: roll totals differ")
        for c in tally.candidates:
            if chosen.get(c.candidate_id, (Decimal(0), 0)) != (c.yes_area, c.yes_owners):
                report.problems.append(f"candidate {c.candidate_id}: chain and database tally differ")
            kept = frozen.get(c.candidate_id)
            if kept is not None and stored_differs(kept, c.result_fields()):
                report.problems.append(
                    f"candidate {c.candidate_id}: published result differs from the recount"
                )
        stored = results.get(tally.motion_id)
        if stored is not None:
            for name, value in tally.result_fields().items():
                if getattr(stored, name) != value:
                    report.problems.append(
                        f"motion {tally.motion_id}: published {name} = {getattr(stored, name)}, recomputed {value}"
                    )
    return report
