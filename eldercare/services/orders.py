"""Care orders: booking (one-off and recurring), accept, assign, cancel, fail, confirm, rate.

Every status change asks ``transitions.order_next``. Accepting is the one place where many
actors race for one row: the row is locked (``select_for_update``) and the loser is told
"已被接单" (409), never handed a second assignment.
"""

from __future__ import annotations

import datetime as dt
import secrets
import zoneinfo

from django.db import transaction
from django.utils.translation import gettext as _

from community.errors import AlreadyDone, NotAllowed, ServiceError, text_within
from community.notifications.services import notification_send

from .. import messages
from ..models import (
    MEAL_SLOT_TIMES,
    BookedVia,
    ElderProfile,
    FailOutcome,
    Order,
    RecurringPlan,
    ServiceCategory,
    ServiceItem,
)
from ..selectors import is_care_staff, latest_assessment, order_roles
from ..transitions import OrderAction, OrderRole, OrderStatus, order_next
from .common import now_or, publish_order

PLAN_HORIZON = dt.timedelta(days=7)


def _local(estate) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(estate.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("Asia/Shanghai")


def _new_number(at: dt.datetime) -> str:
    return f"EC{at:%y%m%d}{secrets.token_hex(4).upper()}"


def _lock(order: Order) -> Order:
    return Order.objects.select_for_update().select_related("item", "estate").get(pk=order.pk)


def _check(order: Order, action: str, by) -> set[str]:
    roles = order_roles(by, order)
    order.status = order_next(order.status, action, roles)
    return roles


def _booking_via(by, elder: ElderProfile) -> str:
    if isinstance(by, str):
        return BookedVia.SYSTEM
    if elder.resident.user_id == by.pk:
        return BookedVia.ELDER
    if is_care_staff(by, elder.estate_id):
        return BookedVia.PHONE
    return BookedVia.FAMILY


def meal_times(*, item: ServiceItem, day: dt.date, slot: str, estate) -> tuple[dt.datetime, dt.datetime]:
    """(promised delivery, order cut-off) of a meal slot on ``day`` in the estate's time."""
    if slot not in MEAL_SLOT_TIMES:
        raise ServiceError({"meal_slot": [_("Pick breakfast, lunch or dinner.")]})
    promised = dt.datetime.combine(day, MEAL_SLOT_TIMES[slot], tzinfo=_local(estate))
    return promised, promised - dt.timedelta(hours=item.meal_cutoff_hours)


def _validate_booking(*, elder: ElderProfile, item: ServiceItem, by) -> None:
    if not item.active or not item.station.estates.filter(pk=elder.estate_id).exists():
        raise ServiceError({"item": [_("This service is not offered to this elder's estate.")]})
    if not isinstance(by, str):
        from ..selectors import family_elders

        if not (is_care_staff(by, elder.estate_id) or family_elders(by).filter(pk=elder.pk).exists()):
            raise NotAllowed(_("You may book only for yourself or an elder of your family."))
    if item.needs_assessment or item.eligible_levels:
        assessment = latest_assessment(elder)
        if assessment is None:
            raise ServiceError({"item": [_("This service needs an ability assessment first.")]})
        if item.eligible_levels and assessment.level not in item.eligible_levels:
            raise ServiceError({"item": [_("This service is not for the elder's ability level.")]})


@transaction.atomic
def order_book(
    *,
    elder: ElderProfile,
    item: ServiceItem,
    by,
    scheduled_at: dt.datetime | None = None,
    day: dt.date | None = None,
    meal_slot: str = "",
    quantity=1,
    note: str = "",
    urgent: bool = False,
    plan: RecurringPlan | None = None,
    now: dt.datetime | None = None,
) -> Order:
    """Book one visit. Meals are booked by day and slot: the promised time is the slot's, and
    booking after the cut-off is refused."""
    now = now_or(now)
    note = text_within(note, Order, "note")
    _validate_booking(elder=elder, item=item, by=by)
    promised = None
    if item.category == ServiceCategory.MEALS:
        if day is None and scheduled_at is not None:
            day = scheduled_at.astimezone(_local(elder.estate)).date()
        if day is None:
            raise ServiceError({"day": [_("Pick the day of the meal.")]})
        promised, cutoff = meal_times(item=item, day=day, slot=meal_slot, estate=elder.estate)
        if now > cutoff:
            raise ServiceError(
                {
                    "meal_slot": [
                        _("Orders for this meal closed at %(cutoff)s.") % {"cutoff": f"{cutoff:%m-%d %H:%M}"}
                    ]
                },
                code="after_cutoff",
            )
        scheduled_at = promised
    elif scheduled_at is None:
        raise ServiceError({"scheduled_at": [_("Pick a time for the visit.")]})
    elif scheduled_at < now - dt.timedelta(minutes=5) and not urgent:
        raise ServiceError({"scheduled_at": [_("That time has already passed.")]})
    order = Order.objects.create(
        number=_new_number(now),
        estate_id=elder.estate_id,
        station=item.station,
        elder=elder,
        item=item,
        booked_by=plan.booked_by if plan else (None if isinstance(by, str) else by),
        booked_via=BookedVia.SYSTEM if plan else _booking_via(by, elder),
        plan=plan,
        scheduled_at=scheduled_at,
        meal_slot=meal_slot if promised else "",
        promised_at=promised,
        quantity=quantity,
        note=note,
        urgent=urgent,
    )
    publish_order(order, kind="care.order.new")
    return order


@transaction.atomic
def plan_create(
    *,
    elder: ElderProfile,
    item: ServiceItem,
    weekdays: list[int],
    time_of_day: dt.time,
    start_date: dt.date,
    end_date: dt.date,
    meal_slot: str = "",
    by,
    now: dt.datetime | None = None,
) -> RecurringPlan:
    _validate_booking(elder=elder, item=item, by=by)
    if not weekdays or any(d not in range(7) for d in weekdays):
        raise ServiceError({"weekdays": [_("Pick at least one weekday.")]})
    if end_date < start_date:
        raise ServiceError({"end_date": [_("The end comes before the start.")]})
    plan = RecurringPlan.objects.create(
        elder=elder,
        item=item,
        weekdays=sorted(set(weekdays)),
        time_of_day=time_of_day,
        meal_slot=meal_slot,
        start_date=start_date,
        end_date=end_date,
        booked_by=by,
    )
    plan_generate(plan=plan, by=by, now=now)
    return plan


def _plan_days(plan: RecurringPlan, first: dt.date, last: dt.date):
    day = first
    while day <= last:
        if day.weekday() in plan.weekdays:
            yield day
        day += dt.timedelta(days=1)


@transaction.atomic
def plan_generate(*, plan: RecurringPlan, by, now: dt.datetime | None = None) -> list[Order]:
    """Create the plan's orders up to a week ahead; each (plan, time) at most once."""
    now = now_or(now)
    plan = (
        RecurringPlan.objects.select_for_update()
        .select_related("elder__estate", "item__station")
        .get(pk=plan.pk)
    )
    tz = _local(plan.elder.estate)
    today = now.astimezone(tz).date()
    first = max(
        plan.start_date,
        today,
        (plan.generated_through or plan.start_date - dt.timedelta(days=1)) + dt.timedelta(days=1),
    )
    last = min(plan.end_date, today + PLAN_HORIZON)
    created = []
    for day in _plan_days(plan, first, last):
        when = dt.datetime.combine(day, plan.time_of_day, tzinfo=tz)
        if plan.meal_slot:
            when, cutoff = meal_times(item=plan.item, day=day, slot=plan.meal_slot, estate=plan.elder.estate)
            if now > cutoff:
                continue
        elif when < now:
            continue
        if Order.objects.filter(plan=plan, scheduled_at=when).exists():
            continue
        created.append(
            order_book(
                elder=plan.elder,
                item=plan.item,
                by=by,
                scheduled_at=when,
                day=day,
                meal_slot=plan.meal_slot,
                plan=plan,
                now=now,
            )
        )
    if last >= first:
        plan.generated_through = last
        plan.save(update_fields=["generated_through"])
    return created


def plans_generate(*, now: dt.datetime | None = None, by: str = "system:care_plans") -> int:
    """Periodic: every running plan generates its orders for the next week."""
    now = now_or(now)
    count = 0
    for plan in RecurringPlan.objects.filter(end_date__gte=now.date()):
        count += len(plan_generate(plan=plan, by=by, now=now))
    return count


@transaction.atomic
def order_accept(*, order: Order, by, now: dt.datetime | None = None) -> Order:
    """A worker takes an open order. Of many pressing at once, exactly one wins."""
    order = _lock(order)
    if order.status != OrderStatus.PENDING:
        if order.worker_id == getattr(by, "pk", None) and order.status == OrderStatus.ACCEPTED:
            return order  # a double tap by the winner is not an error
        raise AlreadyDone(_("Already taken by another worker."), code="taken")
    # Only the worker role matters here; the full order_roles costs queries on the hot path.
    roles = {OrderRole.WORKER} if is_care_staff(by, order.estate_id, roles=("eldercare_worker",)) else set()
    order.status = order_next(order.status, OrderAction.ACCEPT, roles)
    order.worker = by
    order.accepted_at = now_or(now)
    order.save(update_fields=["status", "worker", "accepted_at", "updated_at"])
    publish_order(order, kind="care.order.taken")
    return order


@transaction.atomic
def order_assign(*, order: Order, worker, by, now: dt.datetime | None = None) -> Order:
    """A coordinator assigns (or reassigns) the order to a care worker of its estate."""
    order = _lock(order)
    if not is_care_staff(worker, order.estate_id, roles=("eldercare_worker",)):
        raise ServiceError({"worker": [_("This person is not a care worker of the order's estate.")]})
    _check(order, OrderAction.ASSIGN, by)
    order.worker = worker
    order.accepted_at = now_or(now)
    order.save(update_fields=["status", "worker", "accepted_at", "updated_at"])
    notification_send(
        recipients=[worker],
        verb="care.order.assigned",
        message=messages.ORDER_ASSIGNED,
        params={"number": order.number},
        url=f"/worker/care/orders/{order.pk}/",
        estate=order.estate,
    )
    publish_order(order, kind="care.order.taken")
    return order


@transaction.atomic
def order_depart(*, order: Order, by, now: dt.datetime | None = None) -> Order:
    order = _lock(order)
    _check(order, OrderAction.DEPART, by)
    order.en_route_at = now_or(now)
    order.save(update_fields=["status", "en_route_at", "updated_at"])
    publish_order(order)
    return order


@transaction.atomic
def order_cancel(*, order: Order, by, reason: str = "", now: dt.datetime | None = None) -> Order:
    reason = text_within(reason, Order, "cancel_reason", key="reason")
    order = _lock(order)
    roles = order_roles(by, order)
    was = order.status
    order.status = order_next(order.status, OrderAction.CANCEL, roles)
    by_staff_only = OrderRole.STAFF in roles and (
        was != OrderStatus.PENDING or OrderRole.REQUESTER not in roles
    )
    if by_staff_only and not reason:
        raise ServiceError({"reason": [_("Give the reason for cancelling.")]})
    order.cancelled_at = now_or(now)
    order.cancel_reason = reason
    order.save(update_fields=["status", "cancelled_at", "cancel_reason", "updated_at"])
    publish_order(order)
    return order


@transaction.atomic
def order_fail(*, order: Order, outcome: str, by, note: str = "", now: dt.datetime | None = None) -> Order:
    """The visit could not happen (not home, refused): kept, never deleted."""
    if outcome not in FailOutcome.values:
        raise ServiceError({"outcome": [_("Say why the visit failed.")]})
    note = text_within(note, Order, "cancel_reason", key="note")
    order = _lock(order)
    _check(order, OrderAction.FAIL, by)
    order.fail_outcome = outcome
    order.cancel_reason = note
    order.cancelled_at = now_or(now)
    order.save(update_fields=["status", "fail_outcome", "cancel_reason", "cancelled_at", "updated_at"])
    publish_order(order)
    return order


@transaction.atomic
def order_confirm(*, order: Order, by, now: dt.datetime | None = None) -> Order:
    order = _lock(order)
    _check(order, OrderAction.CONFIRM, by)
    order.confirmed_at = now_or(now)
    order.save(update_fields=["status", "confirmed_at", "updated_at"])
    publish_order(order)
    return order


@transaction.atomic
def order_rate(*, order: Order, rating: int, by, comment: str = "", now: dt.datetime | None = None) -> Order:
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ServiceError({"rating": [_("Give 1 to 5 stars.")]})
    comment = text_within(comment, Order, "rating_comment", key="comment")
    order = _lock(order)
    if order.rating is not None:
        raise AlreadyDone(_("This visit has already been rated."))
    _check(order, OrderAction.RATE, by)
    order.rating = rating
    order.rating_comment = comment
    order.confirmed_at = order.confirmed_at or now_or(now)
    order.save(update_fields=["status", "rating", "rating_comment", "confirmed_at", "updated_at"])
    publish_order(order)
    return order


def urgent_order_create(*, elder: ElderProfile, by, now: dt.datetime | None = None) -> Order | None:
    """An urgent 助急 order for an escalated alarm, at the first station serving the estate.

    A station without a 助急 item gets one (price 0: emergency help is not sold)."""
    now = now_or(now)
    station = elder.estate.care_stations.order_by("pk").first()
    if station is None:
        return None
    item = station.items.filter(category=ServiceCategory.EMERGENCY, active=True).order_by("pk").first()
    if item is None:
        item = ServiceItem.objects.create(
            station=station, name="助急", category=ServiceCategory.EMERGENCY, price=0, duration_minutes=30
        )
    return order_book(elder=elder, item=item, by=by, scheduled_at=now, urgent=True, now=now)
