"""Grid events (网格事件): reported by residents or grid workers, handled in the grid, reviewed
by the community office, disputed or escalated to the street office. Writes here; the clock and
escalation levels are the ticket engine's (``community.tickets.sla``)."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from community.errors import (
    NotAllowed,
    ServiceError,
    StaleVersion,
    TransitionRefused,
    text_limit,
    text_too_long,
)
from community.residents.models import Occupancy
from community.scoping import staff_estate_ids_for_perm
from community.tickets.sla import Clock, SLAState, at_risk_from

from .grid_transitions import GRID_NEEDS_REASON, GridAction, GridRole, GridStatus, grid_next_status
from .models import Grid, GridEvent, GridEventLog, GridEventPhoto, Urgency
from .services import ESCALATION_LEVEL, OFFICE_PERM
from .signals import grid_event_changed

BUDGETS = {Urgency.URGENT: dt.timedelta(hours=4), Urgency.NORMAL: dt.timedelta(hours=72)}
MAX_PHOTOS = 6
DISPUTE_WINDOW = dt.timedelta(days=7)


def _actor(by) -> dict:
    return {"actor": None, "actor_label": by} if isinstance(by, str) else {"actor": by, "actor_label": ""}


def _is_office(user, estate_id: int) -> bool:
    if isinstance(user, str) or not user.is_authenticated:
        return False
    ids = staff_estate_ids_for_perm(user, OFFICE_PERM)
    return ids is None or estate_id in ids


def grid_roles(user, event: GridEvent) -> frozenset[str]:
    roles = set()
    if user.is_authenticated and event.reporter_id == user.pk:
        roles.add(GridRole.REPORTER)
    if user.is_authenticated and event.grid.worker_id == user.pk:
        roles.add(GridRole.GRID_WORKER)
    if _is_office(user, event.estate_id):
        roles.add(GridRole.OFFICE)
    return frozenset(roles)


def _clock(e: GridEvent) -> Clock:
    return Clock(
        started_at=e.sla_started_at, paused_seconds=e.sla_paused_seconds, paused_since=e.sla_paused_since
    )


def _store_clock(e: GridEvent, clock: Clock, now: dt.datetime) -> None:
    e.sla_paused_seconds, e.sla_paused_since = clock.paused_seconds, clock.paused_since
    if e.status == GridStatus.CLOSED or clock.is_paused:
        e.due_at = e.at_risk_at = None
    else:
        budget = BUDGETS[e.urgency]
        e.due_at = clock.due_at(budget, now)
        e.at_risk_at = at_risk_from(e.due_at, budget)


def _grid_for(estate, building_id: int | None) -> Grid | None:
    grids = Grid.objects.filter(estate=estate)
    if building_id is not None:
        found = grids.filter(buildings__id=building_id).first()
        if found is not None:
            return found
    return grids.order_by("pk").first()


@transaction.atomic
def grid_event_report(
    *,
    estate,
    type: str,
    location: str,
    description: str,
    by,
    urgency: str = Urgency.NORMAL,
    building_id: int | None = None,
    people_involved: str = "",
    photos=(),
) -> GridEvent:
    """A resident of the estate, its grid worker or the office reports what they saw."""
    resident_here = (
        Occupancy.objects.active().filter(resident__user=by, unit__building__estate=estate).exists()
    )
    worker_here = Grid.objects.filter(estate=estate, worker=by).exists()
    if not (resident_here or worker_here or _is_office(by, estate.pk)):
        raise NotAllowed(_("Only residents and grid staff of this estate report grid events."))
    errors = {}
    if type not in dict(GridEvent._meta.get_field("type").choices):
        errors["type"] = [_("Choose what kind of matter it is.")]
    if urgency not in Urgency.values:
        errors["urgency"] = [_("Unknown urgency.")]
    for field, value in (
        ("location", location),
        ("description", description),
        ("people_involved", people_involved),
    ):
        if field != "people_involved" and not (value or "").strip():
            errors[field] = [_("This field is required.")]
        elif too_long := text_too_long((value or "").strip(), text_limit(GridEvent, field)):
            errors[field] = [too_long]
    if len(photos) > MAX_PHOTOS:
        errors["photos"] = [_("At most %(n)d photos.") % {"n": MAX_PHOTOS}]
    grid = _grid_for(estate, building_id)
    if grid is None:
        errors["grid"] = [_("This estate has no grids yet.")]
    if errors:
        raise ServiceError(errors)
    now = timezone.now()
    for attempt in range(5):
        prefix = f"WG{timezone.localdate():%Y%m%d}"
        number = f"{prefix}{GridEvent.objects.filter(number__startswith=prefix).count() + 1 + attempt:04d}"
        try:
            with transaction.atomic():
                event = GridEvent.objects.create(
                    estate=estate,
                    grid=grid,
                    number=number,
                    type=type,
                    urgency=urgency,
                    location=location.strip(),
                    description=description.strip(),
                    people_involved=people_involved.strip(),
                    reporter=by,
                    sla_started_at=now,
                )
            break
        except IntegrityError:
            continue
    else:
        raise ServiceError(_("Please try again."), code="busy")
    _store_clock(event, _clock(event), now)
    event.save(update_fields=["due_at", "at_risk_at"])
    for photo in photos:
        GridEventPhoto.objects.create(event=event, image=photo)
    GridEventLog.objects.create(event=event, action="report", params={}, **_actor(by))
    grid_event_changed.send(sender=GridEvent, event=event, action="report")
    return event


@transaction.atomic
def grid_event_move(
    *, event: GridEvent, action: str, by, reason: str = "", version: int | None = None
) -> GridEvent:
    event = GridEvent.objects.select_for_update().select_related("grid").get(pk=event.pk)
    if version is not None and version != event.version:
        raise StaleVersion(_("Someone else changed this event; reload it."))
    target = grid_next_status(event.status, action, grid_roles(by, event))
    reason = (reason or "").strip()
    if action in GRID_NEEDS_REASON and not reason:
        raise ServiceError({"reason": [_("Give the reason.")]})
    now = timezone.now()
    if action == GridAction.DISPUTE and event.closed_at and now - event.closed_at > DISPUTE_WINDOW:
        raise TransitionRefused(_("A closure can be disputed within 7 days."), code="dispute_window")
    clock = _clock(event)
    # The street office's time is not the community's: the clock stops while it has the matter.
    clock = clock.pause(now) if target == GridStatus.ESCALATED else clock.resume(now)
    previous, event.status = event.status, target
    event.closed_at = now if target == GridStatus.CLOSED else None
    event.version += 1
    _store_clock(event, clock, now)
    event.save()
    GridEventLog.objects.create(
        event=event, action=action, params={"from": previous, "to": target, "reason": reason}, **_actor(by)
    )
    grid_event_changed.send(sender=GridEvent, event=event, action=action)
    return event


@transaction.atomic
def grid_event_rate(*, event: GridEvent, rating: int, by) -> GridEvent:
    event = GridEvent.objects.select_for_update().select_related("grid").get(pk=event.pk)
    if GridRole.REPORTER not in grid_roles(by, event):
        raise NotAllowed(_("Only the reporter rates the handling."))
    if event.status != GridStatus.CLOSED or event.rating is not None:
        raise TransitionRefused(_("A closed event can be rated once."))
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ServiceError({"rating": [_("Give 1 to 5 stars.")]})
    event.rating = rating
    event.save(update_fields=["rating"])
    GridEventLog.objects.create(event=event, action="rate", params={"rating": rating}, **_actor(by))
    return event


def grid_events_escalate(*, now: dt.datetime | None = None, by="system:affairs.escalate") -> int:
    now = now or timezone.now()
    raised = 0
    due = GridEvent.objects.exclude(status=GridStatus.CLOSED).filter(at_risk_at__lte=now)
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            e = GridEvent.objects.select_for_update().get(pk=pk)
            state = SLAState.OVERDUE if e.due_at and now >= e.due_at else SLAState.AT_RISK
            if ESCALATION_LEVEL[state] > e.escalation_level and e.sla_paused_since is None:
                e.escalation_level = ESCALATION_LEVEL[state]
                e.save(update_fields=["escalation_level"])
                GridEventLog.objects.create(event=e, action="overdue", params={"state": state}, **_actor(by))
                raised += 1
    return raised
