"""Residents: masked lists, full values only to those who may change them (see the package
docstring for the privacy decisions)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from community.accounts.services import invitation_create
from community.personal_search import ExactPersonalSearchMixin

from .. import services
from ..models import Occupancy, Resident
from ..resources import ResidentResource
from .base import SCOPED_FILTER, ScopedImportExportAdmin
from .occupancies import OccupancyInlinesMixin, ResidentOccupancyAddInline, ResidentOccupancyHistoryInline


@admin.register(Resident)
class ResidentAdmin(ExactPersonalSearchMixin, OccupancyInlinesMixin, ScopedImportExportAdmin):
    resource_classes = [ResidentResource]
    list_display = [
        "name",
        "masked_phone_display",
        "masked_id_number_display",
        "estate",
        "has_login",
        "created_at",
    ]
    list_filter = [("estate", SCOPED_FILTER), ("user", admin.EmptyFieldListFilter), "occupancies__role"]
    list_select_related = ["estate"]
    search_fields = ["name"]
    personal_search_fields = {"phone": ["phone"], "id_number": ["id_number"]}
    search_help_text = _("Name, full mobile number or ID number.")
    autocomplete_fields = ["estate", "user"]
    inlines = [ResidentOccupancyHistoryInline, ResidentOccupancyAddInline]
    actions = ["invite_to_portal"]

    def may_see_full(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj)

    def get_fields(self, request, obj=None):
        if self.may_see_full(request, obj):
            return ["estate", "name", "phone", "id_number", "user", "created_at"]
        return ["estate", "name", "masked_phone_display", "masked_id_number_display", "user", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        readonly = ["created_at"]
        if not self.may_see_full(request, obj):
            readonly += ["masked_phone_display", "masked_id_number_display"]
        if not request.user.is_superuser:
            readonly.append("user")
        if obj is not None:
            # Moving a resident record to another estate would drag its occupancies along.
            readonly.append("estate")
        return readonly

    def has_export_permission(self, request):
        return self.may_see_full(request)

    def get_export_queryset(self, request):
        # The file holds full phone and ID numbers: only estates where the role may change them.
        return self.scope_for_action(request, super().get_export_queryset(request), "change")

    @admin.display(description=_("mobile phone"))
    def masked_phone_display(self, obj):
        return obj.masked_phone

    @admin.display(description=_("ID number"))
    def masked_id_number_display(self, obj):
        return obj.masked_id_number

    @admin.display(description=_("portal login"), boolean=True, ordering="user")
    def has_login(self, obj):
        return obj.user_id is not None

    def get_deleted_objects(self, objs, request):
        # Deleting a person's record (e.g. on request under PIPL) takes their occupancy history
        # with it, although occupancies cannot be deleted on their own.
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        perms_needed.discard(Occupancy._meta.verbose_name)
        return deleted, model_count, perms_needed, protected

    def delete_model(self, request, obj):
        self.delete_queryset(request, Resident.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        # Move out first (open ties and scheduled ones) so move-out reactions (e.g. revoking
        # gate credentials and visitor passes) happen before the history goes with the record.
        with transaction.atomic():
            services.resident_move_out_all(residents=queryset, by=request.user)
            queryset.delete()

    @admin.action(description=_("Invite to the portal"), permissions=["change"])
    def invite_to_portal(self, request, queryset):
        invited = 0
        without_phone = []
        for resident in self.scope_for_action(request, queryset).select_related("estate"):
            if not resident.phone:
                without_phone.append(resident.name)
                continue
            try:
                invitation_create(resident=resident, by=request.user)
            except ValidationError as e:
                self.message_user(request, f"{resident.name}: {' '.join(e.messages)}", messages.WARNING)
                continue
            invited += 1
        if invited:
            self.message_user(
                request,
                ngettext("Sent %(count)d invitation.", "Sent %(count)d invitations.", invited)
                % {"count": invited},
                messages.SUCCESS,
            )
        if without_phone:
            self.message_user(
                request,
                _("Not invited, no mobile phone on record: %(names)s.") % {"names": "、".join(without_phone)},
                messages.WARNING,
            )
