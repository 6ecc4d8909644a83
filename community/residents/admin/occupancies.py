"""Occupancies: the forms and inlines units and residents share, and the occupancy admin.

Every occupancy is started, changed and ended by ``community.residents.services`` (the
primary-contact flag moves, ``occupancy_ended`` fires)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from community.admin_services import ReadOnlyInlineMixin, ServiceAdminMixin
from community.personal_search import ExactPersonalSearchMixin
from community.scoping import EstateScopedAdminMixin, ScopedModelAdmin

from .. import services
from ..models import Building, Occupancy, Resident, Unit, current_q
from .base import SCOPED_FILTER


def occupancy_problems(*, resident: Resident | None, unit: Unit | None) -> dict[str, str]:
    """What stops this resident from starting an occupancy of this unit (form-level messages)."""
    if resident is None or unit is None:
        return {}
    estate_id = Building.objects.filter(pk=unit.building_id).values_list("estate_id", flat=True).first()
    if estate_id != resident.estate_id:
        return {"unit": _("This unit belongs to another estate than the resident.")}
    if resident.pk and Occupancy.objects.filter(resident=resident, unit=unit, end_date__isnull=True).exists():
        return {"unit": _("This resident already lives in this unit.")}
    return {}


class OccupancyForm(forms.ModelForm):
    class Meta:
        model = Occupancy
        fields = ["resident", "unit", "role", "start_date", "is_primary_contact"]

    def _get_validation_exclusions(self):
        # The services move the primary-contact flag from the unit's current primary contact,
        # so the "one primary contact per unit" constraint is enforced there, not refused here.
        exclude = super()._get_validation_exclusions()
        exclude.add("is_primary_contact")
        return exclude

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None:
            for field, message in occupancy_problems(
                resident=cleaned.get("resident"), unit=cleaned.get("unit")
            ).items():
                self.add_error(field if field in self.fields else None, message)
        return cleaned


class OccupancyAddFormSet(forms.BaseInlineFormSet):
    """Checks new occupancies against the parent (a resident or a unit, maybe not saved yet)."""

    def clean(self):
        super().clean()
        for form in self.forms:
            if not form.has_changed() or not getattr(form, "cleaned_data", None):
                continue
            if form.cleaned_data.get("DELETE"):
                continue
            if isinstance(self.instance, Resident):
                resident, unit = self.instance, form.cleaned_data.get("unit")
            else:
                resident, unit = form.cleaned_data.get("resident"), self.instance
            for field, message in occupancy_problems(resident=resident, unit=unit).items():
                form.add_error(field if field in form.fields else None, message)


def _start_occupancies(request, formset) -> None:
    # The admin's change message reads these lists, as after formset.save().
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
    for form in formset.forms:
        if not form.has_changed() or form.cleaned_data.get("DELETE"):
            continue
        data = form.cleaned_data
        parent = formset.instance
        resident = parent if isinstance(parent, Resident) else data["resident"]
        unit = parent if isinstance(parent, Unit) else data["unit"]
        formset.new_objects.append(
            services.occupancy_start(
                by=request.user,
                resident=resident,
                unit=unit,
                role=data["role"],
                start_date=data.get("start_date"),
                is_primary_contact=data.get("is_primary_contact", False),
            )
        )


class OccupancyHistoryInline(ReadOnlyInlineMixin, EstateScopedAdminMixin, admin.TabularInline):
    """Current and past occupancies, read-only here; changes go through the occupancy page."""

    model = Occupancy
    show_change_link = True
    verbose_name_plural = _("occupancies (current and past)")


class OccupancyAddInline(EstateScopedAdminMixin, admin.TabularInline):
    """Blank rows to start new occupancies; saved through ``occupancy_start``."""

    model = Occupancy
    form = OccupancyForm
    formset = OccupancyAddFormSet
    extra = 1
    can_delete = False
    verbose_name = _("new occupancy")
    verbose_name_plural = _("start new occupancies")

    def get_queryset(self, request):
        return super().get_queryset(request).none()

    def has_change_permission(self, request, obj=None):
        # The rows are all new; "change" here means "may add occupancies".
        return self.has_add_permission(request, obj)


class ResidentOccupancyHistoryInline(OccupancyHistoryInline):
    fk_name = "resident"
    fields = ["unit", "role", "start_date", "end_date", "is_primary_contact"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("unit__building")


class ResidentOccupancyAddInline(OccupancyAddInline):
    fk_name = "resident"
    fields = ["unit", "role", "start_date", "is_primary_contact"]
    autocomplete_fields = ["unit"]


class UnitOccupancyHistoryInline(OccupancyHistoryInline):
    fk_name = "unit"
    fields = ["resident", "role", "start_date", "end_date", "is_primary_contact"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("resident")


class UnitOccupancyAddInline(OccupancyAddInline):
    fk_name = "unit"
    fields = ["resident", "role", "start_date", "is_primary_contact"]
    autocomplete_fields = ["resident"]


class OccupancyInlinesMixin:
    def save_formset(self, request, form, formset, change):
        if isinstance(formset, OccupancyAddFormSet):
            _start_occupancies(request, formset)
        else:
            super().save_formset(request, form, formset, change)


class CurrentFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("current", _("current")), ("ended", _("ended"))]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "current":
            return queryset.filter(current_q(today))
        if self.value() == "ended":
            return queryset.filter(end_date__lte=today)
        return queryset


@admin.register(Occupancy)
class OccupancyAdmin(ExactPersonalSearchMixin, ServiceAdminMixin, ScopedModelAdmin):
    form = OccupancyForm
    list_display = ["resident", "unit", "role", "start_date", "end_date", "is_primary_contact", "is_current"]
    list_filter = [CurrentFilter, "role", "is_primary_contact", ("unit__building__estate", SCOPED_FILTER)]
    list_select_related = ["resident", "unit__building"]
    search_fields = ["resident__name", "unit__number", "unit__building__name"]
    personal_search_fields = {"phone": ["resident__phone"], "id_number": ["resident__id_number"]}
    search_help_text = _("Name, unit, building, or a full mobile number or ID number.")
    autocomplete_fields = ["resident", "unit"]
    date_hierarchy = "start_date"
    actions = ["end_occupancies"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["resident", "unit", "role", "start_date", "is_primary_contact"]
        return [
            "resident",
            "unit",
            "role",
            "start_date",
            "end_date",
            "is_primary_contact",
            "created_by",
            "updated_by",
            "ended_by",
        ]

    def get_readonly_fields(self, request, obj=None):
        # Ending is a move-out (the action below); unit and resident define the tie; who entered,
        # changed and ended it is recorded by the services.
        return (
            ["resident", "unit", "end_date", "created_by", "updated_by", "ended_by"]
            if obj is not None
            else []
        )

    @admin.display(description=_("current"), boolean=True)
    def is_current(self, obj):
        return obj.is_current()

    def service_save(self, request, form, change):
        data = form.cleaned_data
        if change:
            return services.occupancy_update(
                by=request.user,
                occupancy=form.instance,
                role=data["role"],
                start_date=data["start_date"],
                is_primary_contact=data["is_primary_contact"],
            )
        return services.occupancy_start(
            by=request.user,
            resident=data["resident"],
            unit=data["unit"],
            role=data["role"],
            start_date=data["start_date"],
            is_primary_contact=data["is_primary_contact"],
        )

    def has_delete_permission(self, request, obj=None):
        # Occupancies are history: they end, they are not deleted (superusers may fix mistakes).
        return request.user.is_superuser

    @admin.action(description=_("End the selected occupancies today (move out)"), permissions=["change"])
    def end_occupancies(self, request, queryset):
        ended = 0
        for occupancy in self.scope_for_action(request, queryset).filter(end_date__isnull=True):
            try:
                services.occupancy_end(occupancy=occupancy, by=request.user)
            except ValidationError as e:
                self.message_user(request, f"{occupancy}: {' '.join(e.messages)}", messages.WARNING)
                continue
            ended += 1
        self.message_user(
            request,
            ngettext("Ended %(count)d occupancy.", "Ended %(count)d occupancies.", ended) % {"count": ended},
            messages.SUCCESS,
        )
