"""Bulk import and export of buildings, units and residents (Excel / CSV, django-import-export 4).

What a property office needs from a spreadsheet, and how it is kept safe:

* Human columns: a building is named ("3栋"), a unit is its building + entrance + number, a
  role is "业主"/"Owner"/"owner". Headers are matched in any site language (the column names
  are translatable strings) and in English, so a file exported in Chinese imports again.
* Scoped: every row resolves its estate among the estates the importing staff member serves.
  A building of another estate is "unknown"; a staff member serving several estates fills in
  the estate column (name or code); serving one, the column may stay empty.
* All or nothing: the resources run in one transaction and roll back when any row has an
  error (``rollback_on_validation_errors`` defaults to on here), so a file with one bad row
  writes nothing. The dry run reports every bad row with a message saying what is wrong.
* Existing rows are updated, not duplicated: a building by estate + name, a unit by building +
  entrance + number, a resident by estate + ID number (else phone). A unit or building that
  appears twice in one file is an error.
* Resident rows may name a unit, a role and the primary-contact flag: the occupancy is started
  (or updated) through ``community.residents.services`` so its rules hold.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.encoding import force_str
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, resources

from community.accounts.phones import to_e164
from community.scoping import staff_estate_ids_for_perm, staff_scope

from . import services
from .models import (
    AreaSource,
    Building,
    Estate,
    Occupancy,
    OccupancyRole,
    Resident,
    Unit,
    UnitUsage,
    normalise_id_number,
)

# Input synonyms people type in Chinese spreadsheets; matched besides the codes and the
# translated labels, so an import works before (and regardless of) the translation catalogue.
_CHOICE_SYNONYMS: dict[str, dict[str, str]] = {
    "role": {
        "业主": "owner",
        "产权人": "owner",
        "共有人": "co_owner",
        "共同业主": "co_owner",
        "家属": "family",
        "家庭成员": "family",
        "租户": "tenant",
        "租客": "tenant",
    },
    "area_source": {
        "登记": "register",
        "不动产登记簿": "register",
        "产权登记": "register",
        "实测": "survey",
        "测绘": "survey",
        "合同": "contract",
    },
    "usage": {"住宅": "residential", "商业": "commercial", "商铺": "commercial", "车位": "parking"},
}
_TRUE = {"1", "y", "yes", "true", "t", "是", "√", "✓", "x"}
_FALSE = {"", "0", "n", "no", "false", "f", "否"}
_AREA_STEP = Decimal("0.01")


def _all_language_forms(text) -> set[str]:
    """A lazy translatable string in every site language, lower-cased, plus its source."""
    forms = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            forms.add(force_str(text).strip().lower())
    with translation.override(None):
        forms.add(force_str(text).strip().lower())
    return forms


def _choice_map(choices_class, key: str) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for value, label in zip(choices_class.values, choices_class.labels, strict=True):
        mapping[value.lower()] = value
        for form in _all_language_forms(label):
            mapping[form] = value
    mapping.update(_CHOICE_SYNONYMS.get(key, {}))
    return mapping


def _text(value) -> str:
    """A cell as text: Excel gives 13800000001.0 for a typed phone number and 1 for entrance 1."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).strip()


def parse_phone(value) -> str:
    """E.164 for a mainland (or +country) number; ValidationError with the reason otherwise.

    The same parser as login and invitations (``community.accounts.phones``), so a number the
    import accepts is one the resident can log in with.
    """
    text = _text(value)
    if not text:
        return ""
    number = to_e164(text)
    if number is None:
        raise ValidationError(_("“%(value)s” is not a valid phone number.") % {"value": text})
    return number


@dataclass(frozen=True)
class ResidentExportRow:
    """One exported line: a resident and one of their current occupancies (or none)."""

    resident: Resident
    occupancy: Occupancy | None


class _RowErrors:
    """Collects one row's problems keyed by the column the user sees."""

    def __init__(self, resource: ScopedResource):
        self.resource = resource
        self.errors: dict[str, list[str]] = {}

    def add(self, key: str, message: str) -> None:
        column = force_str(self.resource.fields[key].column_name) if key in self.resource.fields else key
        self.errors.setdefault(column, []).append(message)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


