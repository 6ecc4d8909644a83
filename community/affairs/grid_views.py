"""Grid-event pages: residents report and follow (/portal/affairs/grid/), grid workers and the
office handle (/staff/affairs/grid/)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from community.residents.models import Building
from community.scoping import my_units, staff_estate_ids_for_perm

from . import grids
from .grid_transitions import GridAction, GridStatus, grid_allowed_actions
from .models import GridEvent, GridEventType, Urgency
from .services import OFFICE_PERM
from .views import _error_text


def _history(event: GridEvent) -> list[tuple]:
    rows = []
    for entry in event.log.all():
        if entry.action == "report":
            text = _("Reported.")
        elif entry.action == "rate":
            text = _("Rated %(n)s stars.") % {"n": entry.params.get("rating")}
        elif entry.action == "overdue":
            text = _("Escalated: the deadline is close or passed.")
        else:
            text = _("%(action)s: now “%(status)s”.") % {
                "action": GridAction(entry.action).label,
                "status": GridStatus(entry.params.get("to")).label,
            }
            if entry.params.get("reason"):
                text += " " + entry.params["reason"]
        rows.append((entry.created_at, text))
    return rows


def _my_buildings(user):
    return Building.objects.filter(pk__in=my_units(user).values("building_id")).select_related("estate")


@login_required
def portal_report(request):
    buildings = list(_my_buildings(request.user))
    if not buildings:
        raise Http404
    if request.method == "POST":
        building = next((b for b in buildings if str(b.pk) == request.POST.get("building")), buildings[0])
        try:
            event = grids.grid_event_report(
                estate=building.estate,
                building_id=building.pk,
                type=request.POST.get("type", ""),
                urgency=request.POST.get("urgency", Urgency.NORMAL),
                location=request.POST.get("location", ""),
                description=request.POST.get("description", ""),
                photos=request.FILES.getlist("photos"),
                by=request.user,
            )
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, _("Reported as %(n)s.") % {"n": event.number})
            return redirect("portal-affairs:grid-detail", event.pk)
    return render(
        request,
        "portal/affairs/grid_report.html",
        {"buildings": buildings, "types": GridEventType.choices, "urgencies": Urgency.choices},
    )


def _resident_event(user, pk: int) -> GridEvent:
    event = (
        GridEvent.objects.select_related("grid").prefetch_related("log").filter(pk=pk, reporter=user).first()
    )
    if event is None:
        raise Http404
    return event


@login_required
def portal_grid_detail(request, pk: int):
    event = _resident_event(request.user, pk)
    return render(request, "portal/affairs/grid_detail.html", {"event": event, "history": _history(event)})


@login_required
@require_POST
def portal_grid_act(request, pk: int, action: str):
    event = _resident_event(request.user, pk)
    try:
        if action == "rate":
            grids.grid_event_rate(event=event, rating=int(request.POST.get("rating") or 0), by=request.user)
        elif action == GridAction.DISPUTE:
            grids.grid_event_move(
                event=event, action=action, reason=request.POST.get("reason", ""), by=request.user
            )
        else:
            raise Http404
    except (ValidationError, PermissionDenied, ValueError) as exc:
        messages.error(request, _error_text(exc))
    return redirect("portal-affairs:grid-detail", pk)


def staff_grid_events(user):
    """Events a staff member handles: the office's estates, and the grids they work."""
    ids = staff_estate_ids_for_perm(user, OFFICE_PERM)
    events = GridEvent.objects.select_related("grid", "estate")
    if ids is None:  # a superuser
        return events
    return events.filter(Q(grid__worker=user) | Q(estate_id__in=ids))


@login_required
def staff_grid_index(request):
    events = staff_grid_events(request.user).exclude(status=GridStatus.CLOSED).order_by("due_at")[:200]
    return render(request, "staff/affairs/grid_index.html", {"events": events})


@login_required
def staff_grid_detail(request, pk: int):
    event = staff_grid_events(request.user).prefetch_related("log", "photos").filter(pk=pk).first()
    if event is None:
        raise Http404
    actions = [
        (a, GridAction(a).label)
        for a in grid_allowed_actions(event.status, grids.grid_roles(request.user, event))
    ]
    return render(
        request,
        "staff/affairs/grid_detail.html",
        {"event": event, "history": _history(event), "actions": actions},
    )


@login_required
@require_POST
def staff_grid_act(request, pk: int, action: str):
    event = staff_grid_events(request.user).filter(pk=pk).first()
    if event is None:
        raise Http404
    try:
        grids.grid_event_move(
            event=event,
            action=action,
            reason=request.POST.get("reason", ""),
            by=request.user,
            version=int(request.POST.get("version") or 0) or None,
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
    return redirect("staff-affairs:grid-detail", pk)
