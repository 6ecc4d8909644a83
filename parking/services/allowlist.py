"""Keeping a Hikvision ANPR camera's own allow-list in step with who may enter its lot.

The camera lifts its barrier from its list, not from our answer, so the list must hold the
plates our rules let in: valid permits of the lot (or of a lot inside it), cars of owned and
rented spaces there, and visitor passes with a plate, a valid window and entries left. The
camera knows days, not hours or entry counts: a pass is listed for the days it covers and
leaves the list at the next sync once it is used up, revoked or over (its entries are counted
by our decision on the camera's read, ``decide.pass_use``).

``allowlist_sync`` diffs what the rules allow against what the camera last took
(``AllowListEntry``), pushes only the difference through an ``AllowListClient`` and records
the outcome for staff (GateAction ``allowlist_sync``; a failure is also pushed to the live
screen). No transaction is held while the camera is called.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from access.models import Protocol, VisitorPass
from community.realtime import publish_on_commit

from ..allowlist_client import AllowedPlate, AllowListClient, AllowListError, HikvisionAllowList
from ..common import actor_label, allowlists_sync_soon, parking_group
from ..models import AllowListEntry, GateAction, GateActionKind, Lane, Permit, SpaceKind, Vehicle
from ..plates import normalise_plate

# Two syncs of one camera at once would push the same difference twice.
LOCK_SECONDS = 120
# A permit or pass that starts within this is listed already: the camera's list is by day.
LOOKAHEAD = dt.timedelta(days=1)
FAR_FUTURE = dt.date(2099, 12, 31)  # a space holder's car: no end


@dataclass
class SyncResult:
    ok: bool
    added: int = 0
    removed: int = 0
    detail: str = ""


def allowlist_lanes():
    """Lanes whose camera keeps its own list and that the platform can reach."""
    return (
        Lane.objects.select_related("lot", "device")
        .filter(device__protocol=Protocol.HIKVISION, device__approved=True)
        .exclude(barrier_url="")
    )


def allowed_plates(lane: Lane, now: dt.datetime) -> dict[str, tuple[dt.date, dt.date]]:
    """plate -> (first day, last day) in the camera's time zone, for every car our rules let in."""
    lot = lane.lot
    tz = lane.device.tzinfo
    horizon = now + LOOKAHEAD
    windows: dict[str, tuple[dt.date, dt.date]] = {}

    def allow(plate: str, start: dt.datetime | None, end: dt.datetime | None) -> None:
        plate = normalise_plate(plate)
        if not plate:
            return
        first = start.astimezone(tz).date() if start else now.astimezone(tz).date()
        # ``valid_until`` is exclusive; the camera's last day is inclusive.
        last = (end - dt.timedelta(microseconds=1)).astimezone(tz).date() if end else FAR_FUTURE
        if plate in windows:
            first, last = min(first, windows[plate][0]), max(last, windows[plate][1])
        windows[plate] = (first, last)

    in_lot = Q(lot_id=lot.pk) | Q(lot__parent_id=lot.pk)
    permits = Permit.objects.filter(
        in_lot, revoked_at__isnull=True, valid_from__lte=horizon, valid_until__gt=now, vehicle__approved=True
    ).values_list("vehicle__plate", "valid_from", "valid_until")
    for plate, start, end in permits:
        allow(plate, start, end)
    holders = Vehicle.objects.filter(
        Q(space__lot_id=lot.pk) | Q(space__lot__parent_id=lot.pk),
        approved=True,
        space__kind__in=[SpaceKind.OWNED, SpaceKind.RENTED],
    ).values_list("plate", flat=True)
    for plate in holders:
        allow(plate, None, None)
    passes = (
        VisitorPass.objects.filter(
            estate_id=lot.estate_id,
            revoked_at__isnull=True,
            valid_from__lte=horizon,
            valid_until__gt=now,
            entries_used__lt=F("max_entries"),
        )
        .exclude(plate="")
        .values_list("plate", "valid_from", "valid_until")
    )
    for plate, start, end in passes:
        allow(plate, start, end)
    return windows


