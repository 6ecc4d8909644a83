"""What every import/export resource shares: cells read in any site language, the importer's
estates, one row's errors keyed by the column the user sees, all-or-nothing imports."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.encoding import force_str
from django.utils.translation import gettext as _
from import_export import fields, resources

from community.accounts.phones import to_e164
from community.scoping import staff_estate_ids_for_perm, staff_scope

from ..models import Building, Estate

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


def cell_text(value) -> str:
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
    text = cell_text(value)
    if not text:
        return ""
    number = to_e164(text)
    if number is None:
        raise ValidationError(_("“%(value)s” is not a valid phone number.") % {"value": text})
    return number


class RowErrors:
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
        headers = [aliases.get(cell_text(h).lower(), cell_text(h)) for h in (dataset.headers or [])]
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

    def resolve_estate(self, row, errors: RowErrors) -> Estate | None:
        given = cell_text(row.get("estate"))
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

    def check_duplicate(self, key: tuple, row_number: int, errors: RowErrors, column: str, what: str) -> None:
        first = self._seen.setdefault(key, row_number)
        if first != row_number:
            errors.add(
                column,
                _("%(what)s already appears in row %(row)s of this file.") % {"what": what, "row": first},
            )

    # --- the row ------------------------------------------------------------------------------

    def get_or_init_instance(self, instance_loader, row):
        row_number = self._current_row_number
        errors = RowErrors(self)
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

    def parse_row(self, row, errors: RowErrors, row_number: int) -> dict:
        raise NotImplementedError

    def find_existing(self, values: dict):
        raise NotImplementedError

    # --- shared cell parsers ------------------------------------------------------------------

    def parse_required(self, row, key: str, errors: RowErrors) -> str:
        value = cell_text(row.get(key))
        if not value:
            errors.add(key, _("This column is required."))
        return value

    def parse_choice(self, row, key: str, choices_class, errors: RowErrors, *, default: str = "") -> str:
        text = cell_text(row.get(key))
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

    def parse_bool(self, row, key: str, errors: RowErrors) -> bool:
        text = cell_text(row.get(key)).lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        errors.add(key, _("“%(value)s” is not yes or no.") % {"value": text})
        return False

    def parse_int(self, row, key: str, errors: RowErrors, *, required: bool, minimum: int | None = None):
        text = cell_text(row.get(key))
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

    def find_building(self, estate: Estate | None, row, errors: RowErrors) -> Building | None:
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


def column(label) -> fields.Field:
    # attribute=None: rows are parsed by the resource (with per-row messages), not by widgets.
    return fields.Field(column_name=label, attribute=None)
