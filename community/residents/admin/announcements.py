"""Announcements, written through the announcement services."""

from __future__ import annotations

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.admin_services import ServiceAdminMixin
from community.scoping import ScopedModelAdmin

from .. import services
from ..models import Announcement
from .base import SCOPED_FILTER

ANNOUNCEMENT_FIELDS = ("estate", "title", "body", "pinned", "publish_at", "expires_at")


@admin.register(Announcement)
class AnnouncementAdmin(ServiceAdminMixin, ScopedModelAdmin):
    list_display = ["title", "estate", "pinned", "publish_at", "expires_at", "is_current", "created_by"]
    list_filter = [("estate", SCOPED_FILTER), "pinned"]
    list_select_related = ["estate", "created_by"]
    search_fields = ["title", "body"]
    autocomplete_fields = ["estate"]
    date_hierarchy = "publish_at"
    fields = [
        "estate",
        "title",
        "body",
        "pinned",
        "publish_at",
        "expires_at",
        "created_by",
        "created_at",
        "updated_by",
    ]
    readonly_fields = ["created_by", "created_at", "updated_by"]

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
