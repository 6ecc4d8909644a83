"""The barrier rules: what a stored plate read does to the plate's stay, and whether the barrier
lifts. Called by ``reads.plate_read_record`` inside its transaction, after the per-plate lock.

Rules (issue #13):
* entry: a valid permit, an owned/rented space with room (several cars may share a space, one
  inside at a time per ``cars_inside``; a tandem pair adds its partner's room), a visitor pass
  with this plate, a valid window and entries left (the entry uses one up), or a temporary car
  when the lot allows them and has room;
* exit: permit / space / visitor leave; a temporary car leaves when its fee is paid (within the
  lot's minutes to leave) or zero; otherwise "no" with the amount due;
* unpaid property fees never block a car (Civil Code Art. 944): nothing here looks at
  property bills. Only the session's own parking fee may keep the barrier down;
* offline records (replayed from the camera's store) are history: they open and close sessions
  at the camera's time but never lift a barrier and never ask anyone to pay at a gate;
* reads that do not pair up are reconciled by the lot's rule, never a crash.

Cost: a decision is a read path under load (issue #13's benchmark), so every fact an entry needs
(the live stay, vehicle, permit, visitor pass) comes back from one statement, ``_entry_facts``;
an exit reads its live stay in one locked statement. The cars inside are counted in the same
statements only when the process's recent count is too old or the lot is near full
(``setup_cache.cached_occupancy``): counting reads every live stay of the lot.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import partial

from django.db import DEFAULT_DB_ALIAS
from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Replace, Upper

from access.models import VisitorPass
from access.services import visitor_pass_enter

from .. import decisions as d
from .. import prepared
from ..common import note
from ..decisions import Decision
from ..fees import fee_due
from ..models import LaneDirection, Lot, Permit, PlateEvent, Session, SessionKind, Space, Vehicle
from ..payments import session_charge
from ..prepared import Prepared
from ..setup_cache import cached_occupancy, current_fee_rule, fee_rule_of, occupancy_counted
from ..transitions import LIVE_STATUSES, Action, Role, Status, next_status

ZERO = Decimal("0.00")
_LIVE = sorted(LIVE_STATUSES)


def decide(*, event: PlateEvent, lot: Lot, offline: bool, now: dt.datetime, actor: str, by) -> Decision:
    if event.direction == LaneDirection.IN:
        at = min(event.device_time or now, now) if offline else now
        return _entry(event=event, lot=lot, at=at, offline=offline, actor=actor, now=now, by=by)
    live = _live_for_exit(lot, event.plate)
    if offline:
        return _offline_exit(event=event, lot=lot, live=live, actor=actor, now=now)
    return _exit(event=event, lot=lot, live=live, actor=actor, now=now, by=by)


# --- what an entry needs to know, in one statement ------------------------------------------------


def _valid_at(queryset, at: dt.datetime):
    """Rows of a permit-like queryset valid at ``at`` (not revoked, ``[valid_from, valid_until)``)."""
    return queryset.filter(revoked_at__isnull=True, valid_from__lte=at, valid_until__gt=at)


def _count(queryset):
    return Coalesce(
        Subquery(queryset.order_by().values("lot_id").annotate(n=Count("pk")).values("n")[:1]),
        Value(0),
        output_field=IntegerField(),
    )


def _visitor_passes(estate_id: int, plate: str, at: dt.datetime):
    # access keeps the plate as the resident typed it (upper-cased): compare without the
    # spaces and dots people type, among the estate's passes (few are valid at one time).
    typed = Upper(Replace(Replace(F("plate"), Value(" "), Value("")), Value("·"), Value("")))
    passes = VisitorPass.objects.filter(estate_id=estate_id, entries_used__lt=F("max_entries"))
    return _valid_at(passes.exclude(plate="").alias(typed=typed).filter(typed=plate), at)


def _facts_query(*, counted: bool, lot_id: int, estate_id: int, plate: str, at: dt.datetime):
    live = Session.objects.filter(lot_id=lot_id, status__in=_LIVE)
    vehicle = Vehicle.objects.filter(estate_id=estate_id, plate=plate, approved=True)
    # A permit for an inner lot (厂中厂) also lets the car through the outer lot's barriers.
    permits = _valid_at(
        Permit.objects.filter(Q(lot_id=lot_id) | Q(lot__parent_id=lot_id), vehicle_id=OuterRef("vehicle_id")),
        at,
    )
    counts = (
        {"inside": _count(live), "temporary_inside": _count(live.filter(kind=SessionKind.TEMPORARY))}
        if counted
        else {}
    )
    return (
        Lot.objects.filter(pk=lot_id)
        .annotate(
            live_id=Subquery(live.filter(plate=plate).order_by().values("pk")[:1]),
            vehicle_id=Subquery(vehicle.order_by().values("pk")[:1]),
            space_id=Subquery(vehicle.order_by().values("space_id")[:1]),
        )
        .annotate(
            permit_id=Subquery(permits.order_by("-valid_until").values("pk")[:1]),
            pass_id=Subquery(_visitor_passes(estate_id, plate, at).order_by("-valid_until").values("pk")[:1]),
            **counts,
        )
        .values("live_id", "vehicle_id", "space_id", "permit_id", "pass_id", *counts)
    )


# Compiled once per process (parking.prepared): the same statement on every entry read.
_SLOTS = {"lot_id": int, "estate_id": int, "plate": str, "at": dt.datetime}
_FACTS = Prepared(partial(_facts_query, counted=False), **_SLOTS)
_FACTS_COUNTED = Prepared(partial(_facts_query, counted=True), **_SLOTS)


def _entry_facts(lot: Lot, plate: str, at: dt.datetime) -> dict:
    recent = cached_occupancy(lot)
    query = _FACTS_COUNTED if recent is None else _FACTS
    facts = query.fetch(lot_id=lot.pk, estate_id=lot.estate_id, plate=plate, at=at)
    if facts is None:
        raise Lot.DoesNotExist(f"lot {lot.pk}")
    if recent is None:
        occupancy_counted(lot, facts["inside"], facts["temporary_inside"])
        facts["counted"] = True
    else:
        facts["inside"], facts["temporary_inside"] = recent
        facts["counted"] = False
    return facts


def _space_has_room(space: Space, lot: Lot) -> bool:
    """Cars of one space (and its tandem partner) inside ``lot`` now, against the room they hold."""
    group = [space.pk]
    room = space.cars_inside
    partner = space.tandem_with or getattr(space, "tandem_of", None)
    if partner is not None:
        group.append(partner.pk)
        room += partner.cars_inside
    inside = Session.objects.filter(lot_id=lot.pk, space_id__in=group, status__in=LIVE_STATUSES).count()
    return inside < room


def _space(space_id: int) -> Space:
    return Space.objects.select_related("lot", "tandem_with", "tandem_of").get(pk=space_id)


def entitlement(
    lot: Lot, plate: str, colour: str, at: dt.datetime, facts: dict | None = None
) -> tuple[str, dict]:
    """(reason, session fields) for a car at an entry lane; reason not in OPENING means no.

    The fields name the vehicle, space and visitor pass by id (``*_id``), as the session stores them.
    """
    facts = facts if facts is not None else _entry_facts(lot, plate, at)
    vehicle_id = facts["vehicle_id"]
    if facts["permit_id"] is not None:
        return d.PERMIT, {
            "kind": SessionKind.PERMIT,
            "vehicle_id": vehicle_id,
            "permit_id": facts["permit_id"],
        }
    temporary_reason = d.TEMPORARY
    if facts["space_id"] is not None:
        space = _space(facts["space_id"])
        # A space in this lot, or in a lot inside it (its car passes the outer barrier first).
        here = space.lot_id == lot.pk or space.lot.parent_id == lot.pk
        if here and space.kind in ("owned", "rented"):
            if _space_has_room(space, lot):
                return d.SPACE, {"kind": SessionKind.SPACE, "vehicle_id": vehicle_id, "space_id": space.pk}
            temporary_reason = d.SPACE_TAKEN_TEMPORARY
    if facts["pass_id"] is not None:
        return d.VISITOR, {
            "kind": SessionKind.VISITOR,
            "vehicle_id": vehicle_id,
            "visitor_pass_id": facts["pass_id"],
        }
    if not lot.allow_temporary:
        return d.TEMPORARY_NOT_ALLOWED, {}
    if lot.colours and colour not in lot.colours:
        return d.COLOUR_NOT_ALLOWED, {}
    if facts["inside"] >= lot.capacity or (
        lot.temporary_capacity is not None and facts["temporary_inside"] >= lot.temporary_capacity
    ):
        return d.LOT_FULL, {}
    return temporary_reason, {"kind": SessionKind.TEMPORARY, "vehicle_id": vehicle_id}


def pass_use(session: Session, *, by) -> bool:
    """A visitor's entry uses one of the pass's entries (access keeps the count). False when
    another entry took the last one first: the stay is then a temporary car's."""
    if session.visitor_pass_id is None:
        return True
    return visitor_pass_enter(visitor_pass_id=session.visitor_pass_id, by=by)


