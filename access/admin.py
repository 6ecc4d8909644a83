"""Admin for access control, scoped to the staff member's estates.

The access log changelist is built for millions of rows: read-only, an estimated count on
PostgreSQL (planner statistics, not COUNT(*)), no date_hierarchy (it would scan for dates),
ordering on an indexed column, low-cardinality filters, and exact-match search only (card
number, plate, resident phone) so every search is an index lookup.
"""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Q
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from community.admin_services import ReadOnlyAdminMixin, ServiceAdminMixin
from community.residents.models import mask_phone
from community.scoping import ScopedModelAdmin, staff_scope

from . import services
from .models import (
    AccessAudit,
    AccessEvent,
    Credential,
    Device,
    DeviceCommand,
    Gate,
    MovementLookup,
    RawDeviceMessage,
    RawStatus,
    RevokeReason,
    VisitorPass,
)
from .replay import raw_message_replay

# Gates listed in the access log's gate filter: enough for the biggest estate's gates.
GATE_FILTER_LIMIT = 200
# Characters of a command or an error shown in a changelist column, and of a body in the form.
SHORT_TEXT = 60
ERROR_SHORT_TEXT = 80
BODY_SHOWN = 20_000
ACCESS_LOG_PAGE_SIZE = 50
# A mainland mobile number without +86: searched as a resident's phone.
MOBILE_DIGITS = 11


class EstimatedCountPaginator(Paginator):
    """COUNT(*) over millions of rows takes seconds; the planner's row estimate takes a
    millisecond. Small results (under EXACT_BELOW) are counted exactly."""

    EXACT_BELOW = 10_000

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        connection = connections[queryset.db]
        if connection.vendor != "postgresql":
            return super().count
        sql, params = queryset.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0]
        if isinstance(plan, str):
            plan = json.loads(plan)
        estimate = int(plan[0]["Plan"]["Plan Rows"])
        if estimate < self.EXACT_BELOW:
            return super().count
        return estimate


class ScopedGateFilter(admin.SimpleListFilter):
    """Gate filter listing only the staff member's gates (the stock filter lists every estate's)."""

    title = _("gate")
    parameter_name = "gate"

    def lookups(self, request, model_admin):
        return [
            (g.pk, g.name)
            for g in staff_scope(Gate.objects.order_by("name"), request.user)[:GATE_FILTER_LIMIT]
        ]

    def queryset(self, request, queryset):
        if self.value() and str(self.value()).isdigit():
            return queryset.filter(gate_id=int(self.value()))
        return queryset


@admin.register(Gate)
class GateAdmin(ScopedModelAdmin):
    list_display = ["name", "estate", "location", "direction"]
    list_filter = ["direction"]
    search_fields = ["name", "location"]
    list_select_related = ["estate"]


