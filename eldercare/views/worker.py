"""Worker pages (/worker/care/): available orders, schedule, check-in and out, alarms, and the
coordinator's exception list, roster-aware alarms, settlement and door cards. Thin: the
selectors decide what is visible, the services what may happen."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import selectors, services
from ..doorcode import month_card
from ..forms import CheckForm, FailForm, ResolveForm
from ..models import CareStation, WorkerPosition
from ..services.common import alarms_group, order_group, orders_group
from ..settlement import settlement_workbook
from ..transitions import ALARM_OPEN, AlarmRole, OrderStatus, alarm_actions, order_actions
from ..visit_rules import EXCEPTION_LABELS
from .common import month_param, require_care_staff, run

# --- Worker pages -----------------------------------------------------------------------------


@login_required
def worker_index(request):
    require_care_staff(request)
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
    is_worker = selectors.staff_estate_ids(user, roles=selectors.WORKER_ROLES) != frozenset()
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
            "is_worker": is_worker,
            "position": WorkerPosition.objects.filter(worker=user).first() if is_worker else None,
        },
    )


@login_required
def worker_order(request, pk: int):
    require_care_staff(request)
    order = get_object_or_404(selectors.staff_orders(request.user), pk=pk)
    roles = selectors.order_roles(request.user, order)
    return render(
        request,
        "worker/care/order.html",
        {
            "order": order,
            "status_labels": {code: str(label) for code, label in OrderStatus.choices},
            "actions": order_actions(order.status, roles),
            "fail_form": FailForm(),
            "group": order_group(order.pk),
            "care_notes": order.elder.care_notes,
            "suggestions": selectors.suggest_workers(order)
            if "assign" in order_actions(order.status, roles)
            else [],
        },
    )


@login_required
@require_POST
def worker_order_act(request, pk: int, action: str):
    require_care_staff(request)
    order = get_object_or_404(selectors.staff_orders(request.user), pk=pk)
    by = request.user
    if action == "accept":
        run(request, lambda: services.order_accept(order=order, by=by), done=_("The order is yours."))
    elif action == "depart":
        run(request, lambda: services.order_depart(order=order, by=by))
    elif action in ("check_in", "check_out"):
        form = CheckForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("The door code has 6 digits."))
        else:
            service = services.order_check_in if action == "check_in" else services.order_check_out
            data = form.cleaned_data
            run(
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
            run(request, lambda: services.order_fail(order=order, by=by, **form.cleaned_data))
    elif action == "assign":
        # The coordinator picks one of the suggestions (or takes the first); the service checks
        # that the person is a care worker of the order's estate.
        chosen = request.POST.get("worker", "")
        worker = (
            get_user_model().objects.filter(pk=int(chosen), is_active=True).first()
            if chosen.isdigit()
            else selectors.suggest_worker(order)
        )
        if worker is None:
            messages.error(request, _("No free care worker to suggest."))
        else:
            run(request, lambda: services.order_assign(order=order, worker=worker, by=by))
    elif action == "cancel":
        run(request, lambda: services.order_cancel(order=order, by=by, reason=request.POST.get("reason", "")))
    else:
        raise Http404
    return redirect("care_worker:order", pk=pk)


@login_required
@require_POST
def worker_position_sharing(request):
    """The worker's own choice to share the phone's position (for nearest-worker suggestions)."""
    require_care_staff(request)
    sharing = request.POST.get("sharing") == "1"
    done = _("Your position is shared while you use the app.") if sharing else _("Position sharing is off.")
    run(request, lambda: services.worker_position_sharing_set(by=request.user, sharing=sharing), done=done)
    return redirect("care_worker:index")


@login_required
def worker_alarm(request, pk: int):
    require_care_staff(request)
    alarm = get_object_or_404(selectors.staff_alarms(request.user), pk=pk)
    actions = alarm_actions(alarm.status, {AlarmRole.STAFF})
    return render(
        request, "worker/care/alarm.html", {"alarm": alarm, "actions": actions, "resolve_form": ResolveForm()}
    )


@login_required
@require_POST
def worker_alarm_act(request, pk: int, action: str):
    require_care_staff(request)
    alarm = get_object_or_404(selectors.staff_alarms(request.user), pk=pk)
    by = request.user
    if action == "acknowledge":
        run(request, lambda: services.alarm_acknowledge(alarm=alarm, by=by))
    elif action == "arrive":
        run(request, lambda: services.alarm_arrive(alarm=alarm, by=by))
    elif action == "resolve":
        form = ResolveForm(request.POST)
        if form.is_valid():
            run(request, lambda: services.alarm_resolve(alarm=alarm, by=by, **form.cleaned_data))
    else:
        raise Http404
    return redirect("care_worker:alarm", pk=pk)


@login_required
def worker_exceptions(request):
    require_care_staff(request)
    rows = [
        (o, [EXCEPTION_LABELS[f] for f in flags]) for o, flags in selectors.exception_orders(request.user)
    ]
    return render(request, "worker/care/exceptions.html", {"rows": rows})


@login_required
def worker_settlement(request, pk: int):
    require_care_staff(request)
    estate_ids = selectors.staff_estate_ids(request.user, roles=selectors.COORDINATOR_ROLES)
    stations = (
        CareStation.objects.all()
        if estate_ids is None
        else CareStation.objects.filter(estates__in=estate_ids)
    )
    station = get_object_or_404(stations.distinct(), pk=pk)
    month = month_param(request.GET.get("month"))
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
    require_care_staff(request)
    if selectors.staff_estate_ids(request.user, roles=selectors.COORDINATOR_ROLES) == frozenset():
        raise PermissionDenied(_("Only coordinators print door cards."))
    elder = get_object_or_404(selectors.staff_elders(request.user), pk=pk)
    month = month_param(request.GET.get("month"))
    card = month_card(elder_id=elder.pk, salt=elder.door_code_salt, year=month.year, month=month.month)
    return render(request, "worker/care/door_card.html", {"elder": elder, "month": month, "card": card})
