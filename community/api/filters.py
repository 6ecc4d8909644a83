"""Filters shared by the API's FilterSets.

django-filter's ``NumberFilter`` cleans with a DecimalField, so ``?estate=1e30`` or a
30-digit id reaches the database as a number no integer column can hold: SQLite raises
OverflowError (a 500). ``IdFilter`` takes whole numbers within a bigint and answers anything
else with a 400 naming the parameter.
"""

from __future__ import annotations

from django import forms
from django_filters import rest_framework as filters

BIGINT_MAX = 2**63 - 1


class IdFilter(filters.NumberFilter):
    """A primary-key filter: a positive whole number that fits a bigint."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", BIGINT_MAX)
        super().__init__(*args, **kwargs)


class SmallIntFilter(filters.NumberFilter):
    """A whole-number filter on a small integer column (floors): out of range is a 400."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", -(2**15))
        kwargs.setdefault("max_value", 2**15 - 1)
        super().__init__(*args, **kwargs)
