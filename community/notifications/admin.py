from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from community.admin_services import ReadOnlyAdminMixin
from community.scoping import ScopedModelAdmin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    """Written only by ``notification_send``: staff may look, never edit."""

    list_display = ["title_display", "recipient", "verb", "estate", "created_at", "read_at"]
    list_filter = ["verb"]
    list_select_related = ["recipient", "estate"]
    search_fields = ["title", "body", "message"]

    @admin.display(description=_("title"))
    def title_display(self, obj):
        return obj.title_text
