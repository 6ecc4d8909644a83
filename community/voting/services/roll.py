"""The frozen roll: built at the notice from the units in the meeting's scope (``voting.heads``
decides who is one head), its digest, the duplicate check that blocks the notice (with staff's
recorded decisions), and the notifications to everyone on it. Corrections: ``corrections``."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from community.errors import ServiceError, TransitionRefused
from community.notifications.services import notification_send
from community.residents.models import Occupancy, OccupancyRole, Unit, UnitUsage

from .. import messages
from ..heads import DEVELOPER_KEY, Part, Person, group_heads, normalise_id_number, owner_identity
from ..models import (
    IdentityDecision,
    Meeting,
    MeetingEventType,
    RollEntry,
    RollUnit,
)
from ..transitions import MeetingStatus
from .common import event_record, lock, require_permission, voting_settings_for

CENT = Decimal("0.01")
OWNER_ROLES = (OccupancyRole.OWNER, OccupancyRole.CO_OWNER)
NAME_MAX = 300
# The roll of a large estate is tens of thousands of rows written inside the notice request.
# On PostgreSQL they go in with COPY (ids drawn from the sequence first), which skips building
# a model instance per row; elsewhere (SQLite, embedded mode) bulk_create in batches.
BATCH = 2000


def _unit_label(building: str, entrance: str, number: str) -> str:
    # Same text as Unit.label, built from fetched columns (no model instances for 20,000 units).
    return f"{building}-{entrance}单元-{number}" if entrance else f"{building}-{number}"


def scope_q(meeting: Meeting, prefix: str = "") -> Q:
    """Units in the meeting's scope: the exclusive parts of its chosen buildings and chosen
    entrances (单元), else of the whole estate."""
    buildings = list(meeting.scope_buildings.values_list("pk", flat=True))
    entrances = list(meeting.scope_entrances.values_list("building_id", "entrance"))
    if not buildings and not entrances:
        return Q(**{f"{prefix}building__estate_id": meeting.estate_id})
    q = Q(**{f"{prefix}building_id__in": buildings}) if buildings else Q(pk__in=[])
    for building_id, entrance in entrances:
        q |= Q(**{f"{prefix}building_id": building_id, f"{prefix}entrance": entrance})
    # Never outside the estate, whatever was stored.
    return q & Q(**{f"{prefix}building__estate_id": meeting.estate_id})


def _owners_in_scope(meeting: Meeting, on: dt.date) -> dict[int, list[Person]]:
    owners_of: dict[int, list[Person]] = defaultdict(list)
    rows = (
        Occupancy.objects.active(on)
        .filter(scope_q(meeting, "unit__"), role__in=OWNER_ROLES)
        .order_by("pk")
        .values_list(
            "unit_id",
            "resident_id",
            "resident__name",
            "resident__id_number",
            "resident__user_id",
            "resident__phone",
        )
    )
    for unit_id, pk, name, id_number, user_id, phone in rows:
        owners_of[unit_id].append(Person(pk, name, id_number or "", user_id, str(phone or "")))
    return owners_of


# --- Possible duplicates ---------------------------------------------------------------------------


def duplicate_groups(meeting: Meeting, on: dt.date) -> dict[str, list[int]]:
    """Owner records in scope that may be one person: same ID number, or same name and phone.

    Keys: "id:<number>" / "name_phone:<name>|<phone>"; values: sorted resident ids (≥ 2).
    """
    people = {p.pk: p for owners in _owners_in_scope(meeting, on).values() for p in owners}
    groups: dict[str, set[int]] = defaultdict(set)
    for person in people.values():
        id_number = normalise_id_number(person.id_number)
        if id_number:
            groups[f"id:{id_number}"].add(person.pk)
        if person.phone and person.name.strip():
            groups[f"name_phone:{person.name.strip()}|{person.phone}"].add(person.pk)
    return {key: sorted(ids) for key, ids in sorted(groups.items()) if len(ids) > 1}


def duplicates_undecided(meeting: Meeting, on: dt.date) -> dict[str, list[int]]:
    """The groups without a staff decision on exactly these records."""
    decided = {d.key: d.residents for d in IdentityDecision.objects.filter(meeting=meeting)}
    return {k: ids for k, ids in duplicate_groups(meeting, on).items() if decided.get(k) != ids}


@transaction.atomic
def identity_decide(
    *, meeting: Meeting, key: str, same_person: bool, reason: str, by, on: dt.date | None = None
) -> IdentityDecision:
    """Record staff's decision on one group of possible duplicates (before the notice)."""
    require_permission(by, meeting.estate_id, "voting.add_identitydecision")
    meeting = lock(meeting)
    if meeting.status != MeetingStatus.DRAFT:
        raise TransitionRefused(_("Decisions on duplicates are made before the notice."), code="after_notice")
    if not (reason or "").strip():
        raise ServiceError({"reason": [_("Give the reason for the decision.")]})
    groups = duplicate_groups(meeting, on or timezone.localdate())
    if key not in groups:
        raise ServiceError({"key": [_("No such group of possible duplicates.")]})
    decision, _created = IdentityDecision.objects.update_or_create(
        meeting=meeting,
        key=key,
        defaults={"residents": groups[key], "same_person": same_person, "reason": reason.strip(), "by": by},
    )
    event_record(
        meeting=meeting,
        type=MeetingEventType.IDENTITY_DECISION,
        by=by,
        params={"key": key, "residents": groups[key], "same_person": same_person},
    )
    return decision


