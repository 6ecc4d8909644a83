"""Eldercare admin: coordinators keep elders, consents, assessments and the catalog; orders and
alarms are platform-written (read-only here, changed through per-object actions)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from community.admin_services import ReadOnlyAdminMixin, ServiceAdminMixin
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


class ServiceItemInline(admin.TabularInline):
    model = models.ServiceItem
    extra = 0


@admin.register(models.CareStation)
class CareStationAdmin(ScopedModelAdmin):
    list_display = ["name", "phone"]
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


@admin.register(models.SubsidyPolicy)
class SubsidyPolicyAdmin(ScopedModelAdmin):
    list_display = [
        "name",
        "estate",
        "elder_category",
        "min_level",
        "max_level",
        "kind",
        "monthly_amount",
        "percent",
    ]


@admin.register(models.CareSettings)
class CareSettingsAdmin(ScopedModelAdmin):
    list_display = ["estate", "alarm_escalate_after", "wellbeing_quiet_hours", "late_after_minutes"]


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
    list_display = [
        "number",
        "elder",
        "item",
        "scheduled_at",
        "status",
        "worker",
        "suggested_worker",
        "price",
        "subsidy_amount",
    ]
    list_filter = ["status", "urgent", "item__category"]
    search_fields = ["number", "elder__resident__name"]
    list_select_related = ["elder__resident", "item", "worker"]
    actions = ["assign_suggested"]

    @admin.display(description=_("suggested worker"))
    def suggested_worker(self, obj):
        if obj.status not in ("pending", "accepted"):
            return "—"
        return selectors.suggest_worker(obj) or "—"

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