# --- entry ----------------------------------------------------------------------------------------


def _open_session(
    *,
    lot: Lot,
    event: PlateEvent,
    reason: str,
    fields: dict,
    at: dt.datetime,
    actor: str,
    by,
    then: tuple[str, dt.datetime] | None = None,
):
    """Insert the stay (``then``: a second decision noted with it, in the same statement)."""
    fields = dict(fields)
    permit_id = fields.pop("permit_id", None)
    session = Session(
        estate_id=lot.estate_id,
        lot=lot,
        plate=event.plate,
        entry_event=event,
        entered_at=at,
        fee_rule=current_fee_rule(lot, at) if fields.get("kind") == SessionKind.TEMPORARY else None,
        **fields,
    )
    if not pass_use(session, by=by):
        # Used up between the look-up and now (the same pass at two lanes at once).
        session.kind, session.visitor_pass_id = SessionKind.TEMPORARY, None
        session.fee_rule = current_fee_rule(lot, at)
        reason = d.TEMPORARY
    note(session, reason, actor, at=at, permit=permit_id, visitor_pass=fields.get("visitor_pass_id"))
    if then is not None:
        note(session, then[0], actor, at=then[1])
    prepared.insert(session)
    return session, reason


def _entry(
    *, event: PlateEvent, lot: Lot, at: dt.datetime, offline: bool, actor: str, now: dt.datetime, by
) -> Decision:
    facts = _entry_facts(lot, event.plate, at)
    # Only an exact count goes to the live screen (it keeps the last one meanwhile).
    inside = facts["inside"] if facts["counted"] else None
    if facts["live_id"] is not None:
        live = _locked_stay(lot, facts["live_id"])
        if offline:
            return Decision(False, d.OFFLINE_HISTORY, session=live, offline=True)
        # A second entry without an exit: the exit read was missed (or a plate is cloned).
        if lot.reconcile_rule == "staff":
            return Decision(False, d.ALREADY_INSIDE, session=live, needs_staff=True, inside=inside)
        _settle_missed_exit(live, at=now, actor=actor)
        facts = {**facts, "inside": facts["inside"] - 1}
        if live.kind == SessionKind.TEMPORARY:
            facts["temporary_inside"] -= 1
        inside = inside - 1 if inside is not None else None
        closed_previous = True
    else:
        closed_previous = False
    reason, fields = entitlement(lot, event.plate, event.colour, at, facts)
    if reason not in d.OPENING:
        return Decision(False, d.OFFLINE_HISTORY if offline else reason, offline=offline, inside=inside)
    session, reason = _open_session(
        lot=lot,
        event=event,
        reason=reason,
        fields=fields,
        at=at,
        actor=actor,
        by=by,
        then=(d.REENTRY_CLOSED_PREVIOUS if closed_previous else d.OFFLINE_HISTORY, now)
        if closed_previous or offline
        else None,
    )
    if offline:
        return Decision(False, d.OFFLINE_HISTORY, session=session, offline=True, inside=_plus(inside, 1))
    return Decision(True, reason, session=session, inside=_plus(inside, 1))


