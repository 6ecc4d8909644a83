"""Resident portal pages: home (my homes, household members, announcements) and "me"."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from community.accounts.preferences import user_language_set
from community.residents.models import Occupancy, OccupancyRole
from community.residents.selectors import announcements_for_user, my_units_with_members

ROLE_ORDER = {
    OccupancyRole.OWNER: 0,
    OccupancyRole.CO_OWNER: 1,
    OccupancyRole.FAMILY: 2,
    OccupancyRole.TENANT: 3,
}


def _member_order(occupancy: Occupancy) -> tuple:
    # The primary contact first, then owners before family and tenants.
    return (not occupancy.is_primary_contact, ROLE_ORDER.get(occupancy.role, 9), occupancy.resident.name)


@login_required
def home(request):
    units = list(my_units_with_members(request.user))
    for unit in units:
        unit.current_members.sort(key=_member_order)
    announcements = list(announcements_for_user(request.user)[:20])
    estate_names = list(dict.fromkeys(unit.building.estate.name for unit in units))
    context = {
        "units": units,
        "announcements": announcements,
        # The header shows my estates; passing them saves the layout a query.
        "estate_name": " · ".join(estate_names[:3]),
    }
    return render(request, "portal/home.html", context)


@login_required
def me(request):
    return render(request, "portal/me.html", {})


@login_required
@require_POST
def me_language(request):
    """The language switch of the "我的" page: stored on the user (notifications, SMS and every
    later page use it) and in the cookie (pages before login)."""
    language = request.POST.get("language", "")
    try:
        user_language_set(user=request.user, language=language, by=request.user)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect("portal:me")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = ""
    response = redirect(target or "portal:me")
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax")
    return response
