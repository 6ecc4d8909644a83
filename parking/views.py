"""Staff pages (live car-park screen: occupancy, reads, staff decisions; reports with charts)
and the resident portal (/portal/parking/). Thin: forms in, services and selectors out."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from community.scoping import staff_scope

from . import decisions, selectors, services
from .forms import VehicleForm
from .models import Lane, PlateEvent, Session
from .transitions import Status


def _error_text(exc) -> str:
    return " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)


# --- staff ----------------------------------------------------------------------------------------


def _staff_estate(request):
    if not request.user.is_authenticated:
        return None
    estates = selectors.staff_estates(request.user) if request.user.is_staff else []
    if not estates:
        raise PermissionDenied(_("Your role does not include the car park."))
    wanted = request.GET.get("estate") or request.POST.get("estate") or ""
    estate = next((e for e in estates if str(e.pk) == wanted), estates[0])
    return estates, estate


def staff_index(request):
    found = _staff_estate(request)
    if found is None:
        return redirect_to_login(request.get_full_path())
    estates, estate = found
    return render(
        request,
        "staff/parking/index.html",
        {
            "estates": estates,
            "estate": estate,
            "lots": selectors.lots_with_occupancy(request.user, estate_id=estate.pk),
            "reads": selectors.recent_reads(request.user, estate_id=estate.pk),
            "pending": selectors.reads_needing_staff(request.user, estate_id=estate.pk),
            "awaiting": selectors.awaiting_payment(request.user, estate_id=estate.pk),
            "failed_calls": selectors.failed_barrier_calls(request.user, estate_id=estate.pk),
            "inside": selectors.sessions_live(request.user, estate_id=estate.pk, limit=100),
            "group": services.parking_group(estate.pk),
            "labels": {code: str(label) for code, label in decisions.LABELS.items()},
        },
    )


def _staff_act(request, act, done: str, estate_id: int):
    """Run one booth action; its refusal or its success becomes the message on the screen."""
    try:
        act()
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, done)
    return redirect(f"/staff/parking/?estate={estate_id}")


@require_POST
def staff_open(request, lane_id: int):
    if _staff_estate(request) is None:
        return redirect_to_login(request.get_full_path())
    lane = get_object_or_404(staff_scope(Lane.objects.select_related("lot"), request.user), pk=lane_id)
    event = None
    if (event_id := request.POST.get("event", "")).isdigit():
        event = get_object_or_404(staff_scope(PlateEvent.objects.all(), request.user), pk=int(event_id))
    reason = request.POST.get("reason", "")
    return _staff_act(
        request,
        lambda: services.barrier_open_manual(lane=lane, reason=reason, by=request.user, plate_event=event),
        _("Barrier opened by hand; the reason is on record."),
        lane.lot.estate_id,
    )


def _staff_session(request, session_id: int) -> Session:
    return get_object_or_404(staff_scope(Session.objects.all(), request.user), pk=session_id)


@require_POST
def staff_close(request, session_id: int):
    if _staff_estate(request) is None:
        return redirect_to_login(request.get_full_path())
    session = _staff_session(request, session_id)
    reason = request.POST.get("reason", "")
    return _staff_act(
        request,
        lambda: services.session_close_manual(session=session, reason=reason, by=request.user),
        _("Stay closed; the reason is on record."),
        session.estate_id,
    )


@require_POST
def staff_correct(request, session_id: int):
    if _staff_estate(request) is None:
        return redirect_to_login(request.get_full_path())
    session = _staff_session(request, session_id)
    plate, reason = request.POST.get("plate", ""), request.POST.get("reason", "")
    return _staff_act(
        request,
        lambda: services.session_plate_correct(session=session, plate=plate, reason=reason, by=request.user),
        _("Plate corrected; the stay follows the car."),
        session.estate_id,
    )


def staff_reports(request):
    found = _staff_estate(request)
    if found is None:
        return redirect_to_login(request.get_full_path())
    estates, estate = found
    today = timezone.localdate()
    since = today - dt.timedelta(days=30)
    revenue = selectors.revenue_by_day(
        request.user, estate_id=estate.pk, since=since, until=today + dt.timedelta(days=1)
    )
    occupancy = selectors.occupancy_over_day(request.user, estate_id=estate.pk, day=today)
    chart = {
        "revenue": [
            {"day": r["day"].isoformat(), "lot": r["lot"], "kind": r["kind"], "total": str(r["total"])}
            for r in revenue
        ],
        "occupancy": occupancy,
    }
    return render(
        request,
        "staff/parking/reports.html",
        {"estates": estates, "estate": estate, "revenue": revenue, "occupancy": occupancy, "chart": chart},
    )


# --- resident portal ------------------------------------------------------------------------------


@login_required
def portal_index(request):
    residents = list(selectors.my_residents(request.user).select_related("estate"))
    form = VehicleForm(request.POST or None, residents=residents)
    if request.method == "POST" and form.is_valid():
        try:
            services.vehicle_register(
                owner=form.cleaned_data["owner"], plate=form.cleaned_data["plate"], by=request.user
            )
        except (ValidationError, PermissionDenied) as exc:
            form.add_error("plate", _error_text(exc))
        else:
            messages.success(request, _("Car registered: the property office approves it shortly."))
            return redirect("portal-parking:index")
    return render(
        request,
        "portal/parking/index.html",
        {
            "form": form,
            "has_home": bool(residents),
            "vehicles": list(selectors.my_vehicles(request.user)),
            "permits": list(selectors.my_permits(request.user)[:20]),
            "sessions": selectors.my_sessions(request.user),
            "visitors": selectors.my_visitor_plates(request.user),
            "now": timezone.now(),
            "live": Status.OPEN,
        },
    )
