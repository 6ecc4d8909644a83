"""Resident portal pages (visitor passes, household access records) and staff pages (live
gate feed, device health, command queue, audited movement lookup). Thin: forms in, services
and selectors out."""

from __future__ import annotations

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from community.accounts.roles import StaffRole
from community.residents.models import Resident
from community.scoping import my_units, staff_can_access_estate, staff_estate_ids, staff_scope

from . import selectors, services
from .forms import VisitorPassForm
from .models import REASON_LABELS, Direction, Method, VisitorPass

# Page sizes: the newest rows only (older ones are in the admin, which pages and counts).
PORTAL_EVENTS_SHOWN = 20
PORTAL_PASSES_SHOWN = 50
STAFF_COMMANDS_SHOWN = 50
MOVEMENTS_SHOWN = 200


def qr_svg(data: str) -> str:
    """An inline SVG QR code (no image file, no external service)."""
    image = qrcode.make(
        data, image_factory=qrcode.image.svg.SvgPathImage, error_correction=qrcode.constants.ERROR_CORRECT_M
    )
    svg = image.to_string(encoding="unicode")
    svg = svg.replace('width="', 'data-width="', 1).replace('height="', 'data-height="', 1)
    return svg.replace("<svg ", f'<svg role="img" aria-label="{_("Visitor pass QR code")}" ', 1)


# --- Resident portal --------------------------------------------------------------------------


@login_required
def portal_index(request):
    passes = list(selectors.my_visitor_passes(request.user)[:PORTAL_PASSES_SHOWN])
    events = list(selectors.my_household_access_events(request.user)[:PORTAL_EVENTS_SHOWN])
    return render(
        request,
        "portal/access/index.html",
        {
            "passes": passes,
            "events": events,
            "has_home": my_units(request.user).exists(),
        },
    )


@login_required
def pass_create(request):
    units = my_units(request.user).select_related("building").order_by("building__name", "number")
    if not units.exists():
        raise PermissionDenied(_("Only residents with a home here can invite visitors."))
    form = VisitorPassForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            visitor_pass = services.visitor_pass_create(
                by=request.user,
                unit=data["unit"],
                visitor_name=data["visitor_name"],
                visitor_phone=data["visitor_phone"],
                plate=data["plate"],
                valid_from=data["valid_from"],
                valid_until=data["valid_until"],
                max_entries=data["max_entries"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(request, _("Pass created: send the QR code to your visitor."))
            return redirect("portal-access:pass", pk=visitor_pass.pk)
    return render(request, "portal/access/pass_form.html", {"form": form})


def _my_pass(request, pk: int) -> VisitorPass:
    return get_object_or_404(selectors.my_visitor_passes(request.user), pk=pk)


@login_required
def pass_detail(request, pk: int):
    visitor_pass = _my_pass(request, pk)
    token = services.visitor_pass_token(visitor_pass)
    return render(
        request,
        "portal/access/pass_detail.html",
        {
            "pass": visitor_pass,
            "status": visitor_pass.status_at(),
            "qr": mark_safe(qr_svg(token)),
            "token": token,
        },
    )


@login_required
@require_POST
def pass_revoke(request, pk: int):
    visitor_pass = _my_pass(request, pk)
    services.visitor_pass_revoke(visitor_pass=visitor_pass, by=request.user)
    messages.success(request, _("The pass is revoked; it no longer opens any gate."))
    return redirect("portal-access:pass", pk=pk)


# --- Staff ------------------------------------------------------------------------------------


def _staff_required(request) -> None:
    if not request.user.is_authenticated:
        raise PermissionDenied
    if not request.user.is_staff or staff_estate_ids(request.user) == frozenset():
        raise PermissionDenied(_("Staff only."))


def staff_index(request):
    """Live gate feed: recent events and device status for the staff member's estates."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    _staff_required(request)
    estates = selectors.feed_estates(request.user)
    if not estates:
        raise PermissionDenied(_("Your role does not include the gate feed."))
    estate = estates[0]
    if (wanted := request.GET.get("estate", "")).isdigit():
        estate = next((e for e in estates if e.pk == int(wanted)), None) or estate
    devices = list(selectors.staff_devices(request.user).filter(estate=estate))
    events = selectors.staff_recent_events(request.user, estate_id=estate.pk)
    return render(
        request,
        "staff/access/index.html",
        {
            "estates": estates,
            "estate": estate,
            "devices": devices,
            "events": events,
            "group": services.access_group(estate.pk),
            "labels": _feed_labels(),
            "commands": list(
                selectors.staff_command_queue(request.user).filter(device__estate=estate)[
                    :STAFF_COMMANDS_SHOWN
                ]
            ),
        },
    )


def _feed_labels() -> dict:
    """The words the live feed script shows for the codes it receives, in the page's language."""
    return {
        "method": {k: str(v) for k, v in Method.choices},
        "direction": {k: str(v) for k, v in Direction.choices},
        "reason": {k: str(v) for k, v in REASON_LABELS.items()},
    }


def movement_lookup(request, resident_id: int):
    """One person's movement history: managers only, with a stated reason, audited."""
    _staff_required(request)
    resident = get_object_or_404(staff_scope(Resident.objects.all(), request.user), pk=resident_id)
    if not staff_can_access_estate(request.user, resident.estate_id, roles=(StaffRole.MANAGER,)):
        raise PermissionDenied(_("Only the estate's managers may look up one person's movements."))
    events = None
    reason = request.POST.get("reason", "")
    if request.method == "POST":
        try:
            services.movement_lookup_record(by=request.user, resident=resident, reason=reason)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            events = list(selectors.movement_history(resident)[:MOVEMENTS_SHOWN])
    return render(
        request, "staff/access/movements.html", {"resident": resident, "events": events, "reason": reason}
    )


def visitor_view(request, token: str):
    """The page a host sends to the visitor: the QR code and its window, no login needed.

    The signed token is the secret; a forged or revoked one shows nothing about the host."""
    found = services.visitor_pass_id_from_token(token)
    visitor_pass = (
        VisitorPass.objects.select_related("estate").filter(pk=found[0], nonce=found[1]).first()
        if found
        else None
    )
    if visitor_pass is None:
        raise Http404
    status = visitor_pass.status_at()
    return render(
        request,
        "portal/access/visitor.html",
        {
            "pass": visitor_pass,
            "status": status,
            "qr": mark_safe(qr_svg(token)) if status in ("valid", "not_yet_valid") else "",
        },
    )
