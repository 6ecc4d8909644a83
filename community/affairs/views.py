"""Community-affairs pages: the resident portal (/portal/affairs/), the office's staff pages
(/staff/affairs/) and the public certificate check (/verify/<code>). Views parse, call a
service and render; a refusal comes back as a message on the same page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from community.residents.models import mask_id_number, mask_name

from . import selectors, services
from .certificates import certificate_pdf
from .messages import event_text
from .models import Application
from .transitions import Action, Role, allowed_actions

PAGE_SIZE = 20


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or _("You may not do that.")


def _history(application: Application) -> list[tuple]:
    return [(e.created_at, event_text(e, application.item)) for e in application.events.all()]


def _latest_materials(application: Application) -> dict[str, object]:
    latest: dict[str, object] = {}
    for material in application.material_files.all():
        latest.setdefault(material.key, material)
    return latest


# --- Resident portal --------------------------------------------------------------------------


@login_required
def portal_index(request):
    page = Paginator(selectors.my_applications(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/affairs/index.html",
        {
            "items": selectors.items_for_resident(request.user),
            "page": page,
            "applications": page.object_list,
            "grid_events": selectors.my_grid_events(request.user)[:PAGE_SIZE],
        },
    )


@login_required
def portal_apply(request, item_pk: int):
    item = get_object_or_404(selectors.items_for_resident(request.user), pk=item_pk)
    units = list(selectors.households_for(request.user).filter(building__estate_id=item.estate_id))
    if not units:
        raise Http404
    errors: dict = {}
    if request.method == "POST":
        unit = next((u for u in units if str(u.pk) == request.POST.get("unit")), None)
        beneficiary = None
        if unit is None:
            errors["unit"] = [_("Choose one of your homes.")]
        else:
            beneficiary = next(
                (
                    o.resident
                    for o in unit.current_members
                    if str(o.resident_id) == request.POST.get("beneficiary")
                ),
                None,
            )
            if beneficiary is None:
                errors["beneficiary"] = [_("Choose a current member of this household.")]
        if not errors:
            files = {key: request.FILES[key] for key in item.material_keys if key in request.FILES}
            try:
                application = services.application_submit(
                    item=item,
                    unit=unit,
                    beneficiary=beneficiary,
                    files=files,
                    note=request.POST.get("note", ""),
                    by=request.user,
                )
            except (ValidationError, PermissionDenied) as exc:
                messages.error(request, _error_text(exc))
            else:
                messages.success(request, _("Application %(n)s submitted.") % {"n": application.number})
                return redirect("portal-affairs:detail", application.pk)
    return render(request, "portal/affairs/apply.html", {"item": item, "units": units, "errors": errors})


@login_required
def portal_detail(request, pk: int):
    application = selectors.application_for_resident(request.user, pk)
    if application is None:
        raise Http404
    latest = _latest_materials(application)
    return render(
        request,
        "portal/affairs/detail.html",
        {
            "application": application,
            "history": _history(application),
            "materials": [(m, latest.get(m["key"])) for m in application.item.materials],
            "missing_labels": [application.item.material_label(k) for k in application.missing],
            "actions": allowed_actions(application.status, {Role.APPLICANT}),
            "certificate": getattr(application, "certificate", None),
        },
    )


@login_required
@require_POST
def portal_upload(request, pk: int):
    application = selectors.application_for_resident(request.user, pk)
    if application is None:
        raise Http404
    try:
        for key in application.item.material_keys:
            if key in request.FILES:
                services.application_material_upload(
                    application=application, key=key, file=request.FILES[key], by=request.user
                )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
    return redirect("portal-affairs:detail", pk)


@login_required
@require_POST
def portal_act(request, pk: int, action: str):
    application = selectors.application_for_resident(request.user, pk)
    if application is None or action not in (Action.RESUBMIT, Action.WITHDRAW):
        raise Http404
    try:
        services.application_move(application=application, action=action, by=request.user)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
    return redirect("portal-affairs:detail", pk)


@login_required
@require_POST
def portal_rate(request, pk: int):
    application = selectors.application_for_resident(request.user, pk)
    if application is None:
        raise Http404
    try:
        rating = int(request.POST.get("rating", ""))
    except ValueError:
        rating = 0
    try:
        services.application_rate(
            application=application, rating=rating, comment=request.POST.get("comment", ""), by=request.user
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
    return redirect("portal-affairs:detail", pk)


def _verify_url(request, certificate) -> str:
    return request.build_absolute_uri(reverse("affairs-verify", args=[certificate.code]))


@login_required
def portal_certificate(request, pk: int):
    application = selectors.application_for_resident(request.user, pk)
    certificate = getattr(application, "certificate", None) if application else None
    if certificate is None:
        raise Http404
    response = HttpResponse(
        certificate_pdf(certificate, verify_url=_verify_url(request, certificate)),
        content_type="application/pdf",
    )
    response["Content-Disposition"] = f'inline; filename="{certificate.number}.pdf"'
    return response


# --- Public check ---------------------------------------------------------------------------


def verify(request, code: str):
    certificate = selectors.certificate_by_code(code)
    context = {"certificate": certificate}
    if certificate is not None:
        person = certificate.application.beneficiary
        context["masked_name"] = mask_name(person.name)
        context["masked_id"] = mask_id_number(person.id_number)
    return render(request, "affairs/verify.html", context, status=200 if certificate else 404)


# --- Community office (staff pages) ---------------------------------------------------------


@login_required
def staff_index(request):
    queue = selectors.office_open_queue(request.user)
    page = Paginator(queue, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "staff/affairs/index.html", {"page": page, "applications": page.object_list})


@login_required
def staff_detail(request, pk: int):
    application = selectors.application_for_office(request.user, pk)
    if application is None:
        raise Http404
    latest = _latest_materials(application)
    return render(
        request,
        "staff/affairs/detail.html",
        {
            "application": application,
            "history": _history(application),
            "materials": [(m, latest.get(m["key"])) for m in application.item.materials],
            "actions": [
                (a, Action(a).label)
                for a in allowed_actions(application.status, {Role.OFFICE})
                if a != Action.NOTIFY_MISSING
            ],
            "can_notify": Action.NOTIFY_MISSING in allowed_actions(application.status, {Role.OFFICE}),
        },
    )


@login_required
@require_POST
def staff_act(request, pk: int, action: str):
    application = selectors.application_for_office(request.user, pk)
    if application is None or action not in Action.values:
        raise Http404
    try:
        services.application_move(
            application=application,
            action=action,
            by=request.user,
            reason=request.POST.get("reason", ""),
            missing=request.POST.getlist("missing"),
            version=int(request.POST.get("version") or 0) or None,
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
    return redirect("staff-affairs:detail", pk)


@login_required
def material_file(request, pk: int, material_pk: int):
    """A material, to the applicant or the office only (/media/ is not served)."""
    application = selectors.application_for_resident(request.user, pk) or selectors.application_for_office(
        request.user, pk
    )
    if application is None:
        raise Http404
    material = get_object_or_404(application.material_files.all(), pk=material_pk)
    return FileResponse(material.file.open("rb"))