def _plus(inside: int | None, delta: int) -> int | None:
    return None if inside is None else inside + delta


def _settle_missed_exit(live: Session, *, at: dt.datetime, actor: str) -> None:
    """Close a stay whose exit was never read: fee up to now, left for staff to collect."""
    if live.kind == SessionKind.TEMPORARY and live.entered_at:
        live.fee = max(live.fee, fee_due(live.fee_rule, live.entered_at, at))
    _close(
        live,
        action=Action.FORCE_CLOSE,
        roles={Role.SYSTEM},
        at=at,
        event=None,
        reason=d.REENTRY_CLOSED_PREVIOUS,
        actor=actor,
    )


def _close(
    session: Session,
    *,
    action: str,
    roles: set[str],
    at: dt.datetime,
    event: PlateEvent | None,
    reason: str,
    actor: str,
) -> None:
    session.status = next_status(session.status, action, roles)
    session.exited_at = max(at, session.entered_at) if session.entered_at else at
    if event is not None:
        session.exit_event = event
    note(session, reason, actor, at=at)
    prepared.update(session)


# --- exit -----------------------------------------------------------------------------------------


_SESSION_COLUMNS = [f.attname for f in Session._meta.concrete_fields]


def _live_query(*, counted: bool, lot_id: int, plate: str):
    stays = Session.objects.select_for_update(of=("self",)).filter(
        lot_id=lot_id, plate=plate, status__in=_LIVE
    )
    inside = (
        _count(Session.objects.filter(lot_id=lot_id, status__in=_LIVE))
        if counted
        else Value(None, output_field=IntegerField())
    )
    return stays.order_by().annotate(lot_inside=inside).values(*_SESSION_COLUMNS, "lot_inside")[:1]


