"""Ballots: the hash chain, precedence between an owner's ballots, owners voting in the portal
(a whole ballot at once), proxies, and the notice to co-owners when their entry's ballot changes.

Ballots are appended under a lock on the meeting row (the chain has one head per meeting) and
on the roll entry (one current ballot per entry and motion), so concurrent submissions leave
exactly one current ballot and an unbroken chain.

Precedence (``precedence``): the owner's own ballot (portal or own paper) always beats a
proxy's — it revokes the authorisation; between ballots of the same standing the one whose
intention was expressed later counts (``cast_at``: submission or receipt time), whatever the
order they were keyed in; the chain order breaks exact ties.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from community.errors import NotAllowed, ServiceError, TransitionRefused
from community.notifications.services import notification_send

from .. import messages
from ..heads import normalise_id_number
from ..models import (
    Ballot,
    Channel,
    Choice,
    Meeting,
    Motion,
    ProxyAuthorisation,
    RollEntry,
)
from ..transitions import MeetingStatus
from .answers import answer_for, candidate_ids_of
from .common import KEY_PROXY, lock, proxy_limit_for, require_permission

GENESIS_HASH = "0" * 64
RECEIPT_LENGTH = 16
RECEIPT_GROUP = 4
NONCE_BYTES = 16
OWN_BALLOT, PROXY_BALLOT = 1, 0


def canonical_ballot(ballot: Ballot) -> str:
    """The fields a ballot's hash covers, in one canonical JSON form (the chosen candidates only
    where there are some, so ballots hashed before candidate lists existed keep their hash)."""
    fields = {
        "meeting": ballot.meeting_id,
        "seq": ballot.seq,
        "motion": ballot.motion_id,
        "roll_entry": ballot.roll_entry_id,
        "choice": ballot.choice,
        "channel": ballot.channel,
        "proxy": ballot.proxy_id,
        "cast_by": ballot.cast_by_id,
        "cast_at": ballot.cast_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "nonce": ballot.nonce,
    }
    if ballot.candidates:
        fields["candidates"] = sorted(int(c) for c in ballot.candidates)
    return json.dumps(fields, sort_keys=True, separators=(",", ":"))


def ballot_hash(ballot: Ballot) -> str:
    return hashlib.sha256(f"{ballot.prev_hash}\n{canonical_ballot(ballot)}".encode()).hexdigest()


def receipt_code_for(ballot_hash_hex: str) -> str:
    """Unguessable (keyed with SECRET_KEY), short enough to read out: XXXX-XXXX-XXXX-XXXX."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"voting-receipt:{ballot_hash_hex}".encode(), hashlib.sha256
    ).digest()
    code = base64.b32encode(digest).decode()[:RECEIPT_LENGTH]
    return "-".join(code[i : i + RECEIPT_GROUP] for i in range(0, RECEIPT_LENGTH, RECEIPT_GROUP))


def precedence(channel: str, cast_at: dt.datetime, seq: int) -> tuple:
    """The order in which an entry's ballots on one motion beat each other (highest counts)."""
    return (PROXY_BALLOT if channel == Channel.PROXY else OWN_BALLOT, cast_at, seq)


def check_entry(meeting: Meeting, entry: RollEntry) -> None:
    if entry.meeting_id != meeting.pk or entry.excluded:
        raise NotAllowed(_("This owner is not on the roll of this meeting."), code="not_on_roll")
    if not entry.is_developer and not entry.members.exists():
        raise ServiceError(
            _("This entry has no verified owner: correct its identity before it takes a ballot."),
            code="owner_unknown",
        )


def _active_proxy(entry: RollEntry) -> ProxyAuthorisation | None:
    return ProxyAuthorisation.objects.filter(principal=entry, revoked_at__isnull=True).first()