@admin.register(Device)
class DeviceAdmin(ServiceAdminMixin, ScopedModelAdmin):
    list_display = [
        "name",
        "estate",
        "gate",
        "kind",
        "protocol",
        "serial_number",
        "approved",
        "enabled",
        "online",
        "last_seen_at",
    ]
    list_filter = ["protocol", "kind", "approved", "enabled", "online"]
    search_fields = ["name", "serial_number", "mac_address"]
    list_select_related = ["estate", "gate"]
    # Approval and tokens change through the actions below (recorded with who did it), never
    # by editing the form.
    readonly_fields = [
        "approved",
        "last_address",
        "last_seen_at",
        "online",
        "state",
        "created_at",
        "has_token",
    ]
    actions = ["approve", "rotate_token"]

    @admin.display(boolean=True, description=_("token set"))
    def has_token(self, obj):
        return bool(obj.token_hash)

    def service_save(self, request, form, change):
        # The form's fields that staff set; read-only ones (approval, liveness) are not in it.
        data = {name: form.cleaned_data[name] for name in form.fields if name in services.DEVICE_FIELDS}
        if change:
            return services.device_update(device=form.instance, by=request.user, **data)
        return services.device_create(by=request.user, **data)

    def delete_model(self, request, obj):
        services.device_delete(device=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for device in self.scope_for_action(request, queryset, "delete"):
            services.device_delete(device=device, by=request.user)

    @admin.action(description=_("Approve selected devices"), permissions=["change"])
    def approve(self, request, queryset):
        # Actions check no object: keep to estates where the user's role may change devices.
        approved = 0
        for device in self.scope_for_action(request, queryset).filter(approved=False):
            try:
                services.device_approve(device=device, by=request.user)
            except ValidationError as exc:
                self.message_user(request, "; ".join(exc.messages), messages.ERROR)
                continue
            approved += 1
        self.message_user(request, _("%(n)d device(s) approved.") % {"n": approved})

    @admin.action(description=_("Rotate the secret token (shown once)"), permissions=["change"])
    def rotate_token(self, request, queryset):
        for device in self.scope_for_action(request, queryset):
            token = services.device_token_rotate(device=device, by=request.user)
            self.message_user(
                request,
                format_html(
                    _("New token for {}: <code>{}</code> — copy it now, it is not shown again."),
                    device.name,
                    token,
                ),
                messages.WARNING,
            )


@admin.register(Credential)
class CredentialAdmin(ServiceAdminMixin, ScopedModelAdmin):
    list_display = ["resident", "kind", "masked", "valid_from", "valid_until", "revoked_at"]
    list_filter = ["kind", ("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["resident"]
    search_fields = ["=value", "resident__name"]
    raw_id_fields = ["resident"]
    readonly_fields = ["revoked_at", "revoked_reason", "created_at"]
    fields = ["resident", "kind", "value", "valid_from", "valid_until", "revoked_at", "revoked_reason"]
    actions = ["revoke"]

    @admin.display(description=_("value"))
    def masked(self, obj):
        return obj.masked_value

    def get_readonly_fields(self, request, obj=None):
        # An issued credential is revoked and reissued, never edited (devices hold copies);
        # only its validity window changes, through credential_update.
        return [*self.readonly_fields, "resident", "kind", "value"] if obj else self.readonly_fields

    def service_save(self, request, form, change):
        data = form.cleaned_data
        if change:
            return services.credential_update(
                credential=form.instance,
                valid_from=data["valid_from"],
                valid_until=data["valid_until"],
                by=request.user,
            )
        # The resident field's choices are scoped to the staff member's estates (ScopedModelAdmin).
        return services.credential_issue(
            resident=data["resident"],
            kind=data["kind"],
            value=data["value"],
            valid_from=data["valid_from"],
            valid_until=data["valid_until"],
            by=request.user,
        )

    @admin.action(description=_("Revoke selected credentials (lost card…)"), permissions=["change"])
    def revoke(self, request, queryset):
        for credential in self.scope_for_action(request, queryset).filter(revoked_at__isnull=True):
            services.credential_revoke(credential=credential, reason=RevokeReason.STAFF, by=request.user)
        self.message_user(request, _("Revoked; the gates are told on their next poll."))


class ReadOnlyAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    """Platform-written records, scoped to the staff member's estates."""


@admin.register(AccessEvent)
class AccessEventAdmin(ReadOnlyAdmin):
    list_display = [
        "occurred_at",
        "gate",
        "direction",
        "method",
        "result",
        "reason",
        "who",
        "credential_masked",
        "replayed",
        "clock_skewed",
    ]
    list_filter = [ScopedGateFilter, "result", "method", "direction"]
    list_select_related = ["gate", "resident"]
    ordering = ["-occurred_at"]
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    search_fields = ["credential_value"]  # shows the box; the search itself is exact, below
    search_help_text = _(
        "Exact card number or car plate. One person's movements: the audited movement lookup (managers)."
    )
    list_per_page = ACCESS_LOG_PAGE_SIZE

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return staff_scope(queryset, request.user), False
        # One named person's passages (by phone or name) only through the audited movement
        # lookup (reason, record, managers only: access.views.movement_lookup), never here
        # (issue #15 item 5). A card or plate search stays: it is how staff trace an incident.
        return staff_scope(
            queryset.filter(Q(credential_value=term) | Q(plate=term.upper())), request.user
        ), False

    @admin.display(description=_("resident"))
    def who(self, obj):
        if not obj.resident:
            return ""
        phone = mask_phone(str(obj.resident.phone)) if obj.resident.phone else ""
        return f"{obj.resident.name} {phone}".strip()

    @admin.display(description=_("credential presented"))
    def credential_masked(self, obj):
        value = obj.credential_value
        return "*" * max(len(value) - 4, 0) + value[-4:] if value else ""


@admin.register(VisitorPass)
class VisitorPassAdmin(ReadOnlyAdmin):
    list_display = [
        "visitor_name",
        "masked_phone",
        "unit",
        "valid_from",
        "valid_until",
        "entries_used",
        "max_entries",
        "revoked_at",
    ]
    list_select_related = ["unit__building"]
    ordering = ["-created_at"]
    exclude = ["nonce"]

    @admin.display(description=_("visitor phone"))
    def masked_phone(self, obj):
        return mask_phone(obj.visitor_phone)


@admin.register(DeviceCommand)
class DeviceCommandAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "device",
        "command_short",
        "status",
        "return_code",
        "created_at",
        "sent_at",
        "completed_at",
    ]
    list_filter = ["status", "device__protocol"]
    list_select_related = ["device"]
    ordering = ["-pk"]

    @admin.display(description=_("command"))
    def command_short(self, obj):
        return obj.command[:SHORT_TEXT]


@admin.register(RawDeviceMessage)
class RawDeviceMessageAdmin(ReadOnlyAdmin):
    list_display = [
        "received_at",
        "protocol",
        "device",
        "method",
        "path",
        "status",
        "attempts",
        "error_short",
    ]
    list_filter = ["status", "protocol"]
    list_select_related = ["device"]
    ordering = ["-received_at"]
    actions = ["replay"]
    exclude = ["body"]
    readonly_fields = ["body_text"]

    @admin.display(description=_("error"))
    def error_short(self, obj):
        return obj.error[:ERROR_SHORT_TEXT]

    @admin.display(description=_("body"))
    def body_text(self, obj):
        return bytes(obj.body)[:BODY_SHOWN].decode("utf-8", errors="replace")

    @admin.action(description=_("Replay selected messages"), permissions=["view"])
    def replay(self, request, queryset):
        done = 0
        for message in queryset.exclude(status=RawStatus.PROCESSED):
            done += raw_message_replay(message=message, by=request.user).status == RawStatus.PROCESSED
        self.message_user(request, _("%(n)d message(s) processed.") % {"n": done})


@admin.register(MovementLookup)
class MovementLookupAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "user", "resident", "reason"]
    list_select_related = ["user", "resident"]
    ordering = ["-created_at"]


@admin.register(AccessAudit)
class AccessAuditAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "action", "actor", "device", "credential", "raw_message", "params"]
    list_filter = ["action"]
    list_select_related = ["by_user", "device", "credential", "raw_message"]
    ordering = ["-created_at"]