_LIVE_STAY = Prepared(partial(_live_query, counted=False), lot_id=int, plate=str)
_LIVE_STAY_COUNTED = Prepared(partial(_live_query, counted=True), lot_id=int, plate=str)


def _stay_query(*, stay_id: int):
    return Session.objects.select_for_update(of=("self",)).filter(pk=stay_id).values(*_SESSION_COLUMNS)


_STAY = Prepared(_stay_query, stay_id=int)


def _session_from(lot: Lot, row: dict) -> Session:
    live = Session.from_db(DEFAULT_DB_ALIAS, _SESSION_COLUMNS, [row[name] for name in _SESSION_COLUMNS])
    if live.fee_rule_id is not None:
        # Fee rules are versioned and kept as published: the lot's cached versions hold it.
        live.fee_rule = fee_rule_of(lot, live.fee_rule_id)
    return live


def _locked_stay(lot: Lot, stay_id: int) -> Session:
    row = _STAY.fetch(stay_id=stay_id)
    if row is None:
        raise Session.DoesNotExist(f"stay {stay_id}")
    return _session_from(lot, row)


def _live_for_exit(lot: Lot, plate: str) -> Session | None:
    """The plate's live stay, locked (payments write it too), with the cars inside the lot when
    the recent count is too old for the live screen (``lot_inside``, else None)."""
    query = _LIVE_STAY if cached_occupancy(lot) is not None else _LIVE_STAY_COUNTED
    row = query.fetch(lot_id=lot.pk, plate=plate)
    if row is None:
        return None
    live = _session_from(lot, row)
    live.lot_inside = row["lot_inside"]
    return live