def append(
    *,
    meeting: Meeting,
    motion: Motion,
    entry: RollEntry,
    choice: str,
    channel: str,
    by,
    cast_at: dt.datetime,
    proxy: ProxyAuthorisation | None = None,
    paper=None,
    candidates: list[int] | None = None,
) -> Ballot:
    """Append one ballot to the chain; it counts if it wins on ``precedence``.

    Callers hold the meeting lock and have checked the window and the entry.
    """
    if choice not in Choice.values:
        raise ServiceError({"choice": [_("Choose agree, oppose or abstain.")]})
    last = Ballot.objects.filter(meeting=meeting).order_by("-seq").values("seq", "hash").first()
    seq = (last["seq"] + 1) if last else 1
    current = Ballot.objects.filter(motion=motion, roll_entry=entry, superseded=False).first()
    counts = current is None or precedence(channel, cast_at, seq) > precedence(
        current.channel, current.cast_at, current.seq
    )
    if counts and current is not None:
        Ballot.objects.filter(pk=current.pk).update(superseded=True)
    ballot = Ballot(
        meeting=meeting,
        motion=motion,
        roll_entry=entry,
        choice=choice,
        candidates=sorted(candidates or []),
        channel=channel,
        proxy=proxy,
        paper=paper,
        cast_by=by,
        cast_at=cast_at,
        superseded=not counts,
        seq=seq,
        prev_hash=last["hash"] if last else GENESIS_HASH,
        nonce=secrets.token_hex(NONCE_BYTES),
    )
    ballot.hash = ballot_hash(ballot)
    ballot.receipt_code = receipt_code_for(ballot.hash)
    ballot.save()
    return ballot


def revoke_proxy_by_own_ballot(entry: RollEntry, by, now: dt.datetime) -> None:
    """The owner's own ballot revokes the proxy's authorisation (and outranks its ballots)."""
    ProxyAuthorisation.objects.filter(principal=entry, revoked_at__isnull=True).update(
        revoked_at=now, revoked_by=by
    )


def notify_co_owners(*, entry: RollEntry, by, cast_by_name: str, motions: int) -> None:
    """The other owners of an entry hear whenever its ballot changes, and who cast it."""
    meeting = entry.meeting
    recipients = [m.user for m in entry.members.select_related("user") if m.user_id and m.user_id != by.pk]
    if not recipients:
        return
    notification_send(
        recipients=recipients,
        verb="voting.ballot_changed",
        message=messages.BALLOT_CHANGED,
        params={"t": meeting.title, "who": cast_by_name, "n": motions},
        url=reverse("portal-voting:ballots", args=[meeting.pk]),
        estate=meeting.estate,
    )


# --- Owners in the portal ---------------------------------------------------------------------------


def roll_entries_for_user(meeting: Meeting, user) -> list[RollEntry]:
    """Every entry the user is a member of (a person may be in several owner sets)."""
    if not user.is_authenticated:
        return []
    return list(RollEntry.objects.filter(meeting=meeting, excluded=False, members__user=user).order_by("pk"))


def roll_entry_for_user(meeting: Meeting, user, entry_id: int | None = None) -> RollEntry | None:
    entries = roll_entries_for_user(meeting, user)
    if entry_id is not None:
        return next((e for e in entries if e.pk == entry_id), None)
    if len(entries) > 1:
        raise ServiceError(
            {"entry": [_("You are an owner in several entries: choose which one this ballot is for.")]},
            code="choose_entry",
        )
    return entries[0] if entries else None


def not_on_roll_message() -> str:
    return _("Only owners on this meeting's roll can vote; tenants and family members cannot vote.")


def _open_now(meeting: Meeting, now: dt.datetime) -> None:
    if meeting.status != MeetingStatus.OPEN or not (
        meeting.voting_opens_at <= now < meeting.voting_closes_at
    ):
        raise TransitionRefused(_("Voting on this meeting is not open."), code="not_open")


def _member_name(entry: RollEntry, user) -> str:
    member = entry.members.filter(user=user).first()
    return member.name if member else str(user)


@transaction.atomic
def ballot_cast_by_owner(
    *, user, motion: Motion, choice: str, entry_id: int | None = None, now: dt.datetime | None = None
) -> Ballot:
    """An owner votes in the portal on one motion for their own roll entry."""
    return ballot_submit_by_owner(
        user=user,
        meeting=motion.meeting,
        choices={motion.pk: choice},
        entry_id=entry_id,
        now=now,
        partial=True,
    )[0]


