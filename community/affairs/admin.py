"""Admin for the community office: the catalogue of service items (editable), applications and
certificates (read-only here: decisions are taken on the office pages, /staff/affairs/)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from community.admin_services import ReadOnlyAdminMixin
from community.scoping import ScopedModelAdmin

from .models import Application, Certificate, Grid, GridEvent, Roster, RosterAccess, ServiceItem


@admin.register(ServiceItem)
class ServiceItemAdmin(ScopedModelAdmin):
    list_display = [
        "name",
        "estate",
        "office",
        "time_limit_days",
        "needs_appointment",
        "issues_certificate",
        "active",
    ]
    list_filter = ["active", "needs_appointment", "issues_certificate"]
    search_fields = ["name", "code"]


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    list_display = ["number", "item", "status", "due_at", "escalation_level", "created_at"]
    list_filter = ["status", "item"]
    list_select_related = ["item"]
    search_fields = ["=number"]
    # Materials and ID numbers are read on the office pages, which check the office role.
    exclude = ["missing_note", "note"]


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    list_display = ["number", "title", "issued_at", "revoked_at"]
    search_fields = ["=number"]
    exclude = ["code"]
    verbose_name = _("certificate")


@admin.register(Grid)
class GridAdmin(ScopedModelAdmin):
    list_display = ["name", "estate", "worker"]
    filter_horizontal = ["buildings"]


@admin.register(GridEvent)
class GridEventAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    list_display = ["number", "grid", "type", "urgency", "status", "due_at", "escalation_level"]
    list_filter = ["status", "type", "urgency"]
    list_select_related = ["grid"]
    search_fields = ["=number"]
    exclude = ["people_involved"]


@admin.register(Roster)
class RosterAdmin(ScopedModelAdmin):
    """Rosters are defined here (purpose, basis, roles); their people are opened on the staff
    page, which asks why and records it — never listed in the admin."""

    list_display = ["name", "estate", "kind", "legal_basis"]
    fields = ["estate", "name", "kind", "purpose", "legal_basis", "basis_reference", "visible_roles"]


@admin.register(RosterAccess)
class RosterAccessAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    list_display = ["at", "roster", "user", "action", "reason", "people"]
    list_filter = ["action"]
    list_select_related = ["roster", "user"]
