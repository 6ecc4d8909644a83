"""Reads of community affairs: residents through their households, staff through their estates."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from community.residents.models import Occupancy, Unit
from community.scoping import my_estate_ids, my_households_q, staff_estate_ids_for_perm

from .models import Application, ApplicationEvent, ApplicationMaterial, Certificate, GridEvent, ServiceItem
from .services import OFFICE_PERM
from .transitions import FINAL_STATUSES


def items_for_resident(user) -> QuerySet[ServiceItem]:
    return ServiceItem.objects.filter(active=True, estate_id__in=my_estate_ids(user)).order_by("name")


def households_for(user) -> QuerySet[Unit]:
    members = Occupancy.objects.active().select_related("resident").order_by("role", "resident__name")
    return (
        Unit.objects.filter(my_households_q(user))
        .select_related("building__estate")
        .prefetch_related(Prefetch("occupancies", queryset=members, to_attr="current_members"))
    )


def my_applications(user) -> QuerySet[Application]:
    # Applications the user filed (a former resident keeps read access to their own files).
    return Application.objects.filter(applicant=user).select_related("item", "beneficiary", "unit__building")


def application_for_resident(user, pk: int) -> Application | None:
    return (
        my_applications(user)
        .select_related("certificate")
        .prefetch_related(
            Prefetch("events", queryset=ApplicationEvent.objects.order_by("created_at", "id")),
            Prefetch("material_files", queryset=ApplicationMaterial.objects.order_by("key", "-uploaded_at")),
        )
        .filter(pk=pk)
        .first()
    )


def office_queue(user) -> QuerySet[Application]:
    ids = staff_estate_ids_for_perm(user, OFFICE_PERM)
    qs = Application.objects.select_related("item", "beneficiary", "unit__building", "estate")
    if ids is not None:
        qs = qs.filter(estate_id__in=ids)
    return qs.order_by("status", "due_at", "created_at")


def office_open_queue(user) -> QuerySet[Application]:
    return office_queue(user).exclude(status__in=FINAL_STATUSES)


def application_for_office(user, pk: int) -> Application | None:
    return (
        office_queue(user)
        .prefetch_related(
            Prefetch("events", queryset=ApplicationEvent.objects.order_by("created_at", "id")),
            Prefetch("material_files", queryset=ApplicationMaterial.objects.order_by("key", "-uploaded_at")),
        )
        .filter(pk=pk)
        .first()
    )


def certificate_by_code(code: str) -> Certificate | None:
    if not code or len(code) > Certificate._meta.get_field("code").max_length:
        return None
    return (
        Certificate.objects.select_related(
            "application__item", "application__beneficiary", "application__estate"
        )
        .filter(code=code)
        .first()
    )


def my_grid_events(user) -> QuerySet[GridEvent]:
    return GridEvent.objects.filter(reporter=user).select_related("grid").order_by("-created_at")