def _identity_for(meeting: Meeting):
    """owner_identity with this meeting's recorded decisions applied."""
    same_as: dict[int, str] = {}
    apart: set[int] = set()
    for decision in IdentityDecision.objects.filter(meeting=meeting):
        if decision.same_person:
            same_as.update(dict.fromkeys(decision.residents, decision.key))
        elif decision.key.startswith("id:"):
            apart.update(decision.residents)
    frozen_apart = frozenset(apart)
    return lambda person: owner_identity(person, same_as=same_as, apart=frozen_apart)


# --- Building the roll -----------------------------------------------------------------------------


def _parts_in_scope(meeting: Meeting) -> list[Part]:
    rows = (
        Unit.objects.filter(scope_q(meeting))
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
    return [
        Part(pk, _unit_label(b, e, n), usage, area, source, developer, usage == UnitUsage.PARKING)
        for pk, b, e, n, usage, area, source, developer in rows
    ]


def _head_name(head) -> str:
    if head.is_developer:
        return str(_("Held by the developer (unsold or not yet delivered)"))
    if head.members:
        return "、".join(dict.fromkeys(p.name for p in head.members.values()))[:NAME_MAX]
    return str(_("Owner of %(unit)s (unknown)") % {"unit": head.parts[0].label})[:NAME_MAX]


def roll_build(meeting: Meeting, on: dt.date) -> int:
    """Freeze the roll from the owners' occupancies active on ``on``. Returns the number of heads."""
    settings_ = voting_settings_for(meeting.estate_id)
    heads = group_heads(
        _parts_in_scope(meeting),
        _owners_in_scope(meeting, on),
        parking_counts=settings_.parking_spaces_count,
        identity=_identity_for(meeting),
    )
    rows = [(h.key, _head_name(h), h.is_developer, h.area) for h in heads]
    entry_ids = _insert_entries(meeting, rows)
    _insert_rows(
        RollUnit,
        ["roll_entry_id", "unit_id", "label", "usage", "area", "area_source", "not_exclusive_part"],
        (
            (entry_id, p.pk, p.label, p.usage, p.area, p.area_source, False)
            for entry_id, head in zip(entry_ids, heads, strict=True)
            for p in head.parts
        ),
    )
    _insert_rows(
        RollEntry.members.through,
        ["rollentry_id", "resident_id"],
        (
            (entry_id, pk)
            for entry_id, head in zip(entry_ids, heads, strict=True)
            for pk in sorted(head.members)
        ),
    )
    meeting.roll_digest = _digest(
        sorted((pk, key, dev, area, False) for pk, (key, _n, dev, area) in zip(entry_ids, rows, strict=True)),
        {
            pk: [(p.pk, p.usage, p.area, p.area_source, False) for p in head.parts]
            for pk, head in zip(entry_ids, heads, strict=True)
        },
        {pk: sorted(head.members) for pk, head in zip(entry_ids, heads, strict=True)},
    )
    Meeting.objects.filter(pk=meeting.pk).update(roll_digest=meeting.roll_digest)
    return len(entry_ids)


def _digest(entries, units_of: dict, members_of: dict) -> str:
    """SHA-256 over the roll, in one canonical form whether read from memory or the database.

    ``entries``: (pk, voter_key, is_developer, area, excluded) in pk order; ``units_of``:
    entry pk -> [(unit_id, usage, area, area_source, not_exclusive_part)]; ``members_of``:
    entry pk -> [resident ids]. Names are left out: they are display, not voting rights.
    """
    digest = hashlib.sha256()
    for pk, key, developer, area, excluded in entries:
        units = sorted(
            (u, usage, str(Decimal(a).quantize(CENT)), src, bool(nep))
            for u, usage, a, src, nep in units_of.get(pk, ())
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
        "roll_entry_id", "unit_id", "usage", "area", "area_source", "not_exclusive_part"
    ):
        units_of[entry_id].append(tuple(unit))
    members_of: dict[int, list] = defaultdict(list)
    through = RollEntry.members.through
    for entry_id, resident_id in through.objects.filter(rollentry__meeting=meeting).values_list(
        "rollentry_id", "resident_id"
    ):
        members_of[entry_id].append(resident_id)
    entries = (
        RollEntry.objects.filter(meeting=meeting)
        .order_by("pk")
        .values_list("pk", "voter_key", "is_developer", "area", "excluded")
    )
    return _digest(entries, units_of, members_of)


def _insert_entries(meeting: Meeting, rows: list[tuple[str, str, bool, Decimal]]) -> list[int]:
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
        batch_size=BATCH,
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
        if len(batch) >= BATCH:
            model.objects.bulk_create(batch)
            batch = []
    if batch:
        model.objects.bulk_create(batch)


# --- Notifications --------------------------------------------------------------------------------


def roll_member_users(meeting: Meeting):
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
    meeting = Meeting.objects.select_related("estate").get(pk=meeting_id)
    message = messages.NOTICE if kind == "notice" else messages.RESULTS
    return len(
        notification_send(
            recipients=roll_member_users(meeting),
            verb=message,
            message=message,
            params={"t": meeting.title},
            url=f"/portal/voting/{meeting.pk}/",
            estate=meeting.estate,
        )
    )


__all__ = [
    "DEVELOPER_KEY",
    "duplicate_groups",
    "duplicates_undecided",
    "identity_decide",
    "meeting_notify_roll",
    "roll_build",
    "roll_digest_compute",
    "roll_member_users",
    "scope_q",
]
