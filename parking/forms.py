from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from community.residents.models import Resident


class VehicleForm(forms.Form):
    plate = forms.CharField(
        label=_("Plate"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"placeholder": "鄂C12345", "autocapitalize": "characters", "autocomplete": "off"}
        ),
    )
    owner = forms.ModelChoiceField(label=_("Registered to"), queryset=None, empty_label=None)

    def __init__(self, *args, residents, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = Resident.objects.filter(pk__in=[r.pk for r in residents])
        self.fields["owner"].label_from_instance = lambda r: f"{r.name} · {r.estate.name}"
        if len(residents) == 1:
            self.fields["owner"].widget = forms.HiddenInput()
            self.fields["owner"].initial = residents[0].pk
