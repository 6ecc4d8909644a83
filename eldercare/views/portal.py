"""The family and elder portal (/portal/care/): book and follow orders, confirm and rate, the
monthly statement. Thin: the selectors decide what is visible, the services what may happen."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import selectors, services
from ..doorcode import door_code
from ..forms import BookForm, RateForm
from ..models import Order
from ..services.common import order_group
from ..services.orders import _local
from ..transitions import ORDER_DELIVERED, OrderStatus, order_actions
from .common import error_text, month_param, run

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
            messages.error(request, error_text(exc))
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
            "status_labels": {code: str(label) for code, label in OrderStatus.choices},
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
        run(request, lambda: services.order_confirm(order=order, by=by), done=_("Thank you for confirming."))
    elif action == "rate":
        form = RateForm(request.POST)
        if form.is_valid():
            run(
                request,
                lambda: services.order_rate(order=order, by=by, **form.cleaned_data),
                done=_("Thank you!"),
            )
        else:
            messages.error(request, _("Give 1 to 5 stars."))
    elif action == "cancel":
        run(request, lambda: services.order_cancel(order=order, by=by))
    else:
        raise Http404
    return redirect("portal-care:order", pk=pk)


@login_required
def portal_statement(request):
    """The month's delivered services with subsidy and self-pay, per elder."""
    month = month_param(request.GET.get("month"))
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
