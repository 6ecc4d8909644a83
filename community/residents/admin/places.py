"""Estates, buildings and units."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from community.scoping import ScopedModelAdmin

from ..models import Building, Estate, Unit
from ..resources import BuildingResource, UnitResource
from .base import SCOPED_FILTER, ScopedImportExportAdmin
from .occupancies import OccupancyInlinesMixin, UnitOccupancyAddInline, UnitOccupancyHistoryInline


@admin.register(Estate)
class EstateAdmin(ScopedModelAdmin):
    list_display = ["name", "code", "address", "time_zone", "building_count", "created_at"]
    search_fields = ["name", "code", "address"]
    ordering = ["name"]  # explicit: Meta.ordering is dropped by the annotated (GROUP BY) query
    readonly_fields = ["created_at"]
    fields = ["name", "code", "address", "latitude", "longitude", "time_zone", "created_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_building_count=Count("buildings"))

    @admin.display(description=_("buildings"), ordering="_building_count")
    def building_count(self, obj):
        return obj._building_count

    # Estates are opened by the platform operator, not by an estate's own staff.
    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(Building)
class BuildingAdmin(ScopedImportExportAdmin):
    resource_classes = [BuildingResource]
    list_display = ["name", "estate", "floors", "unit_count"]
    list_filter = [("estate", SCOPED_FILTER)]
    list_select_related = ["estate"]
    search_fields = ["name", "estate__name"]
    ordering = ["estate__name", "name"]
    autocomplete_fields = ["estate"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_unit_count=Count("units"))

    @admin.display(description=_("units"), ordering="_unit_count")
    def unit_count(self, obj):
        return obj._unit_count


@admin.register(Unit)
class UnitAdmin(OccupancyInlinesMixin, ScopedImportExportAdmin):
    resource_classes = [UnitResource]
    list_display = [
        "label",
        "building",
        "entrance",
        "floor",
        "number",
        "exclusive_area",
        # Billing charges items on the built-up-area basis by it (a unit without one is not billed).
        "built_up_area",
        "area_source",
        "usage",
        "developer_owned",
    ]
    list_display_links = ["label"]
    list_filter = [
        ("building__estate", SCOPED_FILTER),
        ("building", SCOPED_FILTER),
        "usage",
        "area_source",
        "developer_owned",
    ]
    list_select_related = ["building__estate"]
    search_fields = ["number", "building__name", "building__estate__name"]
    autocomplete_fields = ["building"]
    inlines = [UnitOccupancyHistoryInline, UnitOccupancyAddInline]

    def get_queryset(self, request):
        # The unit's label (and so its autocomplete text) names the building.
        return super().get_queryset(request).select_related("building")

    @admin.display(description=_("unit"), ordering="number")
    def label(self, obj):
        return obj.label
