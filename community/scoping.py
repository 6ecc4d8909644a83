"""The one place where staff and resident visibility is decided.

Staff see objects of the estates where they hold a StaffMembership; superusers see all.
Residents see their own households: the units where one of their Resident records holds an
active occupancy, and the people tied to those units.

Every model that staff can see declares ``estate_path``: the lookup from the model to its
Estate's primary key (``"estate"``, ``"unit__building__estate"``, ``"id"`` for Estate itself).
``staff_scope`` and ``EstateScopedAdminMixin`` use it, so a new app gets scoping by declaring
one attribute, and forgetting it is an error, not a leak.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model, Q, QuerySet

if TYPE_CHECKING:
    from community.accounts.models import User


_CACHE_ATTR = "_staff_estate_ids"


def staff_estate_ids(user: User, *, roles: tuple[str, ...] | None = None) -> frozenset[int] | None:
    """Estate ids the user serves; None means every estate (superuser).

    Cached on the user object for the request when no role filter is given.
    """
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return None
    if roles is None and hasattr(user, _CACHE_ATTR):
        return getattr(user, _CACHE_ATTR)
    from community.residents.models import StaffMembership

    memberships = StaffMembership.objects.filter(user=user)
    if roles is not None:
        memberships = memberships.filter(role__in=roles)
    ids = frozenset(memberships.values_list("estate_id", flat=True))
    if roles is None:
        setattr(user, _CACHE_ATTR, ids)
    return ids


def estate_path_of(model: type[Model]) -> str:
    path = getattr(model, "estate_path", None)
    if path is None:
        raise ImproperlyConfigured(f"{model.__name__} has no estate_path; staff scoping cannot filter it.")
    return path


def _estate_lookup(path: str) -> str:
    return "pk__in" if path == "id" else f"{path}__in"


def staff_scope(queryset: QuerySet, user: User, *, roles: tuple[str, ...] | None = None) -> QuerySet:
    """Restrict a queryset to the estates the staff user serves."""
    path = estate_path_of(queryset.model)
    ids = staff_estate_ids(user, roles=roles)
    if ids is None:
        return queryset
    return queryset.filter(**{_estate_lookup(path): ids})


def staff_can_access_estate(user: User, estate_id: int | None, *, roles: tuple[str, ...] | None = None) -> bool:
    ids = staff_estate_ids(user, roles=roles)
    return ids is None or estate_id in ids


# --- Residents --------------------------------------------------------------------------------

def my_households_q(user: User, *, unit_path: str = "") -> Q:
    """A Q selecting rows whose unit (reached by ``unit_path``) is one of the user's households."""
    from community.residents.models import Occupancy

    units = Occupancy.objects.active().filter(resident__user=user).values("unit_id")
    lookup = f"{unit_path}__in" if unit_path else "pk__in"
    return Q(**{lookup: units})


def my_units(user: User) -> QuerySet:
    from community.residents.models import Unit

    if not user.is_authenticated:
        return Unit.objects.none()
    return Unit.objects.filter(my_households_q(user))


def my_estate_ids(user: User) -> QuerySet:
    """Estate ids where the user has an active household (a values queryset, usable in filters)."""
    return my_units(user).values("building__estate_id")


# --- Admin ------------------------------------------------------------------------------------

class EstateScopedAdminMixin:
    """Admin mixin: list, open, change, delete and export only rows of the staff member's estates.

    Foreign-key choices (estate, building, unit, resident…) are scoped the same way, so a staff
    member cannot attach an object to another estate's unit by picking it or by posting its id.
    """

    def get_queryset(self, request):
        return staff_scope(super().get_queryset(request), request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        related = db_field.related_model
        if field is not None and getattr(related, "estate_path", None) is not None:
            field.queryset = staff_scope(field.queryset, request.user)
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        related = db_field.related_model
        if field is not None and getattr(related, "estate_path", None) is not None:
            field.queryset = staff_scope(field.queryset, request.user)
        return field

    def get_search_results(self, request, queryset, search_term):
        # Autocomplete widgets call this on the *related* admin; scope it there too.
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        return staff_scope(queryset, request.user), may_have_duplicates

    def get_export_queryset(self, request):  # django-import-export
        return staff_scope(super().get_export_queryset(request), request.user)


class ScopedModelAdmin(EstateScopedAdminMixin, admin.ModelAdmin):
    pass
