"""Plate reads in, barrier decisions out: the one service every camera endpoint calls.

``plate_read_record`` stores the read (unique per camera and camera key, so a replay or the same
read at two of our endpoints is stored and acted on once), decides (``decide``: the rules),
opens or closes the session, and commits — all before the endpoint answers the camera.

Four statements (tests/parking/test_read_cost.py): ``_claim`` takes the plate's lock, the read's
id and looks for an earlier copy; one statement for the facts; the stay's write; and the read's
INSERT with its decision, last. The unique key stays the duplicate check: a second copy racing
the first (not yet committed when it looked) fails on it, its whole transaction rolls back, and
it is answered as a resend. The hot statements are compiled once and prepared
(``parking.prepared``).
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from access.models import Device
from community.dbhealth import connection_check
from community.realtime import publish_on_commit

from .. import decisions as d
from .. import prepared
from ..common import actor_label, barrier_open_on_commit, parking_group
from ..decisions import Decision
from ..models import Lane, Lot, PlateEvent, Session
from ..plates import NO_PLATE, normalise_plate
from ..protocols.base import PlateRead
from ..setup_cache import current_fee_rule, lane_for
from ..signals import plate_read_stored
from ..transitions import LIVE_STATUSES
from .decide import decide

logger = logging.getLogger(__name__)

# A resend of an online read this soon after the first is the same car still at the barrier
# (the camera resends up to 4 times when our answer was slow): it gets the same answer.
# Later, or from the offline store, it is only acknowledged.
RESEND_SAME_ANSWER_WITHIN = dt.timedelta(seconds=30)
ZERO = Decimal("0.00")
# A live read whose camera time is further than this from the server's comes from a camera with
# a wrong clock (as access.services.FUTURE_TOLERANCE for gates). Its time is kept and flagged,
# never rewritten, and never used for a live decision: those go by the server's time.
CLOCK_SKEW_TOLERANCE = dt.timedelta(minutes=2)

__all__ = ["current_fee_rule", "lane_for", "lot_occupancy", "occupancy_publish", "plate_read_record"]


def lot_occupancy(lot: Lot, inside: int | None = None) -> dict:
    if inside is None:
        inside = Session.objects.filter(lot_id=lot.pk, status__in=LIVE_STATUSES).count()
    return {"lot": lot.pk, "inside": inside, "capacity": lot.capacity}


# --- the service ----------------------------------------------------------------------------------


def plate_read_record(*, device: Device, read: PlateRead, by=None) -> Decision:
    """Store one camera read, decide, and commit. ``by`` defaults to the camera itself."""
    by = by if by is not None else device
    actor = actor_label(by)
    now = timezone.now()
    lane = lane_for(device)
    plate = normalise_plate(read.plate_as_read)
    direction = read.direction or (lane.direction if lane else "")
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
        clock_skewed=clock_skewed(read, now),
        device_key=read.device_key,
        offline=read.offline,
        raw_body=read.raw_body,
    )
    if read.image:
        event.image.save(
            f"{device.pk}-{read.device_key or now.timestamp()}.jpg", ContentFile(read.image), save=False
        )
    connection_check()
    try:
        with transaction.atomic():
            claimed = lane is not None and event.plate not in ("", NO_PLATE)
            if claimed:
                # The plate's lock, the read's id and any earlier copy of it, in one statement.
                event.pk, first_id = _claim(lane.lot_id, event)
                if first_id is not None:
                    raise _Resent(first_id)
            decision = _decide(event=event, lane=lane, read=read, now=now, actor=actor, by=by)
            event.opened = decision.opened
            event.reason = decision.reason
            event.amount_due = decision.amount_due
            event.needs_staff = decision.needs_staff
            event.session = decision.session
            # Stored with its decision in one INSERT, before the camera gets an answer; its
            # unique key stops a second copy racing this one, whose whole transaction (the
            # stay it would have opened or closed too) then rolls back.
            prepared.insert(event, with_pk=claimed)
            # Receivers (the exchange's car-passage records) write in this transaction.
            plate_read_stored.send(sender=PlateEvent, event=event, lane=lane, device=device)
            _publish(event, lane, decision.inside)
            if decision.opened and lane is not None and lane.barrier_url:
                barrier_open_on_commit(lane.pk, event.pk, actor)
    except _Resent as resent:
        return _duplicate(PlateEvent.objects.get(pk=resent.first_id), read, now)
    except IntegrityError:
        # The same read stored a moment ago (a resend, or the same read at a second endpoint of
        # ours): its first copy holds the key. Anything else is a real error.
        first = (
            PlateEvent.objects.filter(device_id=device.pk, device_key=read.device_key).first()
            if read.device_key
            else None
        )
        if first is None:
            raise
        return _duplicate(first, read, now)
    decision.event = event
    decision.led_text = (
        ""
        if read.offline
        else d.led_text(
            direction=direction, reason=decision.reason, plate=plate, amount_due=decision.amount_due
        )
    )
    return decision


class _Resent(Exception):
    """An earlier copy of this read is stored: nothing is decided or written again."""

    def __init__(self, first_id: int) -> None:
        self.first_id = first_id


_CLAIM_SQL = {
    # The advisory lock serialises every decision about one plate in one lot (common.lock_plate);
    # the id is taken now so the stay written before the read can point at it (the foreign keys
    # are checked at commit). The earlier copy is looked for in the snapshot taken before the
    # lock was granted: one committed meanwhile is caught by the unique key at the INSERT.
    "postgresql": (
        "SELECT pg_advisory_xact_lock(%s, hashtext(%s)), nextval(pg_get_serial_sequence(%s, 'id')), "
        "(SELECT id FROM {table} WHERE device_id = %s AND device_key = %s AND device_key <> '' LIMIT 1)"
    ),
    # SQLite holds its one write lock from BEGIN IMMEDIATE: no other writer can take the next id.
    "sqlite": (
        "SELECT %s, %s, COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0) + 1, "
        "(SELECT id FROM {table} WHERE device_id = %s AND device_key = %s AND device_key <> '' LIMIT 1)"
    ),
}


def _claim(lot_id: int, event: PlateEvent) -> tuple[int, int | None]:
    """(the read's new id, the id of a copy of it already stored or None), the plate locked."""
    table = PlateEvent._meta.db_table
    sql = _CLAIM_SQL[connection.vendor].format(table=connection.ops.quote_name(table))
    params = [int(lot_id) % 2**31, event.plate, table, event.device_id, event.device_key]
    with prepared.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[-2], row[-1]


def clock_skewed(read: PlateRead, now: dt.datetime) -> bool:
    """A live read is taken now, so its camera time should be now; a replayed one is older,
    so only a time in the future gives its camera's clock away."""
    if read.device_time is None:
        return False
    ahead = read.device_time - now
    return ahead > CLOCK_SKEW_TOLERANCE or (not read.offline and -ahead > CLOCK_SKEW_TOLERANCE)


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
    # The plate is locked already (``_claim``).
    return decide(event=event, lot=lane.lot, offline=read.offline, now=now, actor=actor, by=by)


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
        "clock_skewed": event.clock_skewed,
        "needs_staff": event.needs_staff,
        "received_at": event.received_at.isoformat(),
    }


