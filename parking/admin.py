"""Admin for the car park, scoped to the staff member's estates. Writes go through the
services (``ServiceAdminMixin``); reads, sessions and gate actions are the platform's record
and read-only."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext_lazy as _

from community.admin_services import ReadOnlyAdminMixin, ServiceAdminMixin
from community.residents.models import Estate
from community.scoping import ScopedModelAdmin, staff_scope

from . import services
from .admin_exports import vehicles_permits_import
from .models import FeeRule, GateAction, Lane, Lot, Permit, PlateEvent, Session, Space, Vehicle


class _SetupAdmin(ServiceAdminMixin, ScopedModelAdmin):
    def service_save(self, request, form, change):
        return services.setup_save(instance=form.instance, by=request.user)


class LaneInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Lane
    extra = 0
    fields = ["name", "device", "direction", "barrier_url"]
    readonly_fields = fields


@admin.register(Lot)
class LotAdmin(_SetupAdmin):
    list_display = [
        "name",
        "estate",
        "parent",
        "capacity",
        "allow_temporary",
        "charging_enabled",
        "reconcile_rule",
    ]
    list_filter = ["allow_temporary", "charging_enabled"]
    search_fields = ["name"]
    inlines = [LaneInline]


@admin.register(Lane)
class LaneAdmin(_SetupAdmin):
    list_display = ["__str__", "lot", "device", "direction", "barrier_url"]
    list_select_related = ["lot", "device"]
    exclude = ["barrier_password"]


@admin.register(Space)
class SpaceAdmin(_SetupAdmin):
    list_display = ["number", "lot", "kind", "unit", "holder", "tandem_with", "cars_inside"]
    list_select_related = ["lot", "unit", "holder", "tandem_with"]
    list_filter = ["kind"]
    search_fields = ["number"]
    raw_id_fields = ["unit", "holder", "tandem_with"]


class ImportForm(forms.Form):
    estate = forms.ModelChoiceField(queryset=None, label=_("estate"))
    file = forms.FileField(label=_("Excel file (.xlsx)"))


@admin.register(Vehicle)
class VehicleAdmin(ServiceAdminMixin, ScopedModelAdmin):
    list_display = ["plate", "estate", "colour", "owner", "space", "approved", "created_at"]
    list_select_related = ["estate", "owner", "space"]
    list_filter = ["approved", "colour"]
    search_fields = ["=plate"]
    raw_id_fields = ["owner", "space"]
    exclude = ["approved_by", "created_by"]
    actions = ["approve"]
    change_list_template = "admin/parking/vehicle/change_list.html"

    def service_save(self, request, form, change):
        return services.vehicle_save(instance=form.instance, by=request.user)

    @admin.action(description=_("Approve the selected cars"))
    def approve(self, request, queryset):
        done = 0
        for vehicle in self.scope_for_action(request, queryset):
            try:
                services.vehicle_approve(vehicle=vehicle, by=request.user)
                done += 1
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(request, f"{vehicle}: {exc}", messages.ERROR)
        self.message_user(request, _("%(n)d car(s) approved.") % {"n": done})

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="parking_vehicle_import"),
            *super().get_urls(),
        ]

    def import_view(self, request):
        """Vehicles and permits from Excel: each row through the services, each error by row."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        form.fields["estate"].queryset = staff_scope(Estate.objects.all(), request.user)
        result = None
        if request.method == "POST" and form.is_valid():
            try:
                result = vehicles_permits_import(
                    estate=form.cleaned_data["estate"], upload=form.cleaned_data["file"], by=request.user
                )
            except (OSError, ValueError, KeyError) as exc:
                form.add_error("file", _("Not a readable .xlsx file: %(error)s") % {"error": exc})
            else:
                if not result.errors:
                    self.message_user(request, _("%(n)d row(s) imported.") % {"n": result.created})
                    return redirect("admin:parking_vehicle_changelist")
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "result": result,
            "opts": self.model._meta,
        }
        return render(request, "admin/parking/vehicle/import.html", context)


@admin.register(Permit)
class PermitAdmin(ServiceAdminMixin, ScopedModelAdmin):
    list_display = ["vehicle", "lot", "kind", "valid_from", "valid_until", "price", "revoked_at"]
    list_select_related = ["vehicle", "lot"]
    list_filter = ["kind"]
    search_fields = ["=vehicle__plate"]
    raw_id_fields = ["vehicle"]
    fields = ["vehicle", "lot", "kind", "valid_from", "valid_until", "price"]
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        return self.fields if obj is not None else []

    def service_save(self, request, form, change):
        if change:
            return form.instance  # permits are not edited: revoke and issue a new one
        data = form.cleaned_data
        return services.permit_create(
            vehicle=data["vehicle"],
            lot=data["lot"],
            kind=data["kind"],
            valid_from=data["valid_from"],
            valid_until=data.get("valid_until"),
            price=data.get("price") or 0,
            by=request.user,
        )

    @admin.action(description=_("Revoke the selected permits"))
    def revoke(self, request, queryset):
        for permit in self.scope_for_action(request, queryset):
            try:
                services.permit_revoke(permit=permit, by=request.user)
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(request, f"{permit}: {exc}", messages.ERROR)


@admin.register(FeeRule)
class FeeRuleAdmin(ServiceAdminMixin, ScopedModelAdmin):
    """Tariffs are versioned: "add" publishes a new version; nothing is edited in place."""

    list_display = [
        "lot",
        "version",
        "effective_from",
        "free_minutes",
        "unit_minutes",
        "price_per_unit",
        "daily_cap",
    ]
    list_select_related = ["lot"]
    fields = [
        "lot",
        "effective_from",
        "free_minutes",
        "unit_minutes",
        "price_per_unit",
        "daily_cap",
        "night_start",
        "night_end",
        "night_price_per_unit",
    ]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def service_save(self, request, form, change):
        data = form.cleaned_data
        return services.fee_rule_publish(
            lot=data["lot"],
            effective_from=data.get("effective_from"),
            free_minutes=data["free_minutes"],
            unit_minutes=data["unit_minutes"],
            price_per_unit=data["price_per_unit"],
            daily_cap=data.get("daily_cap"),
            night_start=data.get("night_start"),
            night_end=data.get("night_end"),
            night_price_per_unit=data.get("night_price_per_unit"),
            by=request.user,
        )


@admin.register(PlateEvent)
class PlateEventAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    list_display = [
        "received_at",
        "plate",
        "device",
        "lot",
        "direction",
        "opened",
        "reason",
        "amount_due",
        "offline",
        "device_time",
        "clock_skewed",
    ]
    list_select_related = ["device", "lot"]
    list_filter = ["opened", "offline", "clock_skewed", "needs_staff", "direction"]
    search_fields = ["=plate", "=device_key"]
    exclude = ["raw_body"]


@admin.register(Session)
class SessionAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    list_display = ["plate", "lot", "kind", "status", "entered_at", "exited_at", "fee", "paid_amount"]
    list_select_related = ["lot"]
    list_filter = ["status", "kind"]
    search_fields = ["=plate"]


@admin.register(GateAction)
class GateActionAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    list_display = ["at", "kind", "lane", "session", "by", "ok", "reason", "detail"]
    list_select_related = ["lane", "session"]
    list_filter = ["kind", "ok"]
