"""Writes for the owners' assembly: meetings and their one transition table, the frozen roll
and its corrections, proxies, ballots (hash-chained per meeting) and results.

Every function is keyword-only and atomic. Ballots are appended under a lock on the meeting row
(the chain has one head per meeting) and on the roll entry (one current ballot per entry and
motion), so concurrent submissions leave exactly one current ballot and an unbroken chain.
Bad input raises a Django ValidationError (400 in the API); a vote by someone not on the roll
raises PermissionDenied (403).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from community.residents.models import Occupancy, OccupancyRole, Resident, Unit, UnitUsage

from .models import (
    Ballot,
    BallotMode,
    Channel,
    Choice,
    Meeting,
    MeetingStatus,
    Motion,
    MotionAttachment,
    MotionResult,
    ProxyAuthorisation,
    RollCorrection,
    RollCorrectionKind,
    RollEntry,
    RollUnit,
    VotingSettings,
)

NOTICE_MIN_DAYS = 15
WINDOW_MIN_DAYS = 5
WINDOW_MAX_DAYS = 60
GENESIS_HASH = "0" * 64

# The one transition table of a meeting.
TRANSITIONS: dict[str, frozenset[str]] = {
    MeetingStatus.DRAFT: frozenset({MeetingStatus.NOTICED, MeetingStatus.CANCELLED}),
    MeetingStatus.NOTICED: frozenset({MeetingStatus.OPEN, MeetingStatus.CANCELLED}),
    MeetingStatus.OPEN: frozenset({MeetingStatus.CLOSED, MeetingStatus.CANCELLED}),
    MeetingStatus.CLOSED: frozenset({MeetingStatus.PUBLISHED}),
    MeetingStatus.PUBLISHED: frozenset(),
    MeetingStatus.CANCELLED: frozenset(),
}


class TransitionError(ValidationError):
    """An illegal status change (the API answers 409)."""


def _check_transition(meeting: Meeting, to: str) -> None:
    if to not in TRANSITIONS[meeting.status]:
        raise TransitionError(
            _("A meeting cannot go from “%(from)s” to “%(to)s”.")
            % {"from": MeetingStatus(meeting.status).label, "to": MeetingStatus(to).label},
            code="invalid_transition",
        )


def _lock(meeting: Meeting) -> Meeting:
    return Meeting.objects.select_for_update().get(pk=meeting.pk)


def voting_settings_for(estate_id: int) -> VotingSettings:
    found = VotingSettings.objects.filter(estate_id=estate_id).first()
    return found or VotingSettings(estate_id=estate_id)


def proxy_limit_for(meeting: Meeting) -> int:
    if meeting.proxy_principal_limit:
        return meeting.proxy_principal_limit
    return voting_settings_for(meeting.estate_id).proxy_principal_limit


# --- Meetings and motions -----------------------------------------------------------------------


def meeting_schedule_errors(
    *, voting_opens_at: dt.datetime, voting_closes_at: dt.datetime, notice_at: dt.datetime | None
) -> dict[str, list[str]]:
    """Field errors of a schedule: the window is 5–60 days; the notice ≥ 15 days before opening."""
    errors: dict[str, list[str]] = {}
    if voting_opens_at is None or voting_closes_at is None:
        return {"voting_opens_at": [_("Both the opening and the closing time are required.")]}
    window = voting_closes_at - voting_opens_at
    if window < dt.timedelta(days=WINDOW_MIN_DAYS) or window > dt.timedelta(days=WINDOW_MAX_DAYS):
        errors["voting_closes_at"] = [
            _("The voting window must last between %(min)d and %(max)d days; it lasts %(days)s days.")
            % {"min": WINDOW_MIN_DAYS, "max": WINDOW_MAX_DAYS, "days": f"{window.total_seconds() / 86400:g}"}
        ]
    if notice_at is not None and voting_opens_at - notice_at < dt.timedelta(days=NOTICE_MIN_DAYS):
        errors["voting_opens_at"] = [
            _("Voting can open no earlier than %(days)d days after the notice is published (%(earliest)s).")
            % {
                "days": NOTICE_MIN_DAYS,
                "earliest": timezone.localtime(notice_at + dt.timedelta(days=NOTICE_MIN_DAYS)).strftime(
                    "%Y-%m-%d %H:%M"
                ),
            }
        ]
    return errors


@transaction.atomic
def meeting_create(
    *,
    estate,
    title: str,
    voting_opens_at: dt.datetime,
    voting_closes_at: dt.datetime,
    by,
    convenor: str = "owners_committee",
    ballot_mode: str = BallotMode.NAMED,
    description: str = "",
    proxy_principal_limit: int | None = None,
) -> Meeting:
    errors = meeting_schedule_errors(
        voting_opens_at=voting_opens_at, voting_closes_at=voting_closes_at, notice_at=None
    )
    if errors:
        raise ValidationError(errors)
    meeting = Meeting(
        estate=estate,
        title=title,
        description=description,
        convenor=convenor,
        ballot_mode=ballot_mode,
        voting_opens_at=voting_opens_at,
        voting_closes_at=voting_closes_at,
        proxy_principal_limit=proxy_principal_limit,
        created_by=by,
    )
    meeting.full_clean()
    meeting.save()
    return meeting


def _require_draft(meeting: Meeting, what: str) -> None:
    if meeting.status != MeetingStatus.DRAFT:
        raise ValidationError(
            _("%(what)s cannot be changed after the notice is published.") % {"what": what},
            code="after_notice",
        )


@transaction.atomic
def meeting_update(*, meeting: Meeting, **fields) -> Meeting:
    meeting = _lock(meeting)
    _require_draft(meeting, _("The meeting"))
    allowed = {
        "title",
        "description",
        "convenor",
        "ballot_mode",
        "voting_opens_at",
        "voting_closes_at",
        "proxy_principal_limit",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(_("These fields cannot be changed: %(f)s") % {"f": ", ".join(sorted(unknown))})
    for name, value in fields.items():
        setattr(meeting, name, value)
    errors = meeting_schedule_errors(
        voting_opens_at=meeting.voting_opens_at, voting_closes_at=meeting.voting_closes_at, notice_at=None
    )
    if errors:
        raise ValidationError(errors)
    meeting.full_clean()
    meeting.save()
    return meeting


@transaction.atomic
def motion_create(
    *, meeting: Meeting, title: str, text: str, matter: int, position: int | None = None
) -> Motion:
    meeting = _lock(meeting)
    if meeting.status != MeetingStatus.DRAFT:
        raise ValidationError(_("No motion can be added after the notice is published."), code="after_notice")
    if position is None:
        position = meeting.motions.count() + 1
    motion = Motion(meeting=meeting, title=title, text=text, matter=matter, position=position)
    motion.full_clean()
    motion.save()
    return motion


@transaction.atomic
def motion_update(*, motion: Motion, **fields) -> Motion:
    meeting = _lock(motion.meeting)
    _require_draft(meeting, _("A motion"))
    for name in fields:
        if name not in {"title", "text", "matter", "position"}:
            raise ValidationError(_("These fields cannot be changed: %(f)s") % {"f": name})
    motion = Motion.objects.get(pk=motion.pk)
    for name, value in fields.items():
        setattr(motion, name, value)
    motion.full_clean()
    motion.save()
    return motion


@transaction.atomic
def motion_delete(*, motion: Motion) -> None:
    meeting = _lock(motion.meeting)
    _require_draft(meeting, _("A motion"))
    motion.delete()


@transaction.atomic
def motion_attachment_add(*, motion: Motion, file, name: str = "") -> MotionAttachment:
    meeting = _lock(motion.meeting)
    _require_draft(meeting, _("A motion's attachments"))
    attachment = MotionAttachment(motion=motion, file=file, name=name or getattr(file, "name", ""))
    attachment.full_clean()
    attachment.save()
    return attachment


# --- The roll ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Owner:
    pk: int
    user_id: int | None
    phone: str
    name: str

    @property
    def key(self) -> str:
        """One owner across units: by login if any, else by phone, else by the resident record."""
        if self.user_id:
            return f"user:{self.user_id}"
        if self.phone:
            return f"phone:{self.phone}"
        return f"resident:{self.pk}"


@dataclass(frozen=True, slots=True)
class _Unit:
    pk: int
    label: str
    usage: str
    area: Decimal  # voting area: parking spaces carry none
    area_source: str
    developer_owned: bool


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, key: str) -> str:
        self.parent.setdefault(key, key)
        while self.parent[key] != key:
            self.parent[key] = self.parent[self.parent[key]]
            key = self.parent[key]
        return key

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _unit_label(building: str, entrance: str, number: str) -> str:
    # Same text as Unit.label, built from fetched columns (no model instances for 20,000 units).
    return f"{building}-{entrance}单元-{number}" if entrance else f"{building}-{number}"


def _roll_build(meeting: Meeting, on: dt.date) -> int:
    """Freeze the roll from owners' occupancies active on ``on``. Returns the number of entries.

    * each owner person (see ``_Owner.key``) counts once with the area of all their units;
    * co-owners of a unit share one entry (people linked by co-ownership form one entry);
    * the developer's unsold units together form one entry;
    * a unit with no known owner still counts (its own entry, for staff to complete);
    * parking spaces carry zero voting area, and a holder of parking spaces only is no voter.
    """
    units = [
        _Unit(
            pk,
            _unit_label(building, entrance, number),
            usage,
            Decimal(0) if usage == UnitUsage.PARKING else area,
            source,
            developer_owned,
        )
        for pk, building, entrance, number, usage, area, source, developer_owned in (
            Unit.objects.filter(building__estate_id=meeting.estate_id)
            .order_by("building__name", "entrance", "number", "pk")
            .values_list(
                "pk",
                "building__name",
                "entrance",
                "number",
                "usage",
                "exclusive_area",
                "area_source",
                "developer_owned",
            )
        )
    ]
    owners_by_unit: dict[int, list[_Owner]] = defaultdict(list)
    occupancies = (
        Occupancy.objects.active(on)
        .filter(
            unit__building__estate_id=meeting.estate_id,
            role__in=[OccupancyRole.OWNER, OccupancyRole.CO_OWNER],
        )
        .order_by("pk")
        .values_list("unit_id", "resident_id", "resident__user_id", "resident__phone", "resident__name")
    )
    for unit_id, resident_id, user_id, phone, name in occupancies:
        owners_by_unit[unit_id].append(_Owner(resident_id, user_id, str(phone or ""), name))

    uf = _UnionFind()
    unit_group_seed: dict[int, str] = {}
    people: dict[str, dict[int, _Owner]] = defaultdict(dict)
    for unit in units:
        if unit.developer_owned:
            unit_group_seed[unit.pk] = uf.find("developer")
            continue
        owners = owners_by_unit.get(unit.pk, [])
        if not owners:
            unit_group_seed[unit.pk] = uf.find(f"unit:{unit.pk}")
            continue
        first = owners[0].key
        if unit.usage == UnitUsage.PARKING:
            # A parking space is no exclusive part for voting: sharing one must not merge two
            # owners into one head, nor put a space-only holder on the roll. It is listed (at
            # zero area) with its first owner's entry, if that owner has one.
            unit_group_seed[unit.pk] = first
            continue
        for owner in owners:
            people[owner.key][owner.pk] = owner
            uf.union(first, owner.key)
        unit_group_seed[unit.pk] = first
    groups_units: dict[str, list[_Unit]] = defaultdict(list)
    for unit in units:
        groups_units[uf.find(unit_group_seed[unit.pk])].append(unit)
    members: dict[str, list[_Owner]] = defaultdict(list)
    for key, residents in people.items():
        members[uf.find(key)].extend(residents.values())

    rows: list[tuple[str, str, bool, Decimal]] = []
    entry_units: list[list[_Unit]] = []
    entry_members: list[list[_Owner]] = []
    for root, group_units in groups_units.items():
        if all(u.usage == UnitUsage.PARKING for u in group_units):
            continue  # parking spaces carry no voting area: no head count either
        residents = sorted(members.get(root, []), key=lambda r: r.pk)
        if root == "developer":
            name = _("Developer (unsold units)")
        elif residents:
            name = "、".join(dict.fromkeys(r.name for r in residents))
        else:
            name = _("Owner of %(unit)s (unknown)") % {"unit": group_units[0].label}
        rows.append(
            (root, str(name)[:300], root == "developer", sum((u.area for u in group_units), Decimal(0)))
        )
        entry_units.append(group_units)
        entry_members.append(residents)
    entry_ids = _roll_insert_entries(meeting, rows)
    _insert_rows(
        RollUnit,
        ["roll_entry_id", "unit_id", "label", "usage", "area", "area_source"],
        (
            (entry_id, u.pk, u.label, u.usage, u.area, u.area_source)
            for entry_id, group_units in zip(entry_ids, entry_units, strict=True)
            for u in group_units
        ),
    )
    _insert_rows(
        RollEntry.members.through,
        ["rollentry_id", "resident_id"],
        (
            (entry_id, r.pk)
            for entry_id, residents in zip(entry_ids, entry_members, strict=True)
            for r in residents
        ),
    )
    meeting.roll_digest = _roll_digest(
        sorted(
            ((pk, key, dev, area, False) for pk, (key, _name, dev, area) in zip(entry_ids, rows, strict=True))
        ),
        {
            pk: [(u.pk, u.usage, u.area, u.area_source) for u in group_units]
            for pk, group_units in zip(entry_ids, entry_units, strict=True)
        },
        {pk: [r.pk for r in residents] for pk, residents in zip(entry_ids, entry_members, strict=True)},
    )
    Meeting.objects.filter(pk=meeting.pk).update(roll_digest=meeting.roll_digest)
    return len(entry_ids)


CENT = Decimal("0.01")


def _roll_digest(entries, units_of: dict, members_of: dict) -> str:
    """SHA-256 over the roll, in one canonical form whether read from memory or the database.

    ``entries``: (pk, voter_key, is_developer, area, excluded) in pk order; ``units_of``:
    entry pk -> [(unit_id, usage, area, area_source)]; ``members_of``: entry pk -> [resident ids].
    Names are left out: they are display, not voting rights.
    """
    digest = hashlib.sha256()
    for pk, key, developer, area, excluded in entries:
        units = sorted(
            (u, usage, str(Decimal(a).quantize(CENT)), src) for u, usage, a, src in units_of.get(pk, ())
        )
        digest.update(
            json.dumps(
                [
                    pk,
                    key,
                    bool(developer),
                    str(Decimal(area).quantize(CENT)),
                    bool(excluded),
                    units,
                    sorted(members_of.get(pk, ())),
                ],
                separators=(",", ":"),
                ensure_ascii=False,
            ).encode()
        )
        digest.update(b"\n")
    return digest.hexdigest()


def roll_digest_compute(meeting: Meeting) -> str:
    """The digest of the roll as stored now (three queries)."""
    units_of: dict[int, list] = defaultdict(list)
    for entry_id, *unit in RollUnit.objects.filter(roll_entry__meeting=meeting).values_list(
        "roll_entry_id", "unit_id", "usage", "area", "area_source"
    ):
        units_of[entry_id].append(tuple(unit))
    members_of: dict[int, list] = defaultdict(list)
    Through = RollEntry.members.through
    for entry_id, resident_id in Through.objects.filter(rollentry__meeting=meeting).values_list(
        "rollentry_id", "resident_id"
    ):
        members_of[entry_id].append(resident_id)
    entries = (
        RollEntry.objects.filter(meeting=meeting)
        .order_by("pk")
        .values_list("pk", "voter_key", "is_developer", "area", "excluded")
    )
    return _roll_digest(entries, units_of, members_of)


# The roll of a large estate is tens of thousands of rows written inside the notice request.
# On PostgreSQL they go in with COPY (ids drawn from the sequence first), which skips building
# a model instance per row; elsewhere (SQLite, embedded mode) bulk_create in batches.
_BATCH = 2000


def _roll_insert_entries(meeting: Meeting, rows: list[tuple[str, str, bool, Decimal]]) -> list[int]:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [RollEntry._meta.db_table, len(rows)],
            )
            ids = [row[0] for row in cursor.fetchall()]
        _insert_rows(
            RollEntry,
            ["id", "meeting_id", "voter_key", "name", "is_developer", "area", "excluded"],
            (
                (pk, meeting.pk, key, name, dev, area, False)
                for pk, (key, name, dev, area) in zip(ids, rows, strict=True)
            ),
        )
        return ids
    created = RollEntry.objects.bulk_create(
        [
            RollEntry(meeting=meeting, voter_key=key, name=name, is_developer=dev, area=area)
            for key, name, dev, area in rows
        ],
        batch_size=_BATCH,
    )
    return [entry.pk for entry in created]


def _insert_rows(model, columns: list[str], rows) -> None:
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(model._meta.db_table)
        names = ", ".join(
            connection.ops.quote_name(
                model._meta.get_field(c.removesuffix("_id")).column if c != "id" else "id"
            )
            for c in columns
        )
        with (
            connection.cursor() as cursor,
            cursor.connection.cursor().copy(f"COPY {table} ({names}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return
    batch = []
    for row in rows:
        batch.append(model(**dict(zip(columns, row, strict=True))))
        if len(batch) >= _BATCH:
            model.objects.bulk_create(batch)
            batch = []
    if batch:
        model.objects.bulk_create(batch)


def _roll_member_users(meeting: Meeting):
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(resident_records__roll_entries__meeting=meeting, is_active=True)
        .distinct()
    )


def meeting_notify_roll(*, meeting_id: int, kind: str) -> int:
    """Tell every owner on the roll (with a login) about the notice or the published results.

    Run by the ``voting.notify_roll`` task after the commit: a roll of 20,000 owners is 20,000
    inbox rows and pushes, which must not lengthen the request that froze the roll.
    """
    from community.notifications.services import notification_send

    meeting = Meeting.objects.select_related("estate").get(pk=meeting_id)
    if kind == "notice":
        verb, title = "voting.notice", _("Owners' assembly notice: %(t)s") % {"t": meeting.title}
    else:
        verb, title = "voting.results", _("Results published: %(t)s") % {"t": meeting.title}
    return len(
        notification_send(
            recipients=_roll_member_users(meeting),
            verb=verb,
            title=title,
            url=f"/portal/voting/{meeting.pk}/",
            estate=meeting.estate,
        )
    )


def _notify(meeting: Meeting, kind: str) -> None:
    from .tasks import notify_roll

    notify_roll.delay_on_commit(meeting.pk, kind)


@transaction.atomic
def meeting_publish_notice(*, meeting: Meeting, by, now: dt.datetime | None = None) -> Meeting:
    """Publish the notice (公告) and freeze the roll as of the notice date."""
    now = now or timezone.now()
    meeting = _lock(meeting)
    _check_transition(meeting, MeetingStatus.NOTICED)
    if not meeting.motions.exists():
        raise ValidationError(_("Add at least one motion before publishing the notice."))
    errors = meeting_schedule_errors(
        voting_opens_at=meeting.voting_opens_at, voting_closes_at=meeting.voting_closes_at, notice_at=now
    )
    if errors:
        raise ValidationError(errors)
    meeting.status = MeetingStatus.NOTICED
    meeting.notice_published_at = now
    meeting.save(update_fields=["status", "notice_published_at"])
    _roll_build(meeting, timezone.localtime(now).date())
    _notify(meeting, "notice")
    return meeting


@transaction.atomic
def roll_correct(
    *,
    roll_entry: RollEntry,
    kind: str,
    reason: str,
    by,
    roll_unit: RollUnit | None = None,
    area: Decimal | None = None,
    resident: Resident | None = None,
    now: dt.datetime | None = None,
) -> RollCorrection:
    """Correct the frozen roll, with a recorded reason, until voting opens.

    "Until opening" is the scheduled time, not the status: the status moves only when
    ``meetings_advance`` runs, and a correction after the scheduled opening would change the
    roll under ballots that may already be legitimately expected.
    """
    now = now or timezone.now()
    meeting = _lock(roll_entry.meeting)
    if meeting.status != MeetingStatus.NOTICED or now >= meeting.voting_opens_at:
        raise ValidationError(
            _("The roll can be corrected only after the notice and before voting opens."), code="roll_closed"
        )
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("Give the reason for the correction.")]})
    entry = RollEntry.objects.select_for_update().get(pk=roll_entry.pk)
    before: dict = {}
    after: dict = {}
    if kind == RollCorrectionKind.AREA:
        if roll_unit is None or roll_unit.roll_entry_id != entry.pk:
            raise ValidationError({"roll_unit": [_("Choose one of this entry's units.")]})
        # The caller's instance may be stale (an earlier correction): the entry's area is
        # adjusted by the difference, so it must be the stored area.
        roll_unit = RollUnit.objects.select_for_update().get(pk=roll_unit.pk)
        if area is None or Decimal(area) < 0:
            raise ValidationError({"area": [_("Give the corrected area (0 or more).")]})
        area = Decimal(area).quantize(Decimal("0.01"))
        if roll_unit.usage == UnitUsage.PARKING and area != 0:
            raise ValidationError({"area": [_("Parking spaces carry no voting area.")]})
        before = {"unit": roll_unit.label, "area": str(roll_unit.area)}
        after = {"unit": roll_unit.label, "area": str(area)}
        RollUnit.objects.filter(pk=roll_unit.pk).update(area=area)
        entry.area = entry.area - roll_unit.area + area
        entry.save(update_fields=["area"])
    elif kind in (RollCorrectionKind.EXCLUDE, RollCorrectionKind.RESTORE):
        excluded = kind == RollCorrectionKind.EXCLUDE
        if entry.excluded == excluded:
            raise ValidationError(_("The entry is already in that state."))
        before, after = {"excluded": entry.excluded}, {"excluded": excluded}
        entry.excluded = excluded
        entry.save(update_fields=["excluded"])
    elif kind in (RollCorrectionKind.ADD_MEMBER, RollCorrectionKind.REMOVE_MEMBER):
        if resident is None or resident.estate_id != meeting.estate_id:
            raise ValidationError({"resident": [_("Choose a resident of this estate.")]})
        current = set(entry.members.values_list("pk", flat=True))
        if kind == RollCorrectionKind.ADD_MEMBER:
            if RollEntry.objects.filter(meeting=meeting, members=resident).exists():
                raise ValidationError({"resident": [_("This resident is already on the roll.")]})
            entry.members.add(resident)
        else:
            if resident.pk not in current:
                raise ValidationError({"resident": [_("This resident is not in this entry.")]})
            entry.members.remove(resident)
        before = {"members": sorted(current)}
        after = {"members": sorted(entry.members.values_list("pk", flat=True))}
    else:
        raise ValidationError({"kind": [_("Unknown correction.")]})
    meeting.roll_digest = roll_digest_compute(meeting)
    meeting.save(update_fields=["roll_digest"])
    return RollCorrection.objects.create(
        meeting=meeting, roll_entry=entry, kind=kind, reason=reason.strip(), before=before, after=after, by=by
    )


# --- Opening, closing, publishing -----------------------------------------------------------------


@transaction.atomic
def meeting_open(*, meeting: Meeting, by, now: dt.datetime | None = None) -> Meeting:
    now = now or timezone.now()
    meeting = _lock(meeting)
    _check_transition(meeting, MeetingStatus.OPEN)
    if now < meeting.voting_opens_at:
        raise ValidationError(
            _("Voting opens at %(at)s, not before.")
            % {"at": timezone.localtime(meeting.voting_opens_at).strftime("%Y-%m-%d %H:%M")}
        )
    meeting.status = MeetingStatus.OPEN
    meeting.save(update_fields=["status"])
    return meeting


@transaction.atomic
def meeting_close(*, meeting: Meeting, by, now: dt.datetime | None = None) -> Meeting:
    """Close voting and freeze each motion's result (MotionResult)."""
    from .selectors import meeting_tally

    now = now or timezone.now()
    meeting = _lock(meeting)
    _check_transition(meeting, MeetingStatus.CLOSED)
    if now < meeting.voting_closes_at:
        raise ValidationError(
            _("Voting closes at %(at)s, not before.")
            % {"at": timezone.localtime(meeting.voting_closes_at).strftime("%Y-%m-%d %H:%M")}
        )
    meeting.status = MeetingStatus.CLOSED
    meeting.save(update_fields=["status"])
    head = (
        Ballot.objects.filter(meeting=meeting).order_by("-seq").values_list("hash", flat=True).first() or ""
    )
    for tally in meeting_tally(meeting):
        MotionResult.objects.update_or_create(
            motion_id=tally.motion_id,
            defaults={
                **tally.result_fields(),
                "chain_head": head,
                "computed_at": now,
            },
        )
    return meeting


