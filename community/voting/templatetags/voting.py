from django import template

from community.voting import rules

register = template.Library()


@register.filter
def pct(value) -> str:
    """An exact Fraction shown as a percentage rounded down (2/3 − ε shows 66.66%, never 66.67%)."""
    return rules.percent_down(value) if value is not None else ""


@register.filter
def mask_name(value: str) -> str:
    """The published roll shows names shortened (张**), as notice boards do."""
    value = str(value or "")
    return value[:1] + "*" * min(max(len(value) - 1, 1), 2) if value else ""