@transaction.atomic
def ballot_submit_by_owner(
    *,
    user,
    meeting: Meeting,
    choices: dict[int, str],
    entry_id: int | None = None,
    now: dt.datetime | None = None,
    partial: bool = False,
) -> list[Ballot]:
    """An owner submits the whole ballot: every motion takes part; unanswered ones are blank
    (an abstention where the estate counts blanks so, as by default). ``partial`` (the one-motion
    API) records only the motions given."""
    now = now or timezone.now()
    meeting = lock(meeting)
    entry = roll_entry_for_user(meeting, user, entry_id)
    if entry is None:
        raise NotAllowed(not_on_roll_message(), code="not_on_roll")
    entry = RollEntry.objects.select_for_update().get(pk=entry.pk)
    _open_now(meeting, now)
    check_entry(meeting, entry)
    motions = {m.pk: m for m in meeting.motions.order_by("position", "id")}
    unknown = set(choices) - set(motions)
    if unknown:
        raise ServiceError(
            {"choices": [_("These motions are not on this ballot: %(ids)s") % {"ids": sorted(unknown)}]}
        )
    lists = candidate_ids_of(meeting)
    answers = {
        pk: answer_for(motions[pk], value, lists.get(pk, frozenset()), paper=False)
        for pk, value in choices.items()
    }
    if partial and any(choice == Choice.BLANK for choice, _ids in answers.values()):
        raise ServiceError({"choice": [_("Choose agree, oppose or abstain.")]})
    if not partial:
        answers = {pk: answers.get(pk, (Choice.BLANK, [])) for pk in motions}
    ballots = [
        append(
            meeting=meeting,
            motion=motions[pk],
            entry=entry,
            choice=choice,
            candidates=ids,
            channel=Channel.PORTAL,
            by=user,
            cast_at=now,
        )
        for pk, (choice, ids) in answers.items()
    ]
    revoke_proxy_by_own_ballot(entry, user, now)
    notify_co_owners(entry=entry, by=user, cast_by_name=_member_name(entry, user), motions=len(ballots))
    return ballots


# --- Proxies ------------------------------------------------------------------------------------------


@transaction.atomic
def proxy_authorise(
    *,
    meeting: Meeting,
    principal: RollEntry,
    proxy_name: str,
    proxy_key: str,
    document,
    by,
    replace: bool = False,
    now: dt.datetime | None = None,
) -> ProxyAuthorisation:
    """Record a written authorisation; one proxy (a person, by ID number) may hold at most N
    principals (3 by default). ``replace`` revokes the principal's current authorisation first."""
    now = now or timezone.now()
    require_permission(by, meeting.estate_id, KEY_PROXY)
    meeting = lock(meeting)
    if meeting.status not in (MeetingStatus.NOTICED, MeetingStatus.OPEN):
        raise TransitionRefused(_("Proxies can be recorded only between the notice and the close of voting."))
    if principal.meeting_id != meeting.pk or principal.excluded:
        raise ServiceError({"principal": [_("The principal is not on this meeting's roll.")]})
    proxy_key = normalise_id_number(proxy_key)
    if not proxy_key or not (proxy_name or "").strip():
        raise ServiceError({"proxy_key": [_("Give the proxy's name and ID number.")]})
    if document is None:
        raise ServiceError({"document": [_("Upload the signed written authorisation.")]})
    current = _active_proxy(principal)
    if current is not None:
        if not replace:
            raise ServiceError({"principal": [_("This owner has already appointed a proxy.")]})
        current.revoked_at, current.revoked_by = now, by
        current.save(update_fields=["revoked_at", "revoked_by"])
    limit = proxy_limit_for(meeting)
    held = ProxyAuthorisation.objects.filter(
        meeting=meeting, proxy_key=proxy_key, revoked_at__isnull=True
    ).count()
    if held >= limit:
        raise ServiceError(
            {
                "proxy_key": [
                    _("This proxy already represents %(n)d owners; at most %(limit)d are allowed.")
                    % {"n": held, "limit": limit}
                ]
            }
        )
    proxy = ProxyAuthorisation(
        meeting=meeting,
        principal=principal,
        proxy_name=proxy_name.strip(),
        proxy_key=proxy_key,
        document=document,
        created_by=by,
    )
    proxy.full_clean()
    proxy.save()
    return proxy


@transaction.atomic
def proxy_revoke(*, proxy: ProxyAuthorisation, by, now: dt.datetime | None = None) -> ProxyAuthorisation:
    """The owner revokes the authorisation (in writing, at the office): the proxy's later
    ballots are refused; ballots already cast stay until the owner votes."""
    now = now or timezone.now()
    require_permission(by, proxy.meeting.estate_id, KEY_PROXY)
    lock(proxy.meeting)
    proxy = ProxyAuthorisation.objects.select_for_update().get(pk=proxy.pk)
    if proxy.revoked_at is not None:
        raise TransitionRefused(_("This authorisation is already revoked."), code="already_revoked")
    proxy.revoked_at, proxy.revoked_by = now, by
    proxy.save(update_fields=["revoked_at", "revoked_by"])
    return proxy
