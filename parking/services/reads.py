"""Plate reads in, barrier decisions out: the one service every camera endpoint calls.

``plate_read_record`` stores the read (unique per camera and camera key, so a replay or the same
read at two of our endpoints is stored and acted on once), decides, opens or closes the
session, and commits — all before the endpoint answers the camera.

Rules (issue #13):
* entry: a valid permit, an owned/rented space with room (several cars may share a space, one
  inside at a time per ``cars_inside``; a tandem pair adds its partner's room), a visitor pass
  with this plate and a valid window, or a temporary car when the lot allows them and has room;
* exit: permit / space / visitor leave; a temporary car leaves when its fee is paid (within the
  lot's minutes to leave) or zero; otherwise "no" with the amount due;
* unpaid property fees never block a car (Civil Code Art. 944): nothing here looks at
  property bills. Only the session's own parking fee may keep the barrier down;
* offline records (replayed from the camera's store) are history: they open and close sessions
  at the camera's time but never lift a barrier and never ask anyone to pay at a gate;
* reads that do not pair up are reconciled by the lot's rule, never a crash.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Replace, Upper
from django.utils import timezone

from access.models import Device, VisitorPass
from community.realtime import publish_on_commit

from .. import decisions as d
from ..decisions import Decision
from ..fees import fee_due
from ..models import (
    FeeRule,
    Lane,
    LaneDirection,
    Lot,
    Permit,
    PlateEvent,
    Session,
    SessionKind,
    Space,
    Vehicle,
)
from ..plates import NO_PLATE, normalise_plate
from ..protocols.base import PlateRead
from ..signals import plate_read_stored
from ..transitions import LIVE_STATUSES, Action, Role, Status, next_status
from ._common import actor_label, lock_plate, note, parking_group

logger = logging.getLogger(__name__)

# A resend of an online read this soon after the first is the same car still at the barrier
# (the camera resends up to 4 times when our answer was slow): it gets the same answer.
# Later, or from the offline store, it is only acknowledged.
RESEND_SAME_ANSWER_WITHIN = dt.timedelta(seconds=30)
ZERO = Decimal("0.00")


def lane_for(device: Device) -> Lane | None:
    return Lane.objects.select_related("lot").filter(device_id=device.pk).first()


def current_fee_rule(lot: Lot, at: dt.datetime) -> FeeRule | None:
    if not lot.charges:
        return None
    return FeeRule.objects.filter(lot_id=lot.pk, effective_from__lte=at).order_by("-version").first()


def lot_occupancy(lot: Lot) -> dict:
    live = Session.objects.filter(lot_id=lot.pk, status__in=LIVE_STATUSES)
    return {"lot": lot.pk, "inside": live.count(), "capacity": lot.capacity}


# --- the service ----------------------------------------------------------------------------------


def plate_read_record(*, device: Device, read: PlateRead, by=None) -> Decision:
    """Store one camera read, decide, and commit. ``by`` defaults to the camera itself."""
    by = by if by is not None else device
    actor = actor_label(by)
    now = timezone.now()
    lane = lane_for(device)
    plate = normalise_plate(read.plate_as_read)
    direction = read.direction or (lane.direction if lane else "")
    with transaction.atomic():
        if read.device_key:
            first = PlateEvent.objects.filter(device_id=device.pk, device_key=read.device_key).first()
            if first is not None:
                return _duplicate(first, read, now)
        event = PlateEvent(
            estate_id=device.estate_id,
            device_id=device.pk,
            lot_id=lane.lot_id if lane else None,
            direction=direction,
            plate=plate[:16],
            plate_as_read=read.plate_as_read[:32],
            colour=read.colour,
            confidence=read.confidence,
            motion=read.motion,
            device_time=read.device_time,
            received_at=now,
            device_key=read.device_key,
            offline=read.offline,
            raw_body=read.raw_body,
        )
        if read.image:
            event.image.save(
                f"{device.pk}-{read.device_key or now.timestamp()}.jpg", ContentFile(read.image), save=False
            )
        try:
            # A savepoint: the same read arriving at a second endpoint of ours at this instant
            # waits on the unique key, then fails here and answers as a resend.
            with transaction.atomic():
                event.save(force_insert=True)
        except IntegrityError:
            first = PlateEvent.objects.filter(device_id=device.pk, device_key=read.device_key).first()
            if first is None:
                raise
            return _duplicate(first, read, now)
        decision = _decide(event=event, lane=lane, read=read, now=now, actor=actor, by=by)
        event.opened = decision.opened
        event.reason = decision.reason
        event.amount_due = decision.amount_due
        event.needs_staff = decision.needs_staff
        event.session = decision.session
        event.save(update_fields=["opened", "reason", "amount_due", "needs_staff", "session"])
        decision.event = event
        plate_read_stored.send(sender=PlateEvent, event=event, lane=lane, device=device)
        decision.led_text = (
            ""
            if read.offline
            else d.led_text(
                direction=direction, reason=decision.reason, plate=plate, amount_due=decision.amount_due
            )
        )
        _publish(event, lane)
        if decision.opened and lane is not None and lane.barrier_url:
            from ..tasks import barrier_open

            barrier_open.delay_on_commit(lane.pk, event.pk, actor)
    return decision


def _duplicate(first: PlateEvent, read: PlateRead, now: dt.datetime) -> Decision:
    fresh = now - first.received_at <= RESEND_SAME_ANSWER_WITHIN
    return Decision(
        opened=first.opened and fresh and not first.offline and not read.offline,
        reason=d.DUPLICATE,
        amount_due=first.amount_due,
        session=None,
        event=first,
        duplicate=True,
        offline=read.offline,
    )


def _decide(
    *, event: PlateEvent, lane: Lane | None, read: PlateRead, now: dt.datetime, actor: str, by
) -> Decision:
    if lane is None:
        return Decision(False, d.NO_LANE, needs_staff=True)
    if event.plate == NO_PLATE or not event.plate:
        return Decision(False, d.NO_PLATE, needs_staff=not read.offline, offline=read.offline)
    lot = lane.lot
    lock_plate(lot.pk, event.plate)
    live = (
        Session.objects.select_for_update()
        .filter(lot_id=lot.pk, plate=event.plate, status__in=LIVE_STATUSES)
        .first()
    )
    if read.offline:
        return _offline(event=event, lot=lot, live=live, actor=actor, now=now)
    if event.direction == LaneDirection.IN:
        return _entry(event=event, lot=lot, live=live, actor=actor, now=now)
    return _exit(event=event, lot=lot, live=live, actor=actor, now=now, by=by)


# --- entry ----------------------------------------------------------------------------------------


def _latest_valid(queryset, at: dt.datetime):
    """The row of a permit-like queryset valid at ``at`` (not revoked, ``[valid_from, valid_until)``)."""
    return (
        queryset.filter(revoked_at__isnull=True, valid_from__lte=at, valid_until__gt=at)
        .order_by("-valid_until")
        .first()
    )


def _valid_permit(vehicle: Vehicle | None, lot: Lot, at: dt.datetime) -> Permit | None:
    if vehicle is None:
        return None
    # A permit for an inner lot (厂中厂) also lets the car through the outer lot's barriers.
    in_lot = Q(lot_id=lot.pk) | Q(lot__parent_id=lot.pk)
    return _latest_valid(Permit.objects.filter(in_lot, vehicle_id=vehicle.pk), at)


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


def _visitor_pass(lot: Lot, plate: str, at: dt.datetime) -> VisitorPass | None:
    # access keeps the plate as the resident typed it (upper-cased): compare without the
    # spaces and dots people type, among the estate's passes (few are valid at one time).
    typed = Upper(Replace(Replace(F("plate"), Value(" "), Value("")), Value("·"), Value("")))
    passes = VisitorPass.objects.filter(estate_id=lot.estate_id).exclude(plate="").alias(typed=typed)
    return _latest_valid(passes.filter(typed=plate), at)


def _approved_vehicle(estate_id: int, plate: str) -> Vehicle | None:
    return (
        Vehicle.objects.select_related("space__lot", "space__tandem_with", "space__tandem_of")
        .filter(estate_id=estate_id, plate=plate, approved=True)
        .first()
    )


def _entitlement(lot: Lot, plate: str, colour: str, at: dt.datetime) -> tuple[str, dict]:
    """(reason, session fields) for a car at an entry lane; reason not in OPENING means no."""
    vehicle = _approved_vehicle(lot.estate_id, plate)
    if (permit := _valid_permit(vehicle, lot, at)) is not None:
        return d.PERMIT, {"kind": SessionKind.PERMIT, "vehicle": vehicle, "permit_id": permit.pk}
    space = vehicle.space if vehicle is not None else None
    temporary_reason = d.TEMPORARY
    # A space in this lot, or in a lot inside it (its car passes the outer barrier first).
    here = space is not None and (space.lot_id == lot.pk or space.lot.parent_id == lot.pk)
    if here and space.kind in ("owned", "rented"):
        if _space_has_room(space, lot):
            return d.SPACE, {"kind": SessionKind.SPACE, "vehicle": vehicle, "space": space}
        temporary_reason = d.SPACE_TAKEN_TEMPORARY
    if (visitor_pass := _visitor_pass(lot, plate, at)) is not None:
        return d.VISITOR, {"kind": SessionKind.VISITOR, "vehicle": vehicle, "visitor_pass": visitor_pass}
    if not lot.allow_temporary:
        return d.TEMPORARY_NOT_ALLOWED, {}
    if lot.colours and colour not in lot.colours:
        return d.COLOUR_NOT_ALLOWED, {}
    live = Session.objects.filter(lot_id=lot.pk, status__in=LIVE_STATUSES)
    if live.count() >= lot.capacity:
        return d.LOT_FULL, {}
    if (
        lot.temporary_capacity is not None
        and live.filter(kind=SessionKind.TEMPORARY).count() >= lot.temporary_capacity
    ):
        return d.LOT_FULL, {}
    return temporary_reason, {"kind": SessionKind.TEMPORARY, "vehicle": vehicle}


def _open_session(
    *, lot: Lot, event: PlateEvent, reason: str, fields: dict, at: dt.datetime, actor: str
) -> Session:
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
    note(session, reason, actor, at=at, permit=permit_id)
    session.save(force_insert=True)
    return session


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
    session.save()


def _entry(*, event: PlateEvent, lot: Lot, live: Session | None, actor: str, now: dt.datetime) -> Decision:
    closed_previous = False
    if live is not None:
        # A second entry without an exit: the exit read was missed (or a plate is cloned).
        if lot.reconcile_rule == "staff":
            return Decision(False, d.ALREADY_INSIDE, session=live, needs_staff=True)
        _settle_missed_exit(live, at=now, actor=actor)
        closed_previous = True
    reason, fields = _entitlement(lot, event.plate, event.colour, now)
    if reason not in d.OPENING:
        return Decision(False, reason)
    session = _open_session(lot=lot, event=event, reason=reason, fields=fields, at=now, actor=actor)
    if closed_previous:
        note(session, d.REENTRY_CLOSED_PREVIOUS, actor, at=now)
        session.save(update_fields=["reasons"])
    return Decision(True, reason, session=session)


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


# --- exit -----------------------------------------------------------------------------------------


def _exit(*, event: PlateEvent, lot: Lot, live: Session | None, actor: str, now: dt.datetime, by) -> Decision:
    if live is None:
        return _exit_without_entry(event=event, lot=lot, actor=actor, now=now)
    if live.kind != SessionKind.TEMPORARY:
        reason = {SessionKind.PERMIT: d.PERMIT, SessionKind.SPACE: d.SPACE, SessionKind.VISITOR: d.VISITOR}[
            live.kind
        ]
        _close(live, action=Action.EXIT, roles={Role.DEVICE}, at=now, event=event, reason=reason, actor=actor)
        return Decision(True, reason, session=live)
    fee = fee_due(live.fee_rule, live.entered_at, now) if live.entered_at else ZERO
    grace = dt.timedelta(minutes=lot.exit_grace_minutes)
    if live.status == Status.PAID and live.paid_at and now <= live.paid_at + grace:
        _close(live, action=Action.EXIT, roles={Role.DEVICE}, at=now, event=event, reason=d.PAID, actor=actor)
        return Decision(True, d.PAID, session=live)
    if fee <= live.paid_amount and live.status == Status.OPEN:
        live.fee = fee
        _close(live, action=Action.EXIT, roles={Role.DEVICE}, at=now, event=event, reason=d.FREE, actor=actor)
        return Decision(True, d.FREE, session=live)
    # Something is owed: the fee so far (or, after the grace ran out, the stay since).
    reason = d.GRACE_OVER if live.status == Status.PAID else d.FEE_DUE
    live.fee = max(fee, live.fee)
    live.status = next_status(live.status, Action.BILL, {Role.DEVICE})
    note(live, reason, actor, at=now, amount=live.amount_owed)
    live.save()
    from ..payments import session_charge

    session_charge(session=live, by=by)
    return Decision(False, reason, amount_due=live.amount_owed, session=live)


def _exit_without_entry(*, event: PlateEvent, lot: Lot, actor: str, now: dt.datetime) -> Decision:
    if lot.reconcile_rule == "staff":
        return Decision(False, d.NO_ENTRY_ASK_STAFF, needs_staff=True)
    vehicle = _approved_vehicle(lot.estate_id, event.plate)
    session = Session(
        estate_id=lot.estate_id,
        lot=lot,
        plate=event.plate,
        kind=SessionKind.TEMPORARY if vehicle is None else SessionKind.SPACE,
        vehicle=vehicle,
        exit_event=event,
        exited_at=now,
        status=next_status(Status.OPEN, Action.EXIT, {Role.DEVICE}),
    )
    note(session, d.NO_ENTRY_RECORD, actor, at=now)
    session.save(force_insert=True)
    return Decision(True, d.NO_ENTRY_RECORD, session=session)


# --- offline records ------------------------------------------------------------------------------


def _offline(*, event: PlateEvent, lot: Lot, live: Session | None, actor: str, now: dt.datetime) -> Decision:
    """History from the camera's store: sessions follow, at the camera's time; no barrier."""
    at = min(event.device_time or now, now)
    if event.direction == LaneDirection.IN:
        if live is None:
            reason, fields = _entitlement(lot, event.plate, event.colour, at)
            if reason in d.OPENING:
                session = _open_session(
                    lot=lot, event=event, reason=reason, fields=fields, at=at, actor=actor
                )
                note(session, d.OFFLINE_HISTORY, actor, at=now)
                session.save(update_fields=["reasons"])
                return Decision(False, d.OFFLINE_HISTORY, session=session, offline=True)
        return Decision(False, d.OFFLINE_HISTORY, session=live, offline=True)
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
    return Decision(False, reason, session=live, offline=True)


# --- live feed ------------------------------------------------------------------------------------


def event_payload(event: PlateEvent) -> dict:
    return {
        "type": "parking.read",
        "id": event.pk,
        "lot": event.lot_id,
        "device": event.device_id,
        "plate": event.plate or event.plate_as_read,
        "direction": event.direction,
        "opened": event.opened,
        "reason": event.reason,
        "amount_due": str(event.amount_due),
        "offline": event.offline,
        "needs_staff": event.needs_staff,
        "received_at": event.received_at.isoformat(),
    }


def _publish(event: PlateEvent, lane: Lane | None) -> None:
    payload = event_payload(event)
    if lane is not None:
        payload["occupancy"] = lot_occupancy(lane.lot)
    publish_on_commit(parking_group(event.estate_id), payload)


def occupancy_publish(lot: Lot) -> None:
    publish_on_commit(
        parking_group(lot.estate_id), {"type": "parking.occupancy", "occupancy": lot_occupancy(lot)}
    )


def live_sessions_q() -> Q:
    return Q(status__in=LIVE_STATUSES)
