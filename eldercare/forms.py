"""Forms of the portal and worker pages (parse input; the services decide)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import AlarmOutcome, FailOutcome, MealSlot


class BookForm(forms.Form):
    elder = forms.TypedChoiceField(label=_("For"), coerce=int)
    item = forms.TypedChoiceField(label=_("Service"), coerce=int)
    day = forms.DateField(label=pgettext_lazy("date", "Day"), widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(
        label=_("Time"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
        help_text=_("Not for meals."),
    )
    meal_slot = forms.ChoiceField(label=_("Meal"), choices=[("", "—"), *MealSlot.choices], required=False)
    note = forms.CharField(label=pgettext_lazy("remark", "Note"), max_length=300, required=False)
    repeat_weekdays = forms.TypedMultipleChoiceField(
        label=_("Repeat every"),
        coerce=int,
        required=False,
        choices=list(enumerate([_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")])),
        widget=forms.CheckboxSelectMultiple,
    )
    repeat_until = forms.DateField(
        label=_("Repeat until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, elders, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["elder"].choices = [(e.pk, e.resident.name) for e in elders]
        self.fields["item"].choices = [(i.pk, f"{i.name} · ¥{i.price}/{i.get_unit_display()}") for i in items]

    def clean(self):
        data = super().clean()
        if data.get("day") and data.get("time"):
            data["scheduled_at"] = dt.datetime.combine(data["day"], data["time"])
        if data.get("repeat_weekdays") and not data.get("repeat_until"):
            self.add_error("repeat_until", _("Say until when to repeat."))
        return data


class RateForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("Stars"), coerce=int, choices=[(n, "★" * n) for n in range(5, 0, -1)]
    )
    comment = forms.CharField(label=pgettext_lazy("rating", "Comment"), max_length=300, required=False)


class CheckForm(forms.Form):
    latitude = forms.FloatField(required=False, widget=forms.HiddenInput)
    longitude = forms.FloatField(required=False, widget=forms.HiddenInput)
    accuracy = forms.FloatField(required=False, widget=forms.HiddenInput)
    door_code = forms.RegexField(
        regex=r"^\d{6}$",
        required=False,
        label=_("Door code"),
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    idempotency_key = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)


class FailForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Why"), choices=FailOutcome.choices)
    note = forms.CharField(label=pgettext_lazy("remark", "Note"), max_length=300, required=False)


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=AlarmOutcome.choices)
    note = forms.CharField(label=pgettext_lazy("remark", "Note"), max_length=300, required=False)
