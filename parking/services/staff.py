"""What staff do at the barriers, audited: open by hand, close a stay, correct a misread plate.

Booth staff (security, front desk) and managers of the lot's estate only; every act keeps its
reason and its actor in a GateAction row (and in the session's decisions).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from access.models import Protocol
from community.accounts.roles import StaffRole
from community.errors import NotAllowed, ServiceError, TransitionRefused, text_within
from community.scoping import staff_can_access_estate

from .. import decisions as d
from ..common import actor_label, barrier_open_on_commit, lock_plate, note
from ..models import GateAction, GateActionKind, Lane, PlateEvent, Session, SessionKind
from ..plates import is_valid_plate, normalise_plate
from ..transitions import LIVE_STATUSES, Action, Role, next_status
from .decide import entitlement, pass_use
from .devices import barrier_request_create
from .reads import occupancy_publish

BOOTH_ROLES = (StaffRole.MANAGER, StaffRole.FRONT_DESK, StaffRole.SECURITY)


def _require_booth(user, estate_id: int) -> None:
    if not getattr(user, "is_staff", False) or not staff_can_access_estate(
        user, estate_id, roles=BOOTH_ROLES
    ):
        raise NotAllowed(_("Only the estate's managers, front desk and security work the barriers."))


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError({"reason": [_("Say why.")]}, code="reason_required")
    # The gate action also names the plates around it, so keep room for them.
    return text_within(reason, field="reason", limit=160)


def barrier_open_manual(*, lane: Lane, reason: str, by, plate_event: PlateEvent | None = None) -> GateAction:
    """Open a barrier by hand. Where the platform reaches the camera (Hikvision), it is called;
    a Vzenith camera gets the order in the answer to its next heartbeat; otherwise the booth's
    button opens it and this is the record of why."""
    lot = lane.lot
    _require_booth(by, lot.estate_id)
    reason = _reason(reason)
    with transaction.atomic():
        action = GateAction.objects.create(
            estate_id=lot.estate_id,
            kind=GateActionKind.MANUAL_OPEN,
            lane=lane,
            plate_event=plate_event,
            session=plate_event.session if plate_event else None,
            reason=reason,
            by=actor_label(by),
        )
        if plate_event is not None and plate_event.needs_staff:
            PlateEvent.objects.filter(pk=plate_event.pk).update(needs_staff=False, handled_by=actor_label(by))
        if lane.barrier_url:
            barrier_open_on_commit(lane.pk, plate_event.pk if plate_event else None, actor_label(by))
        elif lane.device.protocol == Protocol.VZENITH:
            barrier_request_create(lane=lane, action=action, by=by)
    return action


def session_close_manual(*, session: Session, reason: str, by) -> Session:
    """Close a live stay by hand (the car left unseen, a fee waived at the booth)."""
    _require_booth(by, session.estate_id)
    reason = _reason(reason)
    with transaction.atomic():
        session = Session.objects.select_for_update(of=("self",)).select_related("lot").get(pk=session.pk)
        session.status = next_status(session.status, Action.FORCE_CLOSE, {Role.STAFF})
        session.exited_at = max(timezone.now(), session.entered_at) if session.entered_at else timezone.now()
        note(session, d.MANUAL_CLOSE, actor_label(by), note=reason)
        session.save()
        GateAction.objects.create(
            estate_id=session.estate_id,
            kind=GateActionKind.SESSION_CLOSE,
            session=session,
            reason=reason,
            by=actor_label(by),
        )
        occupancy_publish(session.lot)
    return session


def session_plate_correct(*, session: Session, plate: str, reason: str, by) -> Session:
    """Correct a misread plate: the stay follows the right car (its permit, space or pass)."""
    _require_booth(by, session.estate_id)
    reason = _reason(reason)
    plate = normalise_plate(plate)
    if not is_valid_plate(plate):
        raise ServiceError(
            {"plate": [_("“%(plate)s” is not a valid plate.") % {"plate": plate}]}, code="bad_plate"
        )
    with transaction.atomic():
        session = Session.objects.select_for_update(of=("self",)).select_related("lot").get(pk=session.pk)
        if session.status not in LIVE_STATUSES:
            raise TransitionRefused(_("Only a stay still inside can be corrected."), code="not_live")
        lock_plate(session.lot_id, plate)
        if (
            Session.objects.filter(lot_id=session.lot_id, plate=plate, status__in=LIVE_STATUSES)
            .exclude(pk=session.pk)
            .exists()
        ):
            raise ServiceError(
                {"plate": [_("That plate is already inside; close one of the two stays first.")]},
                code="plate_inside",
            )
        old = session.plate
        session.plate = plate
        reason_code, fields = entitlement(session.lot, plate, "unknown", session.entered_at or timezone.now())
        if reason_code in d.OPENING:
            had_pass = session.visitor_pass_id
            session.kind = fields.get("kind", session.kind)
            session.vehicle_id = fields.get("vehicle_id")
            session.space_id = fields.get("space_id")
            session.visitor_pass_id = fields.get("visitor_pass_id")
            if session.visitor_pass_id not in (None, had_pass) and not pass_use(session, by=by):
                session.kind, session.visitor_pass_id = SessionKind.TEMPORARY, None
        note(session, d.PLATE_CORRECTED, actor_label(by), old=old, note=reason)
        session.save()
        GateAction.objects.create(
            estate_id=session.estate_id,
            kind=GateActionKind.PLATE_CORRECT,
            session=session,
            reason=f"{old} → {plate}: {reason}",
            by=actor_label(by),
        )
    return session
