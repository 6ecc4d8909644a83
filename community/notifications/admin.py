from django.contrib import admin

from community.scoping import ScopedModelAdmin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(ScopedModelAdmin):
    list_display = ["title", "recipient", "verb", "estate", "created_at", "read_at"]
    list_filter = ["verb"]
    list_select_related = ["recipient", "estate"]
    search_fields = ["title", "body"]
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request):
        return False
