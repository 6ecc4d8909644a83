"""Admin for the community office: the catalogue of service items (editable), applications and
certificates (read-only here: decisions are taken on the office pages, /staff/affairs/)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from community.admin_services import ReadOnlyAdminMixin
from community.scoping import ScopedModelAdmin

from .models import Application, Certificate, ServiceItem


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
