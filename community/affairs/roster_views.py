"""Roster pages for staff: a list of the rosters one's role may open; opening one asks why,
records it, and shows masked values only (/staff/affairs/rosters/)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import render

from community.scoping import staff_scope

from . import rosters
from .models import Roster
from .views import _error_text


def _visible(user):
    return [r for r in staff_scope(Roster.objects.order_by("name"), user) if rosters.roster_may_open(user, r)]


@login_required
def roster_index(request):
    return render(request, "staff/affairs/rosters.html", {"rosters": _visible(request.user)})


@login_required
def roster_open(request, pk: int):
    roster = next((r for r in _visible(request.user) if r.pk == pk), None)
    if roster is None:
        raise Http404
    rows = None
    if request.method == "POST":
        reason = request.POST.get("reason", "")
        try:
            if request.POST.get("export"):
                content = rosters.roster_export(roster=roster, reason=reason, by=request.user)
                response = HttpResponse(
                    content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                )
                response["Content-Disposition"] = f'attachment; filename="roster-{roster.pk}.xlsx"'
                return response
            rows = rosters.roster_view(roster=roster, reason=reason, by=request.user)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, _error_text(exc))
    response = render(request, "staff/affairs/roster.html", {"roster": roster, "rows": rows})
    response["Cache-Control"] = "no-store"  # a roster shown once is not kept by the browser
    return response
