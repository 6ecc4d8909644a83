"""Staff admin for the data exchange: destinations and their grants (managers), the outbox and
deliveries read-only with their state, and the operators' actions (deliver now, resend from N,
rotate the open-API token, export the provincial tables). Everything estate-scoped."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.admin_services import ReadOnlyAdminMixin, ServiceAdminMixin
from community.scoping import ScopedModelAdmin

from . import selectors, services
from .models import DataGrant, Delivery, ExchangeAction, ExternalSystem, OutboxRecord


class SystemActionForm(ActionForm):
    from_record = forms.IntegerField(label=_("Resend from record №"), required=False, min_value=1)
    days = forms.IntegerField(label=_("Export the last N days"), required=False, min_value=1, max_value=366)


@admin.register(ExternalSystem)
class ExternalSystemAdmin(ServiceAdminMixin, ScopedModelAdmin):
    list_display = ["name", "estate", "kind", "enabled", "registered_at", "queue"]
    list_filter = ["kind", "enabled"]
    search_fields = ["name"]
    fields = [
        "estate", "name", "kind", "enabled", "endpoint", "credentials_ref", "device_id", "extensions",
        "service_code", "batch_size", "registered_at",
    ]  # fmt: skip
    readonly_fields = ["registered_at"]
    action_form = SystemActionForm
    actions = ["deliver_now", "resend_from", "rotate_token", "export_tables"]

    def service_save(self, request, form, change):
        return services.system_save(system=form.instance, by=request.user)

    @admin.display(description=_("deliveries by state"))
    def queue(self, obj):
        return ", ".join(f"{k}: {v}" for k, v in sorted(selectors.pending_counts(obj).items())) or "—"

    @admin.action(description=_("Deliver what is due now"))
    def deliver_now(self, request, queryset):
        for system in self.scope_for_action(request, queryset):
            try:
                report = services.system_deliver(system=system, by=request.user)
            except ValidationError as exc:
                self.message_user(request, f"{system}: {'; '.join(exc.messages)}", messages.ERROR)
                continue
            self.message_user(
                request,
                _("%(s)s: %(d)d delivered, %(r)d to retry, %(x)d rejected, %(w)d withheld.")
                % {
                    "s": system,
                    "d": report.delivered,
                    "r": report.retried,
                    "x": report.rejected,
                    "w": report.withheld,
                },
            )

    @admin.action(description=_("Resend from record № (give the number above)"))
    def resend_from(self, request, queryset):
        number = request.POST.get("from_record")
        if not (number or "").isdigit():
            self.message_user(request, _("Give the record number to resend from."), messages.ERROR)
            return
        for system in self.scope_for_action(request, queryset):
            count = services.deliveries_resend_from(system=system, from_record=int(number), by=request.user)
            self.message_user(
                request, _("%(s)s: %(n)d deliveries are due again.") % {"s": system, "n": count}
            )

    @admin.action(description=_("Issue a new open-API token (shown once)"))
    def rotate_token(self, request, queryset):
        for system in self.scope_for_action(request, queryset):
            token = services.system_token_rotate(system=system, by=request.user)
            self.message_user(request, _("%(s)s: new token %(t)s — copy it now.") % {"s": system, "t": token})

    @admin.action(description=_("Export the provincial tables (Excel)"))
    def export_tables(self, request, queryset):
        systems = list(self.scope_for_action(request, queryset))
        if len(systems) != 1:
            self.message_user(request, _("Choose exactly one file-export destination."), messages.ERROR)
            return None
        days = int(request.POST.get("days") or 30)
        until = timezone.now()
        try:
            content = services.file_export(
                system=systems[0], since=until - dt.timedelta(days=days), until=until, by=request.user
            )
        except ValidationError as exc:
            self.message_user(request, "; ".join(exc.messages), messages.ERROR)
            return None
        response = HttpResponse(
            content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = (
            f'attachment; filename="exchange-{systems[0].pk}-{until:%Y%m%d}.xlsx"'
        )
        return response


@admin.register(DataGrant)
class DataGrantAdmin(ServiceAdminMixin, ScopedModelAdmin):
    list_display = ["system", "category", "legal_basis", "basis_reference"]
    list_filter = ["category", "legal_basis"]
    list_select_related = ["system"]
    fields = ["system", "category", "legal_basis", "basis_reference", "fields", "masked"]

    def service_save(self, request, form, change):
        return services.grant_save(grant=form.instance, by=request.user)


@admin.register(OutboxRecord)
class OutboxRecordAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    list_display = ["id", "estate", "category", "source", "source_ref", "occurred_at", "created_at"]
    list_filter = ["category"]
    list_select_related = ["estate"]
    search_fields = ["=id", "=source_ref"]
    # The payload holds personal data in clear: it is read through deliveries' minimised views.
    exclude = ["payload"]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    list_display = [
        "record_id",
        "system",
        "status",
        "attempts",
        "next_attempt_at",
        "delivered_at",
        "last_error",
    ]
    list_filter = ["status", "system"]
    list_select_related = ["system", "record"]
    search_fields = ["=record__id", "=remote_key"]


@admin.register(ExchangeAction)
class ExchangeActionAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    list_display = ["created_at", "system", "kind", "actor", "actor_label", "params"]
    list_filter = ["kind"]
    list_select_related = ["system", "actor"]
