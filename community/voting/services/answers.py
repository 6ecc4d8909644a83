"""What one answer on a ballot means: a choice on a yes/no motion, or the chosen candidates of
an election (blank, spoiled and over-marked lists included). Shared by the portal, the API and
the paper ballots keyed in by the desk, so all three read a sheet the same way."""

from __future__ import annotations

from django.utils.translation import gettext as _

from community.errors import ServiceError

from ..models import OWNER_CHOICES, Candidate, Choice, Meeting, Motion


def candidate_ids_of(meeting: Meeting) -> dict[int, frozenset[int]]:
    """Election motion id -> the ids of its candidates (one query)."""
    found: dict[int, set[int]] = {}
    for motion_id, pk in Candidate.objects.filter(motion__meeting=meeting).values_list("motion_id", "pk"):
        found.setdefault(motion_id, set()).add(pk)
    return {k: frozenset(v) for k, v in found.items()}


def answer_for(motion: Motion, value, candidate_ids: frozenset[int], *, paper: bool) -> tuple[str, list[int]]:
    """(choice, chosen candidates) for one motion's answer as given.

    Yes/no motions take agree / oppose / abstain (paper also invalid); nothing is blank. An
    election takes a list of its candidates (none chosen: blank) or abstain. More candidates
    than seats: the portal refuses the ballot; on paper the item is spoiled, recorded invalid
    (an abstention)."""
    if isinstance(value, list | tuple | set | frozenset):
        if not motion.is_election:
            raise ServiceError(
                {
                    "choices": [
                        _("“%(t)s” is not an election: choose agree, oppose or abstain.")
                        % {"t": motion.title}
                    ]
                }
            )
        try:
            ids = sorted({int(v) for v in value})
        except (TypeError, ValueError):
            ids = None
        if ids is None or not set(ids) <= candidate_ids:
            raise ServiceError(
                {"choices": [_("Choose candidates listed for “%(t)s”.") % {"t": motion.title}]}
            )
        if not ids:
            return Choice.BLANK, []
        if len(ids) > motion.seats:
            if paper:
                return Choice.INVALID, []
            raise ServiceError(
                {
                    "choices": [
                        _("Choose at most %(n)d candidate(s) for “%(t)s”.")
                        % {"n": motion.seats, "t": motion.title}
                    ]
                }
            )
        return Choice.SELECTED, ids
    value = value or Choice.BLANK
    allowed = set(OWNER_CHOICES) | {Choice.BLANK} | ({Choice.INVALID} if paper else set())
    if motion.is_election:
        allowed -= {Choice.AGREE, Choice.OPPOSE}
    if value not in allowed:
        if motion.is_election:
            message = _("For “%(t)s” choose up to %(n)d candidate(s), or abstain.") % {
                "t": motion.title,
                "n": motion.seats,
            }
            raise ServiceError({"choices": [message]})
        raise ServiceError({"choice": [_("Choose agree, oppose or abstain.")]})
    return value, []
