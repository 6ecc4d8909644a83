"""Build the POST data an admin change form would send, from the page the browser got."""

from __future__ import annotations


def _value(bound) -> object:
    value = bound.value()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else ""
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return value


def form_data(response) -> dict:
    """The admin form and all inline formsets of a change/add page, as the browser posts them."""
    data: dict = {}
    form = response.context["adminform"].form
    for name in form.fields:
        value = _value(form[name])
        if value != "":
            data[form.add_prefix(name)] = value
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
        for sub in formset.forms:
            for name in sub.fields:
                value = _value(sub[name])
                if value != "":
                    data[sub.add_prefix(name)] = value
    return {k: v for k, v in data.items() if v != ""}


def inline_prefix(response, *, editable: bool) -> str:
    """Prefix of the first inline formset that can (or cannot) take new rows."""
    for inline in response.context["inline_admin_formsets"]:
        if inline.has_add_permission == editable:
            return inline.formset.prefix
    raise AssertionError("no such inline")
