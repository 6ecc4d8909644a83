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

from functools import cache
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


@cache
def roles_with_permission(perm: str) -> tuple[str, ...]:
    """The staff roles whose declared permissions include ``perm`` ("app_label.codename").

    Declared in code (each AppConfig's ``role_permissions``), so it is computed once.
    """
    from community.accounts.roles import declared_permissions

    return tuple(sorted(role for role, perms in declared_permissions().items() if perm in perms))


def staff_estate_ids_for_perm(user: User, perm: str) -> frozenset[int] | None:
    """Estates where the user holds a role that declares ``perm`` ("app_label.codename").

    Django permissions are per user, roles are per estate: a manager of A who is a technician
    in B has ``change_resident`` globally, but only A's residents may be changed.
    None means every estate (superuser).
    """
    if user.is_superuser and user.is_active:
        return None
    roles = roles_with_permission(perm)
    if not roles:
        return frozenset()
    return staff_estate_ids(user, roles=roles)


def estate_id_of(obj: Model) -> int | None:
    """The Estate pk an object belongs to, following its model's ``estate_path``."""
    path = estate_path_of(type(obj))
    if path == "id":
        return obj.pk
    if "__" not in path:
        return getattr(obj, f"{path}_id")
    return type(obj)._default_manager.filter(pk=obj.pk).values_list(path, flat=True).first()


def staff_can_access_estate(
    user: User, estate_id: int | None, *, roles: tuple[str, ...] | None = None
) -> bool:
    ids = staff_estate_ids(user, roles=roles)
    return ids is None or estate_id in ids


def staff_scope_users(queryset: QuerySet, user: User) -> QuerySet:
    """Restrict a User queryset to the accounts a staff member may see.

    User has no estate, so it cannot declare ``estate_path``. A staff member sees the accounts
    tied to the estates they serve: the login accounts of those estates' residents and the
    staff of those estates. A manager also sees active accounts tied to no estate at all (new
    staff accounts made by a superuser), so that they can give them a role; such an account
    holds no estate data. Superusers see all.
    """
    from community.residents.models import Resident, StaffMembership

    ids = staff_estate_ids(user)
    if ids is None:
        return queryset
    tied = Q(pk__in=Resident.objects.filter(estate_id__in=ids, user__isnull=False).values("user_id")) | Q(
        pk__in=StaffMembership.objects.filter(estate_id__in=ids).values("user_id")
    )
    if staff_estate_ids(user, roles=("manager",)):
        unattached = (
            Q(is_active=True, is_superuser=False)
            & ~Q(pk__in=Resident.objects.filter(user__isnull=False).values("user_id"))
            & ~Q(pk__in=StaffMembership.objects.values("user_id"))
        )
        tied |= unattached
    return queryset.filter(tied)


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


def scope_for_staff(queryset: QuerySet, user: User) -> QuerySet:
    """``staff_scope`` for models with an ``estate_path``, ``staff_scope_users`` for User."""
    from django.contrib.auth import get_user_model

    if queryset.model is get_user_model():
        return staff_scope_users(queryset, user)
    return staff_scope(queryset, user)


def _is_scoped_model(model: type[Model]) -> bool:
    from django.contrib.auth import get_user_model

    return getattr(model, "estate_path", None) is not None or model is get_user_model()


class EstateScopedAdminMixin:
    """Admin mixin: list, open, change, delete and export only rows of the staff member's estates.

    Foreign-key choices (estate, building, unit, resident, user…) are scoped the same way, so a
    staff member cannot attach an object to another estate's unit by picking it or by posting
    its id: the posted id is not among the choices and the form says so.

    Roles are per estate: viewing, changing or deleting one object also needs a role *in that
    object's estate* that declares the permission (``staff_estate_ids_for_perm``), and the
    choices of a form offer only estates where the user's role may add or change this model.
    Works for ModelAdmin and InlineModelAdmin alike.
    """

    def get_queryset(self, request):
        return scope_for_staff(super().get_queryset(request), request.user)

    # --- per-estate roles ---------------------------------------------------------------------

    def _perm(self, action: str) -> str:
        from django.contrib.auth import get_permission_codename

        opts = self.model._meta
        return f"{opts.app_label}.{get_permission_codename(action, opts)}"

    def estate_ids_for(self, request, *actions: str) -> frozenset[int] | None:
        """Estates where the user's roles allow any of ``actions`` on this model (None: all)."""
        ids: set[int] = set()
        for action in actions:
            found = staff_estate_ids_for_perm(request.user, self._perm(action))
            if found is None:
                return None
            ids |= found
        return frozenset(ids)

    def _role_allows(self, request, obj, *actions: str) -> bool:
        if obj is None or request.user.is_superuser:
            return True
        # Inlines are asked with the parent object: its estate is the one that counts.
        if (
            getattr(self.model, "estate_path", None) is None
            or getattr(type(obj), "estate_path", None) is None
        ):
            return True
        ids = self.estate_ids_for(request, *actions)
        return ids is None or estate_id_of(obj) in ids

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self._role_allows(request, obj, "view", "change")

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._role_allows(request, obj, "change")

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._role_allows(request, obj, "delete")

    def scope_for_action(self, request, queryset, action: str = "change"):
        """Rows of a bulk action the user's role may ``action`` (admin actions check no object)."""
        ids = self.estate_ids_for(request, action)
        if ids is None:
            return queryset
        return queryset.filter(**{_estate_lookup(estate_path_of(queryset.model)): ids})

    # --- choices ------------------------------------------------------------------------------

    def _scope_choices(self, queryset, request):
        queryset = scope_for_staff(queryset, request.user)
        if (
            getattr(queryset.model, "estate_path", None) is None
            or getattr(self.model, "estate_path", None) is None
        ):
            return queryset
        ids = self.estate_ids_for(request, "add", "change")
        if ids is None:
            return queryset
        return queryset.filter(**{_estate_lookup(estate_path_of(queryset.model)): ids})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and _is_scoped_model(db_field.related_model):
            field.queryset = self._scope_choices(field.queryset, request)
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and _is_scoped_model(db_field.related_model):
            field.queryset = self._scope_choices(field.queryset, request)
        return field

    def get_search_results(self, request, queryset, search_term):
        # Autocomplete widgets call this on the *related* admin (after its get_queryset);
        # scoping again here keeps a subclass that widens get_queryset from leaking.
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        return scope_for_staff(queryset, request.user), may_have_duplicates

    def get_export_queryset(self, request):  # django-import-export 4.x ExportMixin hook
        return scope_for_staff(super().get_export_queryset(request), request.user)


class ScopedModelAdmin(EstateScopedAdminMixin, admin.ModelAdmin):
    pass