class ScopedResource(resources.ModelResource):
    """Base: header matching in every language, estate scoping, all-or-nothing imports.

    Pass the staff member as ``user``: the admin does (see ``ScopedImportExportAdmin``).
    Subclasses implement ``parse_row(row, errors) -> dict`` and ``find_existing(values)``.
    """

    required_columns: tuple[str, ...] = ()

    def __init__(self, user=None, **kwargs):
        super().__init__(**kwargs)
        self.user = user
        self._estates: list[Estate] | None = None
        self._seen: dict[tuple, int] = {}
        self._parsed: dict[int, dict] = {}

    # --- all or nothing ----------------------------------------------------------------------

    def import_data(
        self,
        dataset,
        dry_run=False,
        raise_errors=False,
        use_transactions=None,
        collect_failed_rows=False,
        rollback_on_validation_errors=True,
        **kwargs,
    ):
        # Validation errors are per-row problems in the file; by default django-import-export
        # would still commit the good rows. Here any bad row rolls back the whole file.
        return super().import_data(
            dataset,
            dry_run=dry_run,
            raise_errors=raise_errors,
            use_transactions=use_transactions,
            collect_failed_rows=collect_failed_rows,
            rollback_on_validation_errors=rollback_on_validation_errors,
            **kwargs,
        )

    # --- headers ------------------------------------------------------------------------------

    def before_import(self, dataset, **kwargs):
        aliases: dict[str, str] = {}
        for key, field in self.fields.items():
            aliases[key.lower()] = key
            for form in _all_language_forms(field.column_name):
                aliases[form] = key
        headers = [aliases.get(_text(h).lower(), _text(h)) for h in (dataset.headers or [])]
        dataset.headers = headers
        missing = [k for k in self.required_columns if k not in headers]
        if missing:
            names = "、".join(force_str(self.fields[k].column_name) for k in missing)
            raise ValidationError(_("The file has no column %(columns)s.") % {"columns": names})
        self._seen = {}
        self._parsed = {}

    # --- estates ------------------------------------------------------------------------------

    @property
    def estates(self) -> list[Estate]:
        if self._estates is None:
            if self.user is None:
                self._estates = []
            else:
                # Estates where the importer's role may add this kind of row (roles are per estate).
                ids = staff_estate_ids_for_perm(
                    self.user, f"residents.add_{self._meta.model._meta.model_name}"
                )
                estates = staff_scope(Estate.objects.order_by("pk"), self.user)
                if ids is not None:
                    estates = estates.filter(pk__in=ids)
                self._estates = list(estates)
        return self._estates

    def resolve_estate(self, row, errors: _RowErrors) -> Estate | None:
        given = _text(row.get("estate"))
        if not self.estates:
            errors.add("estate", _("You hold no role that may import these rows in any estate."))
            return None
        if not given:
            if len(self.estates) == 1:
                return self.estates[0]
            errors.add("estate", _("You serve several estates: fill in the estate column (name or code)."))
            return None
        by_code = [e for e in self.estates if e.code.lower() == given.lower()]
        if by_code:
            return by_code[0]
        by_name = [e for e in self.estates if e.name == given]
        if len(by_name) == 1:
            return by_name[0]
        if len(by_name) > 1:
            errors.add(
                "estate",
                _("Several of your estates are called “%(name)s”: use the estate code.") % {"name": given},
            )
            return None
        errors.add("estate", _("“%(name)s” is not an estate you serve.") % {"name": given})
        return None

    def check_duplicate(
        self, key: tuple, row_number: int, errors: _RowErrors, column: str, what: str
    ) -> None:
        first = self._seen.setdefault(key, row_number)
        if first != row_number:
            errors.add(
                column,
                _("%(what)s already appears in row %(row)s of this file.") % {"what": what, "row": first},
            )

    # --- the row ------------------------------------------------------------------------------

    def get_or_init_instance(self, instance_loader, row):
        row_number = self._current_row_number
        errors = _RowErrors(self)
        values = self.parse_row(row, errors, row_number)
        errors.raise_if_any()
        self._parsed[row_number] = values
        instance = self.find_existing(values)
        new = instance is None
        if new:
            instance = self.init_instance(row)
        self.apply(instance, values)
        return instance, new

    def before_import_row(self, row, **kwargs):
        self._current_row_number = kwargs.get("row_number")

    def import_instance(self, instance, row, **kwargs):
        # Values were parsed and applied in get_or_init_instance, with all of the row's errors.
        pass

    def apply(self, instance, values: dict) -> None:
        for name, value in values.items():
            if name in self.model_fields:
                setattr(instance, name, value)

    model_fields: tuple[str, ...] = ()

    def parse_row(self, row, errors: _RowErrors, row_number: int) -> dict:
        raise NotImplementedError

    def find_existing(self, values: dict):
        raise NotImplementedError

    # --- shared cell parsers ------------------------------------------------------------------

    def parse_required(self, row, key: str, errors: _RowErrors) -> str:
        value = _text(row.get(key))
        if not value:
            errors.add(key, _("This column is required."))
        return value

    def parse_choice(self, row, key: str, choices_class, errors: _RowErrors, *, default: str = "") -> str:
        text = _text(row.get(key))
        if not text:
            return default
        value = _choice_map(choices_class, key).get(text.lower())
        if value is None:
            allowed = "、".join(force_str(label) for label in choices_class.labels)
            errors.add(
                key,
                _("“%(value)s” is not known; use one of: %(allowed)s.") % {"value": text, "allowed": allowed},
            )
            return default
        return value

    def parse_bool(self, row, key: str, errors: _RowErrors) -> bool:
        text = _text(row.get(key)).lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        errors.add(key, _("“%(value)s” is not yes or no.") % {"value": text})
        return False

    def parse_int(self, row, key: str, errors: _RowErrors, *, required: bool, minimum: int | None = None):
        text = _text(row.get(key))
        if not text:
            if required:
                errors.add(key, _("This column is required."))
            return None
        try:
            value = int(text)
        except ValueError:
            errors.add(key, _("“%(value)s” is not a whole number.") % {"value": text})
            return None
        if minimum is not None and value < minimum:
            errors.add(key, _("%(value)s is below %(minimum)s.") % {"value": value, "minimum": minimum})
            return None
        return value

    def find_building(self, estate: Estate | None, row, errors: _RowErrors) -> Building | None:
        name = self.parse_required(row, "building", errors)
        if estate is None or not name:
            return None
        building = Building.objects.filter(estate=estate, name=name).first()
        if building is None:
            errors.add(
                "building",
                _("Estate %(estate)s has no building “%(name)s”.") % {"estate": estate.name, "name": name},
            )
        return building

    # --- export -------------------------------------------------------------------------------

    def dehydrate_estate(self, obj) -> str:
        return self.estate_of(obj).name

    def estate_of(self, obj) -> Estate:
        raise NotImplementedError


