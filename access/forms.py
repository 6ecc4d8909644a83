from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import VisitorPass
from .services import MAX_PASS_ENTRIES


def _max_length(name: str) -> int:
    return VisitorPass._meta.get_field(name).max_length


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class VisitorPassForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("My home"), queryset=None, empty_label=None)
    visitor_name = forms.CharField(label=_("Visitor name"), max_length=_max_length("visitor_name"))
    visitor_phone = forms.CharField(
        label=_("Visitor phone"),
        max_length=_max_length("visitor_phone"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    valid_from = forms.DateTimeField(
        label=_("Valid from"), widget=DateTimeLocalInput(), input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
    )
    valid_until = forms.DateTimeField(
        label=_("Valid until"),
        widget=DateTimeLocalInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    max_entries = forms.IntegerField(label=_("Entries"), min_value=1, max_value=MAX_PASS_ENTRIES, initial=1)
    plate = forms.CharField(
        label=_("Car plate (optional)"),
        max_length=_max_length("plate"),
        required=False,
        help_text=_("For the car park barrier, e.g. 鄂C12345."),
    )

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        if len(units) == 1:
            self.fields["unit"].widget = forms.HiddenInput()
            self.fields["unit"].initial = units[0].pk
        now = timezone.localtime().replace(second=0, microsecond=0)
        self.fields["valid_from"].initial = now
        self.fields["valid_until"].initial = now + dt.timedelta(hours=4)
