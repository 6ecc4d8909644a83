"""The frozen roll (read-only), its typed corrections, identity decisions and scrutineers."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from community.admin_services import ReadOnlyAdminMixin, ReadOnlyInlineMixin
from community.residents.models import Resident
from community.scoping import staff_scope

from .. import services
from ..models import (
    IdentityDecision,
    RollCorrection,
    RollEntry,
    RollUnit,
    Scrutineer,
)
from .common import AddOnlyServiceAdmin, MeetingFilter, MeetingFromQueryMixin, VotingAdmin


class RollUnitInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = RollUnit
    fields = ["label", "usage", "area", "area_source", "not_exclusive_part"]


@admin.register(RollEntry)
class RollEntryAdmin(ReadOnlyAdminMixin, VotingAdmin):
    list_display = ["name", "meeting", "area", "is_developer", "excluded"]
    list_filter = [MeetingFilter, "excluded", "is_developer"]
    list_select_related = ["meeting"]
    search_fields = ["name", "voter_key"]
    fields = ["meeting", "name", "voter_key", "area", "is_developer", "excluded", "members"]
    inlines = [RollUnitInline]


def _by_id(model, label, help_text):
    """A choice typed as an id (the lists are long); the queryset is scoped in the admin's get_form."""
    return forms.ModelChoiceField(
        queryset=model.objects.none(),
        required=False,
        label=label,
        widget=forms.NumberInput,
        help_text=help_text,
    )


class RollCorrectionForm(forms.ModelForm):
    roll_unit = _by_id(
        RollUnit, _("unit"), _("Roll unit id (area corrections and units that are not exclusive parts).")
    )
    area = forms.DecimalField(required=False, min_value=0, decimal_places=2, label=_("corrected area (m²)"))
    resident = _by_id(Resident, _("resident"), _("Resident id, for adding or removing an owner."))
    other_entry = _by_id(RollEntry, _("other entry"), _("Roll entry id of the same owner set, for a merge."))

    class Meta:
        model = RollCorrection
        fields = ["roll_entry", "kind", "reason", "document", "roll_unit", "area", "resident", "other_entry"]


@admin.register(RollCorrection)
class RollCorrectionAdmin(AddOnlyServiceAdmin):
    form = RollCorrectionForm
    add_fields = RollCorrectionForm.Meta.fields
    detail_fields = ["meeting", "roll_entry", "kind", "reason", "document", "before", "after", "by", "at"]
    list_display = ["meeting", "roll_entry", "kind", "reason", "by", "at"]
    list_select_related = ["meeting", "roll_entry", "by"]
    list_filter = ["kind"]
    raw_id_fields = ["roll_entry"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["fields"] = self.add_fields
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:
            form.base_fields["roll_unit"].queryset = staff_scope(RollUnit.objects.all(), request.user)
            form.base_fields["resident"].queryset = staff_scope(Resident.objects.all(), request.user)
            form.base_fields["other_entry"].queryset = staff_scope(RollEntry.objects.all(), request.user)
        return form

    def service_save(self, request, form, change):
        data = form.cleaned_data
        return services.roll_correct(
            roll_entry=data["roll_entry"],
            kind=data["kind"],
            reason=data["reason"],
            document=data.get("document"),
            by=request.user,
            roll_unit=data.get("roll_unit"),
            area=data.get("area"),
            resident=data.get("resident"),
            other_entry=data.get("other_entry"),
        )


@admin.register(IdentityDecision)
class IdentityDecisionAdmin(MeetingFromQueryMixin, AddOnlyServiceAdmin):
    add_fields = ["meeting", "key", "same_person", "reason"]
    detail_fields = ["meeting", "key", "residents", "same_person", "reason", "by", "at"]
    list_display = ["meeting", "key", "same_person", "by", "at"]
    list_select_related = ["meeting", "by"]

    def get_changeform_initial_data(self, request):
        return {**super().get_changeform_initial_data(request), "key": request.GET.get("key")}

    def service_save(self, request, form, change):
        data = form.cleaned_data
        return services.identity_decide(
            meeting=data["meeting"],
            key=data["key"],
            same_person=data["same_person"],
            reason=data["reason"],
            by=request.user,
        )


@admin.register(Scrutineer)
class ScrutineerAdmin(MeetingFromQueryMixin, AddOnlyServiceAdmin):
    add_fields = ["meeting", "resident"]
    detail_fields = ["meeting", "resident", "appointed_by", "appointed_at"]
    list_display = ["resident", "meeting", "appointed_at"]
    list_select_related = ["resident", "meeting"]
    raw_id_fields = ["resident"]

    def service_save(self, request, form, change):
        data = form.cleaned_data
        return services.scrutineer_appoint(
            meeting=data["meeting"], resident=data["resident"], by=request.user
        )
