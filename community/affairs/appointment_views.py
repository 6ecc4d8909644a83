"""Appointment pages: residents book a time and show a QR code; the office checks it in."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import appointments, selectors
from .certificates import qr_png
from .models import Appointment, AppointmentSlot, AppointmentStatus
from .views import _error_text


@login_required
def portal_book(request, item_pk: int):
    item = get_object_or_404(selectors.items_for_resident(request.user), pk=item_pk)
    slots = (
        AppointmentSlot.objects.filter(item=item, starts_at__gt=timezone.now())
        .annotate(taken=Count("appointments", filter=Q(appointments__status__in=appointments.ACTIVE)))
        .order_by("starts_at")[:50]
    )
    if request.method == "POST":
        slot = get_object_or_404(AppointmentSlot, pk=request.POST.get("slot") or 0, item=item)
        try:
            appointments.appointment_book(slot=slot, by=request.user)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, _("Booked. Show the QR code at the office."))
            return redirect("portal-affairs:appointments")
    return render(request, "portal/affairs/book.html", {"item": item, "slots": slots})


@login_required
def portal_appointments(request):
    mine = (
        Appointment.objects.filter(user=request.user)
        .select_related("slot__item")
        .order_by("-slot__starts_at")[:50]
    )
    return render(request, "portal/affairs/appointments.html", {"appointments": mine})


@login_required
def portal_appointment_qr(request, pk: int):
    appointment = Appointment.objects.filter(
        pk=pk, user=request.user, status=AppointmentStatus.BOOKED
    ).first()
    if appointment is None:
        raise Http404
    response = HttpResponse(qr_png(appointment.code), content_type="image/png")
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def portal_appointment_cancel(request, pk: int):
    appointment = Appointment.objects.filter(pk=pk, user=request.user).first()
    if appointment is None:
        raise Http404
    try:
        appointments.appointment_cancel(appointment=appointment, by=request.user)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
    return redirect("portal-affairs:appointments")


@login_required
def staff_check_in(request):
    checked = None
    if request.method == "POST":
        try:
            checked = appointments.appointment_check_in(code=request.POST.get("code", ""), by=request.user)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, _("Checked in."))
    return render(request, "staff/affairs/check_in.html", {"checked": checked})
