"""Worker pages (/worker/care/) and the family and elder portal (/portal/care/). Thin: the
selectors decide what is visible, the services what may happen."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import selectors, services
from .doorcode import door_code, month_card
from .forms import BookForm, CheckForm, FailForm, RateForm, ResolveForm
from .models import CareStation, Order
from .services.common import alarms_group, order_group, orders_group
from .services.orders import _local
from .settlement import settlement_workbook
from .transitions import ALARM_OPEN, ORDER_DELIVERED, AlarmRole, alarm_actions, order_actions
from .visit_rules import EXCEPTION_LABELS


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(str(m) for m in exc.messages)
    return str(exc) or _("Not allowed.")


def _run(request, call, *, done: str | None = None) -> bool:
    try:
        call()
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
        return False
    messages.success(request, done or _("Done."))
    return True


def _require_care_staff(request) -> None:
    if (
        not request.user.is_staff
        or selectors.staff_estate_ids(request.user, roles=selectors.CARE_STAFF_ROLES) == frozenset()
    ):
        raise PermissionDenied(_("These pages are for care staff."))


def _month_param(value: str | None) -> dt.date:
    try:
        return dt.datetime.strptime(value or "", "%Y-%m").date()
    except ValueError:
        return timezone.localdate().replace(day=1)


# --- Worker pages -----------------------------------------------------------------------------


@login_required
def worker_index(request):
    _require_care_staff(request)
    user = request.user
    estate_ids = selectors.staff_estate_ids(user, roles=selectors.CARE_STAFF_ROLES)
    if estate_ids is None:
        estate_ids = set(selectors.staff_orders(user).values_list("estate_id", flat=True).distinct())
    available = list(selectors.available_orders(user)[:50])
    schedule = list(selectors.worker_schedule(user)[:50])
    alarms = list(selectors.staff_alarms(user).filter(status__in=ALARM_OPEN)[:20])
    groups = [orders_group(e) for e in sorted(estate_ids)] + [alarms_group(e) for e in sorted(estate_ids)]
    is_coordinator = selectors.staff_estate_ids(user, roles=selectors.COORDINATOR_ROLES) != frozenset()
    stations = CareStation.objects.filter(estates__in=list(estate_ids)).distinct() if is_coordinator else []
    return render(
        request,
        "worker/care/index.html",
        {
            "available": available,
            "schedule": schedule,
            "alarms": alarms,
            "groups": groups,
            "is_coordinator": is_coordinator,
            "stations": stations,
            "this_month": timezone.localdate().strftime("%Y-%m"),
        },
    )


@login_required
def worker_order(request, pk: int):
    _require_care_staff(request)
    order = get_object_or_404(selectors.staff_orders(request.user), pk=pk)
    roles = selectors.order_roles(request.user, order)
    return render(
        request,
        "worker/care/order.html",
        {
            "order": order,
            "actions": order_actions(order.status, roles),
            "check_form": CheckForm(),
            "fail_form": FailForm(),
            "group": order_group(order.pk),
            "care_notes": order.elder.care_notes,
            "suggested": selectors.suggest_worker(order)
            if "assign" in order_actions(order.status, roles)
            else None,
        },
    )


@login_required
@require_POST
def worker_order_act(request, pk: int, action: str):
    _require_care_staff(request)
    order = get_object_or_404(selectors.staff_orders(request.user), pk=pk)
    by = request.user
    if action == "accept":
        _run(request, lambda: services.order_accept(order=order, by=by), done=_("The order is yours."))
    elif action == "depart":
        _run(request, lambda: services.order_depart(order=order, by=by))
    elif action in ("check_in", "check_out"):
        form = CheckForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("The door code has 6 digits."))
        else:
            service = services.order_check_in if action == "check_in" else services.order_check_out
            data = form.cleaned_data
            _run(
                request,
                lambda: service(
                    order=order,
                    by=by,
                    latitude=data["latitude"],
                    longitude=data["longitude"],
                    accuracy=data["accuracy"],
                    door_code=data["door_code"] or "",
                    idempotency_key=data["idempotency_key"] or None,
                ),
            )
    elif action == "fail":
        form = FailForm(request.POST)
        if form.is_valid():
            _run(request, lambda: services.order_fail(order=order, by=by, **form.cleaned_data))
    elif action == "assign":
        worker = selectors.suggest_worker(order)
        if worker is None:
            messages.error(request, _("No free care worker to suggest."))
        else:
            _run(request, lambda: services.order_assign(order=order, worker=worker, by=by))
    elif action == "cancel":
        _run(
            request, lambda: services.order_cancel(order=order, by=by, reason=request.POST.get("reason", ""))
        )
    else:
        raise Http404
    return redirect("care_worker:order", pk=pk)


@login_required
def worker_alarm(request, pk: int):
    _require_care_staff(request)
    alarm = get_object_or_404(selectors.staff_alarms(request.user), pk=pk)
    actions = alarm_actions(alarm.status, {AlarmRole.STAFF})
    return render(
        request, "worker/care/alarm.html", {"alarm": alarm, "actions": actions, "resolve_form": ResolveForm()}
    )


@login_required
@require_POST
def worker_alarm_act(request, pk: int, action: str):
    _require_care_staff(request)
    alarm = get_object_or_404(selectors.staff_alarms(request.user), pk=pk)
    by = request.user
    if action == "acknowledge":
        _run(request, lambda: services.alarm_acknowledge(alarm=alarm, by=by))
    elif action == "arrive":
        _run(request, lambda: services.alarm_arrive(alarm=alarm, by=by))
    elif action == "resolve":
        form = ResolveForm(request.POST)
        if form.is_valid():
            _run(request, lambda: services.alarm_resolve(alarm=alarm, by=by, **form.cleaned_data))
    else:
        raise Http404
    return redirect("care_worker:alarm", pk=pk)


@login_required
def worker_exceptions(request):
    _require_care_staff(request)
    rows = [
        (o, [EXCEPTION_LABELS[f] for f in flags]) for o, flags in selectors.exception_orders(request.user)
    ]
    return render(request, "worker/care/exceptions.html", {"rows": rows})


@login_required
def worker_settlement(request, pk: int):
    _require_care_staff(request)
    estate_ids = selectors.staff_estate_ids(request.user, roles=selectors.COORDINATOR_ROLES)
    stations = (
        CareStation.objects.all()
        if estate_ids is None
        else CareStation.objects.filter(estates__in=estate_ids)
    )
    station = get_object_or_404(stations.distinct(), pk=pk)
    month = _month_param(request.GET.get("month"))
    response = HttpResponse(
        settlement_workbook(station=station, month=month),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="care-settlement-{station.pk}-{month:%Y-%m}.xlsx"'
    )
    return response


@login_required
def worker_door_card(request, pk: int):
    """The month's door codes for the card inside the elder's door (printable)."""
    _require_care_staff(request)
    if selectors.staff_estate_ids(request.user, roles=selectors.COORDINATOR_ROLES) == frozenset():
        raise PermissionDenied(_("Only coordinators print door cards."))
    elder = get_object_or_404(selectors.staff_elders(request.user), pk=pk)
    month = _month_param(request.GET.get("month"))
    card = month_card(elder_id=elder.pk, salt=elder.door_code_salt, year=month.year, month=month.month)
    return render(request, "worker/care/door_card.html", {"elder": elder, "month": month, "card": card})


# --- Family and elder portal ------------------------------------------------------------------


def _family_order(request, pk: int) -> Order:
    return get_object_or_404(selectors.family_orders(request.user), pk=pk)


@login_required
def portal_index(request):
    elders = list(selectors.family_elders(request.user))
    today = timezone.localdate()
    cards = [(e, door_code(elder_id=e.pk, salt=e.door_code_salt, on=today)) for e in elders]
    orders = list(selectors.family_orders(request.user).order_by("-scheduled_at", "-pk")[:30])
    alarms = list(selectors.family_alarms(request.user)[:10])
    # The elder's own view: large type, few words.
    own = any(e.resident.user_id == request.user.pk for e in elders) and len(elders) == 1
    return render(
        request,
        "portal/care/index.html",
        {
            "cards": cards,
            "orders": orders,
            "alarms": alarms,
            "elder_view": own,
            "this_month": f"{today:%Y-%m}",
        },
    )


@login_required
def portal_book(request):
    elders = list(selectors.family_elders(request.user))
    if not elders:
        raise Http404
    items = {i.pk: i for e in elders for i in selectors.bookable_items(e)}
    form = BookForm(request.POST or None, elders=elders, items=items.values())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        elder = next(e for e in elders if e.pk == data["elder"])
        scheduled_at = data.get("scheduled_at")
        if scheduled_at is not None:
            scheduled_at = timezone.make_aware(scheduled_at, _local(elder.estate))
        try:
            if data["repeat_weekdays"]:
                plan = services.plan_create(
                    elder=elder,
                    item=items[data["item"]],
                    weekdays=data["repeat_weekdays"],
                    time_of_day=data["time"] or dt.time(9),
                    meal_slot=data["meal_slot"],
                    start_date=data["day"],
                    end_date=data["repeat_until"],
                    by=request.user,
                )
                messages.success(
                    request,
                    _("Booked. Visits are added a week ahead until %(until)s.") % {"until": plan.end_date},
                )
                return redirect("portal-care:index")
            order = services.order_book(
                elder=elder,
                item=items[data["item"]],
                by=request.user,
                scheduled_at=scheduled_at,
                day=data["day"],
                meal_slot=data["meal_slot"],
                note=data["note"],
            )
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, _("Booked. We will tell you when a worker takes it."))
            return redirect("portal-care:order", pk=order.pk)
    return render(request, "portal/care/book.html", {"form": form})


@login_required
def portal_order(request, pk: int):
    order = _family_order(request, pk)
    roles = selectors.order_roles(request.user, order)
    return render(
        request,
        "portal/care/order.html",
        {
            "order": order,
            "actions": order_actions(order.status, roles),
            "rate_form": RateForm(),
            "group": order_group(order.pk),
        },
    )


@login_required
@require_POST
def portal_order_act(request, pk: int, action: str):
    order = _family_order(request, pk)
    by = request.user
    if action == "confirm":
        _run(request, lambda: services.order_confirm(order=order, by=by), done=_("Thank you for confirming."))
    elif action == "rate":
        form = RateForm(request.POST)
        if form.is_valid():
            _run(
                request,
                lambda: services.order_rate(order=order, by=by, **form.cleaned_data),
                done=_("Thank you!"),
            )
        else:
            messages.error(request, _("Give 1 to 5 stars."))
    elif action == "cancel":
        _run(request, lambda: services.order_cancel(order=order, by=by))
    else:
        raise Http404
    return redirect("portal-care:order", pk=pk)


@login_required
def portal_statement(request):
    """The month's delivered services with subsidy and self-pay, per elder."""
    month = _month_param(request.GET.get("month"))
    after = (month + dt.timedelta(days=32)).replace(day=1)
    orders = (
        selectors.family_orders(request.user)
        .filter(status__in=ORDER_DELIVERED, completed_at__date__gte=month, completed_at__date__lt=after)
        .order_by("completed_at", "pk")
    )
    totals = orders.aggregate(
        price=Sum("price"), subsidy=Sum("subsidy_amount"), self_pay=Sum("self_pay_amount")
    )
    zero = Decimal("0.00")
    return render(
        request,
        "portal/care/statement.html",
        {
            "orders": orders,
            "month": month,
            "totals": {k: v or zero for k, v in totals.items()},
        },
    )
