"""Spreadsheet export of tickets (django-import-export); export only, scoped by the admin."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from import_export import fields, resources

from .models import Ticket


class TicketResource(resources.ModelResource):
    category = fields.Field(attribute="category__name", column_name=_("category"))
    status = fields.Field(column_name=_("status"))
    priority = fields.Field(column_name=_("priority"))
    location = fields.Field(column_name=_("location"))
    reporter = fields.Field(attribute="reporter__name", column_name=_("reporter"))
    assignee = fields.Field(column_name=_("assignee"))
    rating = fields.Field(column_name=_("rating"))
    breached = fields.Field(column_name=_("deadline breached"))

    class Meta:
        model = Ticket
        fields = [
            "number",
            "category",
            "status",
            "priority",
            "channel",
            "location",
            "reporter",
            "assignee",
            "description",
            "created_at",
            "response_due_at",
            "resolution_due_at",
            "responded_at",
            "resolved_at",
            "closed_at",
            "breached",
            "rating",
        ]
        export_order = fields

    def dehydrate_status(self, obj) -> str:
        return str(obj.get_status_display())

    def dehydrate_priority(self, obj) -> str:
        return str(obj.get_priority_display())

    def dehydrate_location(self, obj) -> str:
        return obj.location

    def dehydrate_assignee(self, obj) -> str:
        return str(obj.assignee) if obj.assignee_id else ""

    def dehydrate_breached(self, obj) -> str:
        # The permanent mark (issue 11): a report counts it whatever the deadline is now.
        return str(_("yes") if obj.breached else _("no"))

    def dehydrate_rating(self, obj):
        rating = getattr(obj, "rating", None) if hasattr(obj, "rating") else None
        return rating.score if rating else ""
