"""Held tasks, read-only: operators see what waits for the broker (manage.py held_tasks_send
sends it now); rows are written and removed only by the platform."""

from django.contrib import admin

from community.admin_services import ReadOnlyAdminMixin

from .models import HeldTask


@admin.register(HeldTask)
class HeldTaskAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["task", "created_at", "attempts", "held_by", "request_id", "reason"]
    list_filter = ["task"]
    readonly_fields = [
        "task",
        "args",
        "kwargs",
        "options",
        "request_id",
        "held_by",
        "reason",
        "attempts",
        "created_at",
    ]