def _exit(*, event: PlateEvent, lot: Lot, live: Session | None, actor: str, now: dt.datetime, by) -> Decision:
    if live is None:
        return _exit_without_entry(event=event, lot=lot, actor=actor, now=now)
    left = _plus(live.lot_inside, -1)
    if live.kind != SessionKind.TEMPORARY:
        reason = {SessionKind.PERMIT: d.PERMIT, SessionKind.SPACE: d.SPACE, SessionKind.VISITOR: d.VISITOR}[
            live.kind
        ]
        _close(live, action=Action.EXIT, roles={Role.DEVICE}, at=now, event=event, reason=reason, actor=actor)
        return Decision(True, reason, session=live, inside=left)
    fee = fee_due(live.fee_rule, live.entered_at, now) if live.entered_at else ZERO
    grace = dt.timedelta(minutes=lot.exit_grace_minutes)
    if live.status == Status.PAID and live.paid_at and now <= live.paid_at + grace:
        _close(live, action=Action.EXIT, roles={Role.DEVICE}, at=now, event=event, reason=d.PAID, actor=actor)
        return Decision(True, d.PAID, session=live, inside=left)
    if fee <= live.paid_amount and live.status == Status.OPEN:
        live.fee = fee
        _close(live, action=Action.EXIT, roles={Role.DEVICE}, at=now, event=event, reason=d.FREE, actor=actor)
        return Decision(True, d.FREE, session=live, inside=left)
    # Something is owed: the fee so far (or, after the grace ran out, the stay since).
    reason = d.GRACE_OVER if live.status == Status.PAID else d.FEE_DUE
    live.fee = max(fee, live.fee)
    live.status = next_status(live.status, Action.BILL, {Role.DEVICE})
    note(live, reason, actor, at=now, amount=live.amount_owed)
    prepared.update(live)
    session_charge(session=live, by=by)
    return Decision(False, reason, amount_due=live.amount_owed, session=live, inside=live.lot_inside)


_VEHICLE = Prepared(
    lambda *, estate_id, plate: (
        Vehicle.objects.filter(estate_id=estate_id, plate=plate, approved=True)
        .order_by("id")
        .values("id")[:1]
    ),
    estate_id=int,
    plate=str,
)


def _exit_without_entry(*, event: PlateEvent, lot: Lot, actor: str, now: dt.datetime) -> Decision:
    if lot.reconcile_rule == "staff":
        return Decision(False, d.NO_ENTRY_ASK_STAFF, needs_staff=True)
    vehicle_id = (_VEHICLE.fetch(estate_id=lot.estate_id, plate=event.plate) or {}).get("id")
    session = Session(
        estate_id=lot.estate_id,
        lot=lot,
        plate=event.plate,
        kind=SessionKind.TEMPORARY if vehicle_id is None else SessionKind.SPACE,
        vehicle_id=vehicle_id,
        exit_event=event,
        exited_at=now,
        status=next_status(Status.OPEN, Action.EXIT, {Role.DEVICE}),
    )
    note(session, d.NO_ENTRY_RECORD, actor, at=now)
    prepared.insert(session)
    return Decision(True, d.NO_ENTRY_RECORD, session=session)


# --- offline records ------------------------------------------------------------------------------


def _offline_exit(
    *, event: PlateEvent, lot: Lot, live: Session | None, actor: str, now: dt.datetime
) -> Decision:
    """History from the camera's store: the stay closes at the camera's time; no barrier."""
    at = min(event.device_time or now, now)
    if live is None or (live.entered_at and at < live.entered_at):
        # Left before the stay we know of began (an old read), or we never saw it enter.
        return Decision(False, d.OFFLINE_HISTORY, offline=True)
    reason = d.OFFLINE_HISTORY
    if live.kind == SessionKind.TEMPORARY and live.entered_at:
        live.fee = max(live.fee, fee_due(live.fee_rule, live.entered_at, at))
    if live.amount_owed > 0 and live.status != Status.PAID:
        reason = d.OFFLINE_EXIT_UNPAID
        _close(
            live,
            action=Action.FORCE_CLOSE,
            roles={Role.SYSTEM},
            at=at,
            event=event,
            reason=reason,
            actor=actor,
        )
    else:
        _close(live, action=Action.EXIT, roles={Role.DEVICE}, at=at, event=event, reason=reason, actor=actor)
    return Decision(False, reason, session=live, offline=True, inside=_plus(live.lot_inside, -1))
