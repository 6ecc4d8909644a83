"""Buildings and units: named as a property office names them ("3栋", building + entrance +
number), updated in place when the file names an existing one."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.encoding import force_str
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import AreaSource, Building, Unit, UnitUsage
from .base import ScopedResource, cell_text, column

# Areas are kept to the square centimetre, as the property register states them.
_AREA_STEP = Decimal("0.01")


class BuildingResource(ScopedResource):
    estate = column(gettext_lazy("Estate"))
    name = column(gettext_lazy("Building"))
    floors = column(gettext_lazy("Floors above ground"))

    required_columns = ("name",)
    model_fields = ("estate", "name", "floors")

    class Meta:
        model = Building
        fields = ("estate", "name", "floors")
        use_transactions = True
        name = gettext_lazy("Buildings")

    def parse_row(self, row, errors, row_number):
        estate = self.resolve_estate(row, errors)
        name = self.parse_required(row, "name", errors)
        floors = self.parse_int(row, "floors", errors, required=False, minimum=0)
        if estate and name:
            self.check_duplicate(
                ("building", estate.pk, name),
                row_number,
                errors,
                "name",
                _("Building “%(name)s”") % {"name": name},
            )
        return {"estate": estate, "name": name, "floors": floors}

    def find_existing(self, values):
        return Building.objects.filter(estate=values["estate"], name=values["name"]).first()

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("estate")

    def estate_of(self, obj):
        return obj.estate

    def dehydrate_name(self, obj):
        return obj.name

    def dehydrate_floors(self, obj):
        return obj.floors if obj.floors is not None else ""


class UnitResource(ScopedResource):
    estate = column(gettext_lazy("Estate"))
    building = column(gettext_lazy("Building"))
    entrance = column(gettext_lazy("Entrance"))
    floor = column(gettext_lazy("Floor"))
    number = column(gettext_lazy("Unit number"))
    exclusive_area = column(gettext_lazy("Exclusive area (m²)"))
    area_source = column(gettext_lazy("Area source"))
    usage = column(gettext_lazy("Usage"))
    developer_owned = column(gettext_lazy("Held by the developer"))

    required_columns = ("building", "floor", "number", "exclusive_area")
    model_fields = (
        "building",
        "entrance",
        "floor",
        "number",
        "exclusive_area",
        "area_source",
        "usage",
        "developer_owned",
    )

    class Meta:
        model = Unit
        fields = (
            "estate",
            "building",
            "entrance",
            "floor",
            "number",
            "exclusive_area",
            "area_source",
            "usage",
            "developer_owned",
        )
        use_transactions = True
        name = gettext_lazy("Units")

    def parse_row(self, row, errors, row_number):
        estate = self.resolve_estate(row, errors)
        building = self.find_building(estate, row, errors)
        entrance = cell_text(row.get("entrance"))
        number = self.parse_required(row, "number", errors)
        floor = self.parse_int(row, "floor", errors, required=True)
        area = self.parse_area(row, errors)
        if building and number:
            label = f"{building.name}-{entrance + '-' if entrance else ''}{number}"
            self.check_duplicate(
                ("unit", building.pk, entrance, number),
                row_number,
                errors,
                "number",
                _("Unit %(unit)s") % {"unit": label},
            )
        return {
            "building": building,
            "entrance": entrance,
            "floor": floor,
            "number": number,
            "exclusive_area": area,
            "area_source": self.parse_choice(
                row, "area_source", AreaSource, errors, default=AreaSource.REGISTER
            ),
            "usage": self.parse_choice(row, "usage", UnitUsage, errors, default=UnitUsage.RESIDENTIAL),
            "developer_owned": self.parse_bool(row, "developer_owned", errors),
        }

    def parse_area(self, row, errors):
        text = cell_text(row.get("exclusive_area"))
        if not text:
            errors.add("exclusive_area", _("This column is required."))
            return None
        try:
            area = Decimal(text)
        except InvalidOperation:
            errors.add("exclusive_area", _("“%(value)s” is not a number.") % {"value": text})
            return None
        if not area.is_finite():
            errors.add("exclusive_area", _("“%(value)s” is not a number.") % {"value": text})
            return None
        if area < 0:
            errors.add("exclusive_area", _("The area cannot be negative."))
            return None
        if area >= Decimal(10) ** 8:
            errors.add("exclusive_area", _("The area is too large."))
            return None
        return area.quantize(_AREA_STEP, rounding=ROUND_HALF_UP)

    def find_existing(self, values):
        return Unit.objects.filter(
            building=values["building"], entrance=values["entrance"], number=values["number"]
        ).first()

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("building__estate")

    def estate_of(self, obj):
        return obj.building.estate

    def dehydrate_building(self, obj):
        return obj.building.name

    def dehydrate_entrance(self, obj):
        return obj.entrance

    def dehydrate_floor(self, obj):
        return obj.floor

    def dehydrate_number(self, obj):
        return obj.number

    def dehydrate_exclusive_area(self, obj):
        return str(obj.exclusive_area) if obj.exclusive_area is not None else ""

    def dehydrate_area_source(self, obj):
        return force_str(obj.get_area_source_display())

    def dehydrate_usage(self, obj):
        return force_str(obj.get_usage_display())

    def dehydrate_developer_owned(self, obj):
        return _("yes") if obj.developer_owned else _("no")
