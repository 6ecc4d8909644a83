"""Staff memberships, created and deleted by the services so role groups stay in sync."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from community.admin_services import ServiceAdminMixin
from community.personal_search import ExactPersonalSearchMixin
from community.scoping import ScopedModelAdmin, staff_estate_ids

from .. import services
from ..models import StaffMembership, mask_phone
from .base import SCOPED_FILTER


def _managed_estate_ids(request) -> frozenset[int] | None:
    return staff_estate_ids(request.user, roles=("manager",))


@admin.register(StaffMembership)
class StaffMembershipAdmin(ExactPersonalSearchMixin, ServiceAdminMixin, ScopedModelAdmin):
    """Roles of staff in estates. Managers manage their own estate's staff; others only look.

    Memberships are created and deleted (never edited) through the services, which keep the
    user's role groups and staff flag in sync.
    """

    list_display = ["user", "user_phone", "estate", "role", "created_at"]
    list_filter = ["role", ("estate", SCOPED_FILTER)]
    list_select_related = ["user", "estate"]
    search_fields = ["user__name"]
    personal_search_fields = {"phone": ["user__phone"], "email": ["user__email"]}
    exact_search_fields = ["user__username"]
    search_help_text = _("Name, full username, or a full mobile number or email address.")
    autocomplete_fields = ["user", "estate"]
    fields = ["user", "estate", "role", "created_at"]
    readonly_fields = ["created_at"]

    @admin.display(description=_("mobile phone"))
    def user_phone(self, obj):
        return mask_phone(str(obj.user.phone)) if obj.user.phone else ""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "estate" and field is not None:
            ids = _managed_estate_ids(request)
            if ids is not None:
                field.queryset = field.queryset.filter(pk__in=ids)
        return field

    def has_add_permission(self, request):
        ids = _managed_estate_ids(request)
        return super().has_add_permission(request) and (ids is None or bool(ids))

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        if not super().has_delete_permission(request, obj):
            return False
        ids = _managed_estate_ids(request)
        if ids is None:
            return True
        return bool(ids) if obj is None else obj.estate_id in ids

    def service_save(self, request, form, change):
        data = form.cleaned_data
        return services.staff_membership_create(
            user=data["user"], estate=data["estate"], role=data["role"], by=request.user
        )

    def delete_model(self, request, obj):
        services.staff_membership_delete(membership=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        ids = _managed_estate_ids(request)
        if ids is not None:
            queryset = queryset.filter(estate_id__in=ids)
        for membership in queryset.select_related("user"):
            services.staff_membership_delete(membership=membership, by=request.user)