@transaction.atomic
def meeting_publish_results(*, meeting: Meeting, by, now: dt.datetime | None = None) -> Meeting:
    now = now or timezone.now()
    meeting = _lock(meeting)
    _check_transition(meeting, MeetingStatus.PUBLISHED)
    meeting.status = MeetingStatus.PUBLISHED
    meeting.results_published_at = now
    meeting.save(update_fields=["status", "results_published_at"])
    _notify(meeting, "results")
    return meeting


@transaction.atomic
def meeting_cancel(*, meeting: Meeting, by) -> Meeting:
    meeting = _lock(meeting)
    _check_transition(meeting, MeetingStatus.CANCELLED)
    meeting.status = MeetingStatus.CANCELLED
    meeting.save(update_fields=["status"])
    return meeting


# --- Proxies and ballots ---------------------------------------------------------------------------


@transaction.atomic
def proxy_authorise(
    *, meeting: Meeting, principal: RollEntry, proxy_name: str, proxy_key: str, document, by
) -> ProxyAuthorisation:
    """Record a written authorisation; one proxy may hold at most N principals (3 by default)."""
    meeting = _lock(meeting)
    if meeting.status not in (MeetingStatus.NOTICED, MeetingStatus.OPEN):
        raise ValidationError(_("Proxies can be recorded only between the notice and the close of voting."))
    if principal.meeting_id != meeting.pk or principal.excluded:
        raise ValidationError({"principal": [_("The principal is not on this meeting's roll.")]})
    proxy_key = "".join((proxy_key or "").split()).upper()
    if not proxy_key or not (proxy_name or "").strip():
        raise ValidationError({"proxy_key": [_("Give the proxy's name and ID number (or phone).")]})
    if document is None:
        raise ValidationError({"document": [_("Upload the signed written authorisation.")]})
    if ProxyAuthorisation.objects.filter(meeting=meeting, principal=principal).exists():
        raise ValidationError({"principal": [_("This owner has already appointed a proxy.")]})
    limit = proxy_limit_for(meeting)
    held = ProxyAuthorisation.objects.filter(meeting=meeting, proxy_key=proxy_key).count()
    if held >= limit:
        raise ValidationError(
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


def canonical_ballot(ballot: Ballot) -> str:
    """The fields a ballot's hash covers, in one canonical JSON form."""
    return json.dumps(
        {
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
        },
        sort_keys=True,
        separators=(",", ":"),
    )


def ballot_hash(ballot: Ballot) -> str:
    return hashlib.sha256(f"{ballot.prev_hash}\n{canonical_ballot(ballot)}".encode()).hexdigest()


def receipt_code_for(ballot_hash_hex: str) -> str:
    """Unguessable (keyed with SECRET_KEY), short enough to read out: XXXX-XXXX-XXXX-XXXX."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"voting-receipt:{ballot_hash_hex}".encode(), hashlib.sha256
    ).digest()
    code = base64.b32encode(digest).decode()[:16]
    return "-".join(code[i : i + 4] for i in range(0, 16, 4))


@transaction.atomic
def ballot_cast(
    *,
    motion: Motion,
    roll_entry: RollEntry,
    choice: str,
    channel: str,
    by,
    proxy: ProxyAuthorisation | None = None,
    now: dt.datetime | None = None,
) -> Ballot:
    """Cast (or change) the roll entry's ballot on a motion; the newest ballot counts."""
    now = now or timezone.now()
    meeting = _lock(motion.meeting)  # the chain's head: one append at a time per meeting
    entry = RollEntry.objects.select_for_update().get(pk=roll_entry.pk)
    if meeting.status != MeetingStatus.OPEN or not (
        meeting.voting_opens_at <= now < meeting.voting_closes_at
    ):
        raise ValidationError(_("Voting on this meeting is not open."), code="not_open")
    if entry.meeting_id != meeting.pk or entry.excluded:
        raise PermissionDenied(_("This owner is not on the roll of this meeting."))
    if choice not in Choice.values:
        raise ValidationError({"choice": [_("Choose agree, oppose or abstain.")]})
    if channel not in Channel.values:
        raise ValidationError({"channel": [_("Unknown channel.")]})
    if channel == Channel.PROXY:
        if proxy is None or proxy.meeting_id != meeting.pk or proxy.principal_id != entry.pk:
            raise ValidationError({"proxy": [_("A proxy ballot needs this owner's written authorisation.")]})
    elif proxy is not None:
        raise ValidationError({"proxy": [_("Only a proxy ballot carries an authorisation.")]})

    Ballot.objects.filter(motion=motion, roll_entry=entry, superseded=False).update(superseded=True)
    last = Ballot.objects.filter(meeting=meeting).order_by("-seq").values("seq", "hash").first()
    ballot = Ballot(
        meeting=meeting,
        motion=motion,
        roll_entry=entry,
        choice=choice,
        channel=channel,
        proxy=proxy,
        cast_by=by,
        cast_at=now,
        seq=(last["seq"] + 1) if last else 1,
        prev_hash=last["hash"] if last else GENESIS_HASH,
        nonce=secrets.token_hex(16),
    )
    ballot.hash = ballot_hash(ballot)
    ballot.receipt_code = receipt_code_for(ballot.hash)
    ballot.save()
    return ballot


def roll_entry_for_user(meeting: Meeting, user) -> RollEntry | None:
    if not user.is_authenticated:
        return None
    return (
        RollEntry.objects.filter(meeting=meeting, excluded=False, members__user=user).order_by("pk").first()
    )


def not_on_roll_message() -> str:
    return _("Only owners on this meeting's roll can vote; tenants and family members cannot vote.")


@transaction.atomic
def ballot_cast_by_owner(*, user, motion: Motion, choice: str, now: dt.datetime | None = None) -> Ballot:
    """An owner votes in the portal for their own roll entry."""
    entry = roll_entry_for_user(motion.meeting, user)
    if entry is None:
        raise PermissionDenied(not_on_roll_message())
    return ballot_cast(
        motion=motion, roll_entry=entry, choice=choice, channel=Channel.PORTAL, by=user, now=now
    )


def meetings_advance(*, now: dt.datetime | None = None) -> tuple[int, int]:
    """Open meetings whose voting time has come and close those whose time is up.

    Each step is its own service call (own transaction and checks), so one meeting that
    cannot move does not hold back the others. Returns (opened, closed).
    """
    now = now or timezone.now()
    opened = closed = 0
    for meeting in Meeting.objects.filter(status=MeetingStatus.NOTICED, voting_opens_at__lte=now):
        meeting_open(meeting=meeting, by=None, now=now)
        opened += 1
    for meeting in Meeting.objects.filter(status=MeetingStatus.OPEN, voting_closes_at__lte=now):
        meeting_close(meeting=meeting, by=None, now=now)
        closed += 1
    return opened, closed