def _publish(event: PlateEvent, lane: Lane | None, inside: int | None) -> None:
    payload = event_payload(event)
    if lane is not None and inside is not None:
        # Counted by the decision's own statement: no count of its own per read.
        payload["occupancy"] = lot_occupancy(lane.lot, inside)
    publish_on_commit(parking_group(event.estate_id), payload, merge=merge_live_reads)


# The staff screen's feed shows this many reads; a merged message carries no more.
LIVE_READS_LIMIT = 60


def merge_live_reads(first: dict, second: dict) -> dict | None:
    """Fold queued live reads of one estate into one ``parking.reads`` message, oldest first
    (community.realtime calls this when a busy estate's reads queue up together)."""

    def reads(message: dict) -> list | None:
        kind = message.get("type")
        return message["reads"] if kind == "parking.reads" else [message] if kind == "parking.read" else None

    earlier, later = reads(first), reads(second)
    if earlier is None or later is None:
        return None
    return {"type": "parking.reads", "reads": (earlier + later)[-LIVE_READS_LIMIT:]}


def occupancy_publish(lot: Lot) -> None:
    publish_on_commit(
        parking_group(lot.estate_id), {"type": "parking.occupancy", "occupancy": lot_occupancy(lot)}
    )


def live_sessions_q() -> Q:
    return Q(status__in=LIVE_STATUSES)
