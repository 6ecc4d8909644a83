"""Ticket pages: the resident portal, the technician's worker pages and the staff dashboard.

Views only parse the request and call services / selectors; a refused action comes back as a
message on the same page, never as a 500.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_POST

from community.residents.models import Unit
from community.scoping import staff_estate_ids

from . import selectors, services
from .models import HoldReason, Priority, Ticket, TicketPhoto
from .photos import MAX_PHOTOS
from .transitions import Action, Role, Status

PAGE_SIZE = 20  # tickets per page, portal and worker lists
RESIDENT_ACTIONS = {Action.CONFIRM, Action.REOPEN, Action.CANCEL}
WORKER_ACTIONS = {Action.ACCEPT, Action.START, Action.HOLD, Action.RESUME, Action.RESOLVE, Action.RETURN}


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or _("You may not do that.")


def _status_labels() -> dict[str, str]:
    # Live updates carry the status code; the page shows it in the reader's language, not in
    # the language of whoever made the change.
    return {value: str(label) for value, label in Status.choices}


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _version(request) -> int | None:
    try:
        return int(request.POST["version"])
    except (KeyError, ValueError):
        return None


# --- Resident portal ---------------------------------------------------------------------------


@login_required
def portal_index(request):
    page = Paginator(selectors.resident_ticket_list(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "portal/tickets/index.html", {"page": page, "tickets": page.object_list})


@login_required
def portal_create(request):
    units, categories = selectors.filing_choices(request.user)
    errors: dict = {}
    values = {"priority": Priority.NORMAL}
    if request.method == "POST":
        values = request.POST.dict()
        # Parse only: which home and category the ids name. Whether they may be used is the
        # filing service's rule (tickets.filing), shown on the form like any refusal.
        category = next((c for c in categories if str(c.pk) == values.get("category")), None)
        unit = Unit.objects.select_related("building").filter(pk=_int_or_none(values.get("unit"))).first()
        if category is None:
            errors["category"] = [_("Choose what it is about.")]
        elif values.get("unit") and unit is None:
            errors["unit"] = [_("You can only report for your own home.")]
        if not errors:
            try:
                ticket = services.ticket_create(
                    by=request.user,
                    category=category,
                    description=values.get("description", ""),
                    unit=unit,
                    common_area="" if unit else values.get("common_area", ""),
                    priority=values.get("priority")
                    if values.get("priority") in (Priority.NORMAL, Priority.HIGH)
                    else Priority.NORMAL,
                    photos=request.FILES.getlist("photos"),
                )
            except ValidationError as exc:
                errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
            except PermissionDenied as exc:
                errors = {"__all__": [_error_text(exc)]}
            else:
                messages.success(
                    request, _("Ticket %(n)s filed. We will keep you posted.") % {"n": ticket.number}
                )
                return redirect("portal-tickets:detail", pk=ticket.pk)
    context = {
        "units": units,
        "categories": categories,
        "errors": errors,
        "values": values,
        "form_errors": errors.get("__all__", []),
        "max_photos": MAX_PHOTOS,
        "priorities": [(Priority.NORMAL, Priority.NORMAL.label), (Priority.HIGH, Priority.HIGH.label)],
    }
    return render(request, "portal/tickets/create.html", context, status=400 if errors else 200)


@login_required
def portal_detail(request, pk: int):
    try:
        ticket = selectors.ticket_detail(
            Ticket.objects.filter(selectors.resident_q(request.user)), pk, internal=False
        )
    except Ticket.DoesNotExist as exc:
        raise Http404 from exc
    actions = [a for a in selectors.resident_actions(request.user, ticket) if a in RESIDENT_ACTIONS]
    is_reporter = Role.REPORTER in selectors.roles_for(request.user, ticket)
    return render(
        request,
        "portal/tickets/detail.html",
        {
            "ticket": ticket,
            "actions": actions,
            "can_rate": selectors.can_rate(request.user, ticket),
            "can_comment": is_reporter and not ticket.is_final,
            "action_labels": dict(Action.choices),
            "group": services.ticket_group(ticket.pk),
            "status_labels": _status_labels(),
        },
    )


def _resident_ticket(request, pk: int) -> Ticket:
    return get_object_or_404(Ticket.objects.filter(selectors.resident_q(request.user)), pk=pk)


@login_required
@require_POST
def portal_act(request, pk: int, action: str):
    ticket = _resident_ticket(request, pk)
    if action not in RESIDENT_ACTIONS:
        raise Http404
    try:
        services.ticket_act(
            ticket=ticket,
            action=action,
            by=request.user,
            expected_version=_version(request),
            reason=request.POST.get("reason", ""),
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("Done."))
    return redirect("portal-tickets:detail", pk=pk)


@login_required
@require_POST
def portal_comment(request, pk: int):
    ticket = _resident_ticket(request, pk)
    try:
        services.ticket_comment(ticket=ticket, by=request.user, body=request.POST.get("body", ""))
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
    return redirect("portal-tickets:detail", pk=pk)


@login_required
@require_POST
def portal_rate(request, pk: int):
    ticket = _resident_ticket(request, pk)
    try:
        services.ticket_rate(
            ticket=ticket,
            by=request.user,
            score=request.POST.get("score"),
            comment=request.POST.get("comment", ""),
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("Thank you for your rating."))
    return redirect("portal-tickets:detail", pk=pk)


@login_required
@require_GET
@cache_control(private=True, max_age=3600)
def ticket_photo(request, pk: int):
    """A ticket photo, for the people who may open its ticket (residents of the household, staff
    of the estate). Photos of a private home are never under a public /media/ URL."""
    try:
        photo = selectors.visible_photo(request.user, pk)
    except TicketPhoto.DoesNotExist as exc:
        raise Http404 from exc
    try:
        handle = photo.image.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(handle, content_type="image/jpeg")


# --- Worker pages ------------------------------------------------------------------------------


def _require_staff(request) -> None:
    if not request.user.is_staff:
        raise PermissionDenied(_("These pages are for staff."))


@login_required
def worker_index(request):
    _require_staff(request)
    page = Paginator(selectors.worker_queue(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "worker/tickets/index.html", {"page": page, "tickets": page.object_list})


@login_required
def worker_detail(request, pk: int):
    _require_staff(request)
    scoped = selectors.staff_tickets(request.user)
    ticket = get_object_or_404(scoped, pk=pk)
    # A technician looking at the estate's unassigned queue does not read internal notes.
    ticket = selectors.ticket_detail(scoped, pk, internal=selectors.can_see_internal(request.user, ticket))
    actions = [a for a in selectors.actions_for(request.user, ticket) if a in WORKER_ACTIONS]
    return render(
        request,
        "worker/tickets/detail.html",
        {
            "ticket": ticket,
            "actions": actions,
            "action_labels": dict(Action.choices),
            "hold_reasons": HoldReason.choices,
            "max_photos": MAX_PHOTOS,
            "group": services.ticket_group(ticket.pk),
            "status_labels": _status_labels(),
        },
    )


@login_required
@require_POST
def worker_act(request, pk: int, action: str):
    _require_staff(request)
    ticket = get_object_or_404(selectors.staff_tickets(request.user), pk=pk)
    if action not in WORKER_ACTIONS:
        raise Http404
    try:
        services.ticket_act(
            ticket=ticket,
            action=action,
            by=request.user,
            expected_version=_version(request),
            reason=request.POST.get("reason", ""),
            hold_reason=request.POST.get("hold_reason", ""),
            photos=request.FILES.getlist("photos"),
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("Done."))
    return redirect("worker:detail", pk=pk)


@login_required
@require_POST
def worker_note(request, pk: int):
    _require_staff(request)
    ticket = get_object_or_404(selectors.staff_tickets(request.user), pk=pk)
    internal = request.POST.get("internal", "1") != "0"
    try:
        services.ticket_comment(
            ticket=ticket, by=request.user, body=request.POST.get("body", ""), internal=internal
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
    return redirect("worker:detail", pk=pk)


# --- Staff dashboard ---------------------------------------------------------------------------


@login_required
def staff_dashboard(request):
    _require_staff(request)
    if staff_estate_ids(request.user) == frozenset():
        raise PermissionDenied(_("You serve no estate."))
    data = selectors.dashboard(request.user)
    return render(request, "staff/tickets/dashboard.html", {"d": data})
