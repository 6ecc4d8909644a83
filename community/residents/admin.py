"""Admin for property staff: estates, buildings, units, residents, occupancies, staff, notices.

Every class is estate-scoped through ``community.scoping.EstateScopedAdminMixin`` (lists,
change pages, deletes, exports, foreign-key choices and autocomplete). Writes that have rules
go through ``community.residents.services``: occupancies are started, changed and ended by
the services (the primary-contact flag moves, ``occupancy_ended`` fires), staff memberships
are created and deleted by the services (role groups stay in sync).

Privacy decisions:

* Lists show phone and ID numbers masked (138****0001, 420***********1234) to everyone.
* The resident change form shows the full values to those who may change residents
  (managers, front desk, superusers): they must see what they edit. View-only roles
  (technician, security, eldercare coordinator) see the masked values there too.
* Exporting residents (full phone and ID numbers) needs the change permission as well.
* A resident's login account is linked by the invitation flow, not by hand: only a superuser
  may edit that field, because linking an account opens the household to it.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from import_export.admin import ImportExportModelAdmin
from import_export.formats import base_formats

from community.accounts.services import invitation_create
from community.admin_services import ReadOnlyInlineMixin, ServiceAdminMixin
from community.personal_search import ExactPersonalSearchMixin
from community.scoping import EstateScopedAdminMixin, ScopedModelAdmin, staff_estate_ids

from . import services
from .models import (
    Announcement,
    Building,
    Estate,
    Occupancy,
    Resident,
    StaffMembership,
    Unit,
    current_q,
    mask_phone,
)
from .resources import BuildingResource, ResidentResource, UnitResource

_SCOPED_FILTER = admin.RelatedOnlyFieldListFilter  # lists only the estates/buildings in the scoped rows


class ScopedImportExportAdmin(EstateScopedAdminMixin, ImportExportModelAdmin):
    """Import/export limited to the staff member's estates, all or nothing.

    The dry run lists every bad row; the confirm step is offered only when there is none, and
    the real import rolls back entirely if a row fails anyway (data changed in between).
    """

    # Spreadsheets as the office has them; the first is the default.
    import_formats = [base_formats.XLSX, base_formats.CSV]
    export_formats = [base_formats.XLSX, base_formats.CSV]

    def get_resource_kwargs(self, request, *args, **kwargs):
        return {"user": request.user}

    def get_import_data_kwargs(self, **kwargs):
        kwargs = super().get_import_data_kwargs(**kwargs)
        kwargs.setdefault("rollback_on_validation_errors", True)
        return kwargs

    def get_valid_export_item_pks(self, request):
        # Ids posted by the "export selected" action are checked against the scoped rows.
        return self.get_queryset(request).values_list("pk", flat=True)

    def has_import_permission(self, request):
        return self.has_add_permission(request) and self.has_change_permission(request)

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            bad = len(result.invalid_rows) + len(result.row_errors()) + len(result.base_errors)
            messages.error(
                request,
                _("Nothing was imported: %(count)s row(s) have errors. Run the import again to see them.")
                % {"count": bad},
            )
            info = self.get_model_info()
            return HttpResponseRedirect(
                reverse(f"admin:{info[0]}_{info[1]}_import", current_app=self.admin_site.name)
            )
        return super().process_result(result, request)


# --- Estate -----------------------------------------------------------------------------------


@admin.register(Estate)
class EstateAdmin(ScopedModelAdmin):
    list_display = ["name", "code", "address", "time_zone", "building_count", "created_at"]
    search_fields = ["name", "code", "address"]
    ordering = ["name"]  # explicit: Meta.ordering is dropped by the annotated (GROUP BY) query
    readonly_fields = ["created_at"]
    fields = ["name", "code", "address", "latitude", "longitude", "time_zone", "created_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_building_count=Count("buildings"))

    @admin.display(description=_("buildings"), ordering="_building_count")
    def building_count(self, obj):
        return obj._building_count

    # Estates are opened by the platform operator, not by an estate's own staff.
    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


# --- Building ---------------------------------------------------------------------------------


@admin.register(Building)
class BuildingAdmin(ScopedImportExportAdmin):
    resource_classes = [BuildingResource]
    list_display = ["name", "estate", "floors", "unit_count"]
    list_filter = [("estate", _SCOPED_FILTER)]
    list_select_related = ["estate"]
    search_fields = ["name", "estate__name"]
    ordering = ["estate__name", "name"]
    autocomplete_fields = ["estate"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_unit_count=Count("units"))

    @admin.display(description=_("units"), ordering="_unit_count")
    def unit_count(self, obj):
        return obj._unit_count


# --- Occupancy forms (shared by the occupancy admin and the inlines) ---------------------------


def occupancy_problems(*, resident: Resident | None, unit: Unit | None) -> dict[str, str]:
    """What stops this resident from starting an occupancy of this unit (form-level messages)."""
    if resident is None or unit is None:
        return {}
    estate_id = Building.objects.filter(pk=unit.building_id).values_list("estate_id", flat=True).first()
    if estate_id != resident.estate_id:
        return {"unit": _("This unit belongs to another estate than the resident.")}
    if resident.pk and Occupancy.objects.filter(resident=resident, unit=unit, end_date__isnull=True).exists():
        return {"unit": _("This resident already lives in this unit.")}
    return {}


class OccupancyForm(forms.ModelForm):
    class Meta:
        model = Occupancy
        fields = ["resident", "unit", "role", "start_date", "is_primary_contact"]

    def _get_validation_exclusions(self):
        # The services move the primary-contact flag from the unit's current primary contact,
        # so the "one primary contact per unit" constraint is enforced there, not refused here.
        exclude = super()._get_validation_exclusions()
        exclude.add("is_primary_contact")
        return exclude

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None:
            for field, message in occupancy_problems(
                resident=cleaned.get("resident"), unit=cleaned.get("unit")
            ).items():
                self.add_error(field if field in self.fields else None, message)
        return cleaned


class OccupancyAddFormSet(forms.BaseInlineFormSet):
    """Checks new occupancies against the parent (a resident or a unit, maybe not saved yet)."""

    def clean(self):
        super().clean()
        for form in self.forms:
            if not form.has_changed() or not getattr(form, "cleaned_data", None):
                continue
            if form.cleaned_data.get("DELETE"):
                continue
            if isinstance(self.instance, Resident):
                resident, unit = self.instance, form.cleaned_data.get("unit")
            else:
                resident, unit = form.cleaned_data.get("resident"), self.instance
            for field, message in occupancy_problems(resident=resident, unit=unit).items():
                form.add_error(field if field in form.fields else None, message)


def _start_occupancies(request, formset) -> None:
    # The admin's change message reads these lists, as after formset.save().
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
    for form in formset.forms:
        if not form.has_changed() or form.cleaned_data.get("DELETE"):
            continue
        data = form.cleaned_data
        parent = formset.instance
        resident = parent if isinstance(parent, Resident) else data["resident"]
        unit = parent if isinstance(parent, Unit) else data["unit"]
        formset.new_objects.append(
            services.occupancy_start(
                by=request.user,
                resident=resident,
                unit=unit,
                role=data["role"],
                start_date=data.get("start_date"),
                is_primary_contact=data.get("is_primary_contact", False),
            )
        )


class OccupancyHistoryInline(ReadOnlyInlineMixin, EstateScopedAdminMixin, admin.TabularInline):
    """Current and past occupancies, read-only here; changes go through the occupancy page."""

    model = Occupancy
    show_change_link = True
    verbose_name_plural = _("occupancies (current and past)")


class OccupancyAddInline(EstateScopedAdminMixin, admin.TabularInline):
    """Blank rows to start new occupancies; saved through ``occupancy_start``."""

    model = Occupancy
    form = OccupancyForm
    formset = OccupancyAddFormSet
    extra = 1
    can_delete = False
    verbose_name = _("new occupancy")
    verbose_name_plural = _("start new occupancies")

    def get_queryset(self, request):
        return super().get_queryset(request).none()

    def has_change_permission(self, request, obj=None):
        # The rows are all new; "change" here means "may add occupancies".
        return self.has_add_permission(request, obj)


class ResidentOccupancyHistoryInline(OccupancyHistoryInline):
    fk_name = "resident"
    fields = ["unit", "role", "start_date", "end_date", "is_primary_contact"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("unit__building")


class ResidentOccupancyAddInline(OccupancyAddInline):
    fk_name = "resident"
    fields = ["unit", "role", "start_date", "is_primary_contact"]
    autocomplete_fields = ["unit"]


class UnitOccupancyHistoryInline(OccupancyHistoryInline):
    fk_name = "unit"
    fields = ["resident", "role", "start_date", "end_date", "is_primary_contact"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("resident")


class UnitOccupancyAddInline(OccupancyAddInline):
    fk_name = "unit"
    fields = ["resident", "role", "start_date", "is_primary_contact"]
    autocomplete_fields = ["resident"]


class OccupancyInlinesMixin:
    def save_formset(self, request, form, formset, change):
        if isinstance(formset, OccupancyAddFormSet):
            _start_occupancies(request, formset)
        else:
            super().save_formset(request, form, formset, change)


# --- Unit -------------------------------------------------------------------------------------


@admin.register(Unit)
class UnitAdmin(OccupancyInlinesMixin, ScopedImportExportAdmin):
    resource_classes = [UnitResource]
    list_display = [
        "label",
        "building",
        "entrance",
        "floor",
        "number",
        "exclusive_area",
        "area_source",
        "usage",
        "developer_owned",
    ]
    list_display_links = ["label"]
    list_filter = [
        ("building__estate", _SCOPED_FILTER),
        ("building", _SCOPED_FILTER),
        "usage",
        "area_source",
        "developer_owned",
    ]
    list_select_related = ["building__estate"]
    search_fields = ["number", "building__name", "building__estate__name"]
    autocomplete_fields = ["building"]
    inlines = [UnitOccupancyHistoryInline, UnitOccupancyAddInline]

    def get_queryset(self, request):
        # The unit's label (and so its autocomplete text) names the building.
        return super().get_queryset(request).select_related("building")

    @admin.display(description=_("unit"), ordering="number")
    def label(self, obj):
        return obj.label


# --- Resident ---------------------------------------------------------------------------------


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
    list_filter = [("estate", _SCOPED_FILTER), ("user", admin.EmptyFieldListFilter), "occupancies__role"]
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
        # End open occupancies first so move-out reactions (e.g. revoking gate credentials)
        # happen before the history goes with the record.
        with transaction.atomic():
            for occupancy in Occupancy.objects.filter(resident__in=queryset, end_date__isnull=True):
                services.occupancy_end(occupancy=occupancy, by=request.user)
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


# --- Occupancy --------------------------------------------------------------------------------


class CurrentFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("current", _("current")), ("ended", _("ended"))]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "current":
            return queryset.filter(current_q(today))
        if self.value() == "ended":
            return queryset.filter(end_date__lte=today)
        return queryset


@admin.register(Occupancy)
class OccupancyAdmin(ExactPersonalSearchMixin, ServiceAdminMixin, ScopedModelAdmin):
    form = OccupancyForm
    list_display = ["resident", "unit", "role", "start_date", "end_date", "is_primary_contact", "is_current"]
    list_filter = [CurrentFilter, "role", "is_primary_contact", ("unit__building__estate", _SCOPED_FILTER)]
    list_select_related = ["resident", "unit__building"]
    search_fields = ["resident__name", "unit__number", "unit__building__name"]
    personal_search_fields = {"phone": ["resident__phone"], "id_number": ["resident__id_number"]}
    search_help_text = _("Name, unit, building, or a full mobile number or ID number.")
    autocomplete_fields = ["resident", "unit"]
    date_hierarchy = "start_date"
    actions = ["end_occupancies"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["resident", "unit", "role", "start_date", "is_primary_contact"]
        return ["resident", "unit", "role", "start_date", "end_date", "is_primary_contact"]

    def get_readonly_fields(self, request, obj=None):
        # Ending is a move-out (the action below); unit and resident define the tie.
        return ["resident", "unit", "end_date"] if obj is not None else []

    @admin.display(description=_("current"), boolean=True)
    def is_current(self, obj):
        return obj.is_current()

    def service_save(self, request, form, change):
        data = form.cleaned_data
        if change:
            return services.occupancy_update(
                by=request.user,
                occupancy=form.instance,
                role=data["role"],
                start_date=data["start_date"],
                is_primary_contact=data["is_primary_contact"],
            )
        return services.occupancy_start(
            by=request.user,
            resident=data["resident"],
            unit=data["unit"],
            role=data["role"],
            start_date=data["start_date"],
            is_primary_contact=data["is_primary_contact"],
        )

    def has_delete_permission(self, request, obj=None):
        # Occupancies are history: they end, they are not deleted (superusers may fix mistakes).
        return request.user.is_superuser

    @admin.action(description=_("End the selected occupancies today (move out)"), permissions=["change"])
    def end_occupancies(self, request, queryset):
        ended = 0
        for occupancy in self.scope_for_action(request, queryset).filter(end_date__isnull=True):
            try:
                services.occupancy_end(occupancy=occupancy, by=request.user)
            except ValidationError as e:
                self.message_user(request, f"{occupancy}: {' '.join(e.messages)}", messages.WARNING)
                continue
            ended += 1
        self.message_user(
            request,
            ngettext("Ended %(count)d occupancy.", "Ended %(count)d occupancies.", ended) % {"count": ended},
            messages.SUCCESS,
        )


# --- Staff memberships ------------------------------------------------------------------------


def _managed_estate_ids(request) -> frozenset[int] | None:
    return staff_estate_ids(request.user, roles=("manager",))


@admin.register(StaffMembership)
class StaffMembershipAdmin(ExactPersonalSearchMixin, ServiceAdminMixin, ScopedModelAdmin):
    """Roles of staff in estates. Managers manage their own estate's staff; others only look.

    Memberships are created and deleted (never edited) through the services, which keep the
    user's role groups and staff flag in sync.
    """

    list_display = ["user", "user_phone", "estate", "role", "created_at"]
    list_filter = ["role", ("estate", _SCOPED_FILTER)]
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


# --- Announcements ----------------------------------------------------------------------------

ANNOUNCEMENT_FIELDS = ("estate", "title", "body", "pinned", "publish_at", "expires_at")


@admin.register(Announcement)
class AnnouncementAdmin(ServiceAdminMixin, ScopedModelAdmin):
    list_display = ["title", "estate", "pinned", "publish_at", "expires_at", "is_current", "created_by"]
    list_filter = [("estate", _SCOPED_FILTER), "pinned"]
    list_select_related = ["estate", "created_by"]
    search_fields = ["title", "body"]
    autocomplete_fields = ["estate"]
    date_hierarchy = "publish_at"
    fields = ["estate", "title", "body", "pinned", "publish_at", "expires_at", "created_by", "created_at"]
    readonly_fields = ["created_by", "created_at"]

    @admin.display(description=_("current"), boolean=True)
    def is_current(self, obj):
        now = timezone.now()
        return obj.publish_at <= now and (obj.expires_at is None or obj.expires_at > now)

    def service_save(self, request, form, change):
        fields = {name: form.cleaned_data[name] for name in ANNOUNCEMENT_FIELDS if name in form.cleaned_data}
        if change:
            return services.announcement_update(announcement=form.instance, by=request.user, **fields)
        return services.announcement_create(by=request.user, **fields)

    def delete_model(self, request, obj):
        services.announcement_delete(announcement=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for announcement in queryset:
            services.announcement_delete(announcement=announcement, by=request.user)