def client_for(lane: Lane) -> AllowListClient:
    return HikvisionAllowList(
        base_url=lane.barrier_url,
        channel=lane.barrier_channel,
        username=lane.barrier_username,
        password=lane.barrier_password,
    )


def allowlist_sync(
    *, lane: Lane, by, client: AllowListClient | None = None, now: dt.datetime | None = None
) -> SyncResult:
    """Bring one camera's list in step with the rules; records what happened (``by``)."""
    actor = actor_label(by)
    now = now or timezone.now()
    lock = f"parking.allowlist_sync.{lane.pk}"
    if not cache.add(lock, actor, LOCK_SECONDS):
        return SyncResult(ok=True, detail="another sync of this camera is running")
    try:
        return _sync(lane=lane, actor=actor, client=client, now=now)
    finally:
        cache.delete(lock)


def _sync(*, lane: Lane, actor: str, client: AllowListClient | None, now: dt.datetime) -> SyncResult:
    wanted = allowed_plates(lane, now)
    held = {e.plate: e for e in AllowListEntry.objects.filter(lane_id=lane.pk)}
    with transaction.atomic():
        to_put = []
        for plate, (first, last) in wanted.items():
            entry = held.get(plate)
            if (
                entry is not None
                and entry.confirmed
                and (entry.valid_from, entry.valid_until) == (first, last)
            ):
                continue
            if entry is None:
                entry = AllowListEntry.objects.create(
                    lane=lane, plate=plate, valid_from=first, valid_until=last
                )
            elif (entry.valid_from, entry.valid_until) != (first, last) or entry.confirmed:
                entry.valid_from, entry.valid_until, entry.confirmed = first, last, False
                entry.save(update_fields=["valid_from", "valid_until", "confirmed", "updated_at"])
            to_put.append(entry)
    to_delete = [e for plate, e in held.items() if plate not in wanted]
    if not to_put and not to_delete:
        return SyncResult(ok=True)
    result = SyncResult(ok=True)
    try:
        client = client or client_for(lane)
        if to_put:
            client.put([AllowedPlate(str(e.pk), e.plate, e.valid_from, e.valid_until) for e in to_put])
            AllowListEntry.objects.filter(pk__in=[e.pk for e in to_put]).update(confirmed=True)
            result.added = len(to_put)
        if to_delete:
            client.delete([str(e.pk) for e in to_delete])
            AllowListEntry.objects.filter(pk__in=[e.pk for e in to_delete]).delete()
            result.removed = len(to_delete)
    except AllowListError as exc:
        result.ok, result.detail = False, str(exc)
    _record(lane, actor, result)
    return result


def _record(lane: Lane, actor: str, result: SyncResult) -> None:
    summary = f"+{result.added} −{result.removed}"
    with transaction.atomic():
        action = GateAction.objects.create(
            estate_id=lane.lot.estate_id,
            kind=GateActionKind.ALLOWLIST_SYNC,
            lane=lane,
            by=actor,
            ok=result.ok,
            detail=f"{summary}: {result.detail}"[:2000] if result.detail else summary,
        )
        if not result.ok:
            publish_on_commit(
                parking_group(lane.lot.estate_id),
                {
                    "type": "parking.barrier_failed",
                    "lane": lane.pk,
                    "action": action.pk,
                    "detail": f"{lane}: {action.detail}",
                },
            )


def allowlists_sync(*, by, estate_id: int | None = None) -> list[SyncResult]:
    """Every reachable Hikvision camera (of one estate); the periodic job and set-up changes."""
    lanes = allowlist_lanes()
    if estate_id is not None:
        lanes = lanes.filter(lot__estate_id=estate_id)
    return [allowlist_sync(lane=lane, by=by) for lane in lanes]


def on_visitor_pass_saved(sender=None, *, instance: VisitorPass, **kwargs) -> None:
    """post_save of a VisitorPass (access): a pass with a plate changes who may drive in."""
    if instance.plate:
        allowlists_sync_soon(instance.estate_id)
