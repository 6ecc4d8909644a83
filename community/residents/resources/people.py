"""Residents and their occupancies: one line per current occupancy, so an exported file imports
back unchanged; occupancies are started and updated through the residents services."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.encoding import force_str
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import services
from ..models import Occupancy, OccupancyRole, Resident, Unit, normalise_id_number
from .base import ScopedResource, cell_text, column, parse_phone


@dataclass(frozen=True)
class ResidentExportRow:
    """One exported line: a resident and one of their current occupancies (or none)."""

    resident: Resident
    occupancy: Occupancy | None


class ResidentResource(ScopedResource):
    estate = column(gettext_lazy("Estate"))
    name = column(gettext_lazy("Name"))
    phone = column(gettext_lazy("Mobile phone"))
    id_number = column(gettext_lazy("ID number"))
    building = column(gettext_lazy("Building"))
    entrance = column(gettext_lazy("Entrance"))
    number = column(gettext_lazy("Unit number"))
    role = column(gettext_lazy("Role"))
    is_primary_contact = column(gettext_lazy("Primary contact"))

    required_columns = ("name",)
    model_fields = ("estate", "name", "phone", "id_number")

    class Meta:
        model = Resident
        fields = (
            "estate",
            "name",
            "phone",
            "id_number",
            "building",
            "entrance",
            "number",
            "role",
            "is_primary_contact",
        )
        use_transactions = True
        name = gettext_lazy("Residents (with their units)")

    def parse_row(self, row, errors, row_number):
        estate = self.resolve_estate(row, errors)
        name = self.parse_required(row, "name", errors)
        try:
            phone = parse_phone(row.get("phone"))
        except ValidationError as e:
            errors.add("phone", e.messages[0])
            phone = ""
        id_number = normalise_id_number(cell_text(row.get("id_number")))
        if len(id_number) > Resident._meta.get_field("id_number").max_length:
            errors.add("id_number", _("The ID number is too long."))

        unit = None
        wants_unit = any(cell_text(row.get(k)) for k in ("building", "number"))
        role = self.parse_choice(row, "role", OccupancyRole, errors)
        primary = self.parse_bool(row, "is_primary_contact", errors)
        if wants_unit:
            building = self.find_building(estate, row, errors)
            entrance = cell_text(row.get("entrance"))
            number = self.parse_required(row, "number", errors)
            if building and number:
                unit = Unit.objects.filter(building=building, entrance=entrance, number=number).first()
                if unit is None:
                    errors.add(
                        "number",
                        _("Building %(building)s has no unit %(unit)s.")
                        % {
                            "building": building.name,
                            "unit": f"{entrance + '-' if entrance else ''}{number}",
                        },
                    )
            if not role and not cell_text(row.get("role")):
                errors.add("role", _("Say how this resident lives in the unit (owner, family, tenant…)."))
        elif cell_text(row.get("role")) or primary:
            errors.add("number", _("A role or primary contact is given but no unit."))

        if estate and id_number and phone:
            by_id = (
                Resident.objects.filter(estate=estate, id_number=id_number)
                .values_list("pk", flat=True)
                .first()
            )
            by_phone = (
                Resident.objects.filter(estate=estate, phone=phone).values_list("pk", flat=True).first()
            )
            if by_id and by_phone and by_id != by_phone:
                errors.add(
                    "phone",
                    _(
                        "This phone belongs to another resident than this ID number; correct one of them first."
                    ),
                )
        person = id_number or phone or f"{name}#{row_number}"
        if estate:
            self.check_duplicate(
                ("resident", estate.pk, person, unit.pk if unit else None),
                row_number,
                errors,
                "name",
                _("This resident"),
            )
        return {
            "estate": estate,
            "name": name,
            "phone": phone,
            "id_number": id_number,
            "unit": unit,
            "role": role,
            "is_primary_contact": primary,
        }

    def find_existing(self, values):
        # A person is their ID number first (the voting roll counts people by it); phones change.
        estate = values["estate"]
        if values["id_number"]:
            found = Resident.objects.filter(estate=estate, id_number=values["id_number"]).first()
            if found is not None:
                return found
        if values["phone"]:
            return Resident.objects.filter(estate=estate, phone=values["phone"]).first()
        return None

    def apply(self, instance, values):
        instance.estate = values["estate"]
        instance.name = values["name"]
        if values["phone"]:
            instance.phone = values["phone"]
        if values["id_number"]:
            # A blank cell keeps the ID number on record rather than erasing it.
            instance.id_number = values["id_number"]

    def after_save_instance(self, instance, row, **kwargs):
        values = self._parsed.get(kwargs.get("row_number"), {})
        unit = values.get("unit")
        if unit is None or instance.pk is None:
            return
        current = Occupancy.objects.filter(resident=instance, unit=unit, end_date__isnull=True).first()
        if current is None:
            services.occupancy_start(
                by=self.user,
                resident=instance,
                unit=unit,
                role=values["role"],
                is_primary_contact=values["is_primary_contact"],
            )
        else:
            services.occupancy_update(
                by=self.user,
                occupancy=current,
                role=values["role"],
                start_date=current.start_date,
                is_primary_contact=values["is_primary_contact"],
            )

    # --- export: one line per current occupancy, so the file imports back unchanged ---------------

    def filter_export(self, queryset, **kwargs):
        from django.db.models import Prefetch

        current = Occupancy.objects.active().select_related("unit__building").order_by("unit_id")
        return queryset.select_related("estate").prefetch_related(
            Prefetch("occupancies", queryset=current, to_attr="current_occupancies")
        )

    def iter_queryset(self, queryset):
        for resident in super().iter_queryset(queryset):
            occupancies = getattr(resident, "current_occupancies", None) or [None]
            for occupancy in occupancies:
                yield ResidentExportRow(resident, occupancy)

    @staticmethod
    def _pair(obj) -> tuple[Resident, Occupancy | None]:
        if isinstance(obj, ResidentExportRow):
            return obj.resident, obj.occupancy
        return obj, None

    def estate_of(self, obj):
        return self._pair(obj)[0].estate

    def dehydrate_name(self, obj):
        return self._pair(obj)[0].name

    def dehydrate_phone(self, obj):
        resident = self._pair(obj)[0]
        return str(resident.phone) if resident.phone else ""

    def dehydrate_id_number(self, obj):
        return self._pair(obj)[0].id_number

    def dehydrate_building(self, obj):
        occupancy = self._pair(obj)[1]
        return occupancy.unit.building.name if occupancy else ""

    def dehydrate_entrance(self, obj):
        occupancy = self._pair(obj)[1]
        return occupancy.unit.entrance if occupancy else ""

    def dehydrate_number(self, obj):
        occupancy = self._pair(obj)[1]
        return occupancy.unit.number if occupancy else ""

    def dehydrate_role(self, obj):
        occupancy = self._pair(obj)[1]
        return force_str(occupancy.get_role_display()) if occupancy else ""

    def dehydrate_is_primary_contact(self, obj):
        occupancy = self._pair(obj)[1]
        if occupancy is None:
            return ""
        return _("yes") if occupancy.is_primary_contact else _("no")