def _column(label) -> fields.Field:
    # attribute=None: rows are parsed by the resource (with per-row messages), not by widgets.
    return fields.Field(column_name=label, attribute=None)


class BuildingResource(ScopedResource):
    estate = _column(gettext_lazy("Estate"))
    name = _column(gettext_lazy("Building"))
    floors = _column(gettext_lazy("Floors above ground"))

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
    estate = _column(gettext_lazy("Estate"))
    building = _column(gettext_lazy("Building"))
    entrance = _column(gettext_lazy("Entrance"))
    floor = _column(gettext_lazy("Floor"))
    number = _column(gettext_lazy("Unit number"))
    exclusive_area = _column(gettext_lazy("Exclusive area (m²)"))
    area_source = _column(gettext_lazy("Area source"))
    usage = _column(gettext_lazy("Usage"))
    developer_owned = _column(gettext_lazy("Held by the developer"))

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
        entrance = _text(row.get("entrance"))
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
        text = _text(row.get("exclusive_area"))
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


class ResidentResource(ScopedResource):
    estate = _column(gettext_lazy("Estate"))
    name = _column(gettext_lazy("Name"))
    phone = _column(gettext_lazy("Mobile phone"))
    id_number = _column(gettext_lazy("ID number"))
    building = _column(gettext_lazy("Building"))
    entrance = _column(gettext_lazy("Entrance"))
    number = _column(gettext_lazy("Unit number"))
    role = _column(gettext_lazy("Role"))
    is_primary_contact = _column(gettext_lazy("Primary contact"))

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
        id_number = normalise_id_number(_text(row.get("id_number")))
        if len(id_number) > Resident._meta.get_field("id_number").max_length:
            errors.add("id_number", _("The ID number is too long."))

        unit = None
        wants_unit = any(_text(row.get(k)) for k in ("building", "number"))
        role = self.parse_choice(row, "role", OccupancyRole, errors)
        primary = self.parse_bool(row, "is_primary_contact", errors)
        if wants_unit:
            building = self.find_building(estate, row, errors)
            entrance = _text(row.get("entrance"))
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
            if not role and not _text(row.get("role")):
                errors.add("role", _("Say how this resident lives in the unit (owner, family, tenant…)."))
        elif _text(row.get("role")) or primary:
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
