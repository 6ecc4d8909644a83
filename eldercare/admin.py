"""Eldercare admin: coordinators keep elders, consents, assessments and the catalog; orders and
alarms are platform-written (read-only here, changed through per-object actions)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from community.accounts.roles import StaffRole
from community.admin_services import ReadOnlyAdminMixin, ReadOnlyInlineMixin, ServiceAdminMixin
from community.scoping import ScopedModelAdmin

from . import models, selectors, services


@admin.register(models.ElderProfile)
class ElderProfileAdmin(ServiceAdminMixin, ScopedModelAdmin):
    list_display = ["resident", "estate", "birth_date", "lives_alone", "category"]
    list_filter = ["lives_alone", "category"]
    search_fields = ["resident__name"]
    list_select_related = ["resident", "estate"]
    fields = [
        "resident",
        "birth_date",
        "lives_alone",
        "category",
        "home_latitude",
        "home_longitude",
        "care_notes",
        "devices",
    ]
    autocomplete_fields = ["resident"]

    def get_readonly_fields(self, request, obj=None):
        return ["resident"] if obj else []

    def service_save(self, request, form, change):
        data = form.cleaned_data
        if change:
            return services.elder_profile_update(elder=form.instance, data=data, by=request.user)
        elder = services.elder_profile_create(
            resident=data["resident"],
            birth_date=data["birth_date"],
            lives_alone=data["lives_alone"],
            category=data["category"],
            care_notes=data["care_notes"],
            by=request.user,
        )
        return services.elder_profile_update(elder=elder, data=data, by=request.user)


@admin.register(models.Consent)
class ConsentAdmin(ServiceAdminMixin, ScopedModelAdmin):
    list_display = ["elder", "category", "granted", "given_by", "guardian_name", "recorded_at"]
    list_filter = ["category", "granted"]
    fields = ["elder", "category", "granted", "given_by", "guardian_name"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)  # append-only

    def service_save(self, request, form, change):
        return services.consent_record(**form.cleaned_data, by=request.user)


@admin.register(models.AbilityAssessment)
class AbilityAssessmentAdmin(ServiceAdminMixin, ScopedModelAdmin):
    list_display = ["elder", "assessed_on", "total", "preliminary_level", "level", "reason", "next_due_on"]
    list_filter = ["level", "reason"]
    fields = [
        "elder",
        "self_care",
        "mobility",
        "mental_state",
        "perception_social",
        "coma",
        "dementia",
        "mental_disorder",
        "risk_events_30d",
        "reason",
        "assessed_on",
    ]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def service_save(self, request, form, change):
        return services.assessment_record(**form.cleaned_data, by=request.user)


class NoDeleteMixin:
    """Catalog rows are referenced by orders and settlements: deactivate them, never delete
    (a delete would also bypass the service and its audit)."""

    def has_delete_permission(self, request, obj=None):
        return False


class ServiceItemInline(ReadOnlyInlineMixin, admin.TabularInline):
    """Shown on the station; items are added and changed on their own page (through the service)."""

    model = models.ServiceItem
    fields = ["name", "category", "unit", "price", "active"]
    show_change_link = True


@admin.register(models.CareStation)
class CareStationAdmin(NoDeleteMixin, ServiceAdminMixin, ScopedModelAdmin):
    list_display = ["name", "phone"]
    fields = ["name", "estates", "phone", "latitude", "longitude"]
    filter_horizontal = ["estates"]
    inlines = [ServiceItemInline]

    def get_queryset(self, request):
        return super().get_queryset(request).distinct()

    def _role_allows(self, request, obj, *actions):
        # A station serves several estates: the role must hold in one of them.
        if obj is None or request.user.is_superuser:
            return True
        ids = self.estate_ids_for(request, *actions)
        return ids is None or obj.estates.filter(pk__in=ids).exists()

    def service_save(self, request, form, change):
        if change:
            return services.station_update(station=form.instance, data=form.cleaned_data, by=request.user)
        return services.station_create(data=form.cleaned_data, by=request.user)


@admin.register(models.ServiceItem)
class ServiceItemAdmin(NoDeleteMixin, ServiceAdminMixin, ScopedModelAdmin):
    list_display = ["name", "station", "category", "unit", "price", "active"]
    list_filter = ["category", "active"]
    search_fields = ["name"]
    list_select_related = ["station"]
    fields = services.catalog.ITEM_FIELDS

    def get_queryset(self, request):
        return super().get_queryset(request).distinct()

    def service_save(self, request, form, change):
        if change:
            return services.service_item_update(item=form.instance, data=form.cleaned_data, by=request.user)
        return services.service_item_create(data=form.cleaned_data, by=request.user)


@admin.register(models.SubsidyPolicy)
class SubsidyPolicyAdmin(NoDeleteMixin, ServiceAdminMixin, ScopedModelAdmin):
    list_display = [
        "name",
        "estate",
        "elder_category",
        "min_level",
        "max_level",
        "kind",
        "monthly_amount",
        "percent",
        "valid_from",
        "valid_until",
    ]
    fields = services.catalog.POLICY_FIELDS

    def service_save(self, request, form, change):
        if change:
            return services.subsidy_policy_update(
                policy=form.instance, data=form.cleaned_data, by=request.user
            )
        return services.subsidy_policy_create(data=form.cleaned_data, by=request.user)


@admin.register(models.CareSettings)
class CareSettingsAdmin(NoDeleteMixin, ServiceAdminMixin, ScopedModelAdmin):
    list_display = ["estate", "alarm_escalate_after", "wellbeing_quiet_hours", "late_after_minutes"]
    fields = ["estate", *services.catalog.SETTINGS_FIELDS]

    def get_readonly_fields(self, request, obj=None):
        return ["estate"] if obj else []

    def service_save(self, request, form, change):
        estate = form.instance.estate if change else form.cleaned_data["estate"]
        return services.care_settings_save(estate=estate, data=form.cleaned_data, by=request.user)


class OnDutyFilter(admin.SimpleListFilter):
    title = pgettext_lazy("care duty", "on duty")
    parameter_name = "when"

    def lookups(self, request, model_admin):
        return [
            ("now", pgettext_lazy("care duty", "Now")),
            ("upcoming", pgettext_lazy("care duty", "Upcoming")),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "now":
            return queryset.filter(starts_at__lte=now, ends_at__gt=now)
        if self.value() == "upcoming":
            return queryset.filter(starts_at__gt=now)
        return queryset


@admin.register(models.DutyShift)
class DutyShiftAdmin(NoDeleteMixin, ServiceAdminMixin, ScopedModelAdmin):
    list_display = ["coordinator", "estate", "starts_at", "ends_at", "note", "updated_by"]
    list_filter = [OnDutyFilter, "estate"]
    list_select_related = ["coordinator", "estate", "updated_by"]
    fields = ["estate", "coordinator", "starts_at", "ends_at", "note"]
    actions = ["remove_shifts"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "coordinator" and field is not None:
            field.queryset = field.queryset.filter(
                staff_memberships__role=StaffRole.ELDERCARE_COORDINATOR
            ).distinct()
        return field

    def service_save(self, request, form, change):
        if change:
            return services.duty_shift_update(shift=form.instance, data=form.cleaned_data, by=request.user)
        return services.duty_shift_create(**form.cleaned_data, by=request.user)

    @admin.action(description=_("Remove the selected shifts"), permissions=["change"])
    def remove_shifts(self, request, queryset):
        _per_object(
            self, request, queryset, lambda shift: services.duty_shift_remove(shift=shift, by=request.user)
        )


@admin.register(models.CareAudit)
class CareAuditAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    list_display = ["at", "by", "action", "object_repr", "changes"]
    list_filter = ["action", "object_type"]
    list_select_related = ["by"]

    def get_queryset(self, request):
        return super().get_queryset(request).distinct()


@admin.register(models.Voucher)
class VoucherAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    list_display = ["elder", "month", "amount", "used"]


def _per_object(modeladmin, request, queryset, call) -> None:
    done = 0
    for obj in modeladmin.scope_for_action(request, queryset):
        try:
            call(obj)
            done += 1
        except (ValidationError, PermissionDenied) as exc:
            modeladmin.message_user(
                request, f"{obj}: {' '.join(getattr(exc, 'messages', [str(exc)]))}", messages.ERROR
            )
    if done:
        modeladmin.message_user(request, _("%(n)d done.") % {"n": done}, messages.SUCCESS)


@admin.register(models.Order)
class OrderAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    """Orders are changed through the actions (services). The suggested worker is on the worker
    order page, not a column here: a suggestion per row would cost queries per row."""

    list_display = [
        "number",
        "elder",
        "item",
        "scheduled_at",
        "status",
        "worker",
        "price",
        "subsidy_amount",
    ]
    list_filter = ["status", "urgent", "item__category"]
    search_fields = ["number", "elder__resident__name"]
    list_select_related = ["elder__resident", "item", "worker"]
    actions = ["assign_suggested"]

    def has_change_permission(self, request, obj=None):
        # Changes go through the actions (services); the list must still offer them.
        return obj is None and ScopedModelAdmin.has_change_permission(self, request, obj)

    @admin.action(description=_("Assign to the suggested worker"), permissions=["change"])
    def assign_suggested(self, request, queryset):
        def assign(order):
            worker = selectors.suggest_worker(order)
            if worker is None:
                raise ValidationError(_("No free care worker to suggest."))
            services.order_assign(order=order, worker=worker, by=request.user)

        _per_object(self, request, queryset, assign)


@admin.register(models.Alarm)
class AlarmAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    list_display = [
        "kind",
        "elder",
        "status",
        "raised_at",
        "acknowledged_at",
        "escalated_at",
        "resolved_at",
        "outcome",
    ]
    list_filter = ["status", "kind", "outcome"]
    list_select_related = ["elder__resident"]
    actions = ["acknowledge"]

    def has_change_permission(self, request, obj=None):
        return obj is None and ScopedModelAdmin.has_change_permission(self, request, obj)

    @admin.action(description=_("Acknowledge"), permissions=["change"])
    def acknowledge(self, request, queryset):
        _per_object(
            self, request, queryset, lambda alarm: services.alarm_acknowledge(alarm=alarm, by=request.user)
        )
