"""Template helpers shared by the portal, worker and staff layouts."""

from __future__ import annotations

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

register = template.Library()

_ESTATE_CACHE = "_portal_estate_names"


@register.simple_tag(takes_context=True)
def estate_name(context) -> str:
    """The header title: the estate(s) of my households, or of my staff memberships.

    A view may pass ``estate_name`` itself (the home page does, from rows it already has);
    otherwise one query, cached on the request.
    """
    if context.get("estate_name"):
        return context["estate_name"]
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return _("Smart Community")
    if not hasattr(request, _ESTATE_CACHE):
        from community.residents.models import Estate
        from community.scoping import my_estate_ids

        names = list(Estate.objects.filter(pk__in=my_estate_ids(user)).values_list("name", flat=True)[:3])
        if not names:
            names = list(
                Estate.objects.filter(staff_memberships__user=user)
                .distinct()
                .values_list("name", flat=True)[:3]
            )
        setattr(request, _ESTATE_CACHE, names)
    names = getattr(request, _ESTATE_CACHE)
    return " · ".join(names) if names else _("Smart Community")


@register.simple_tag
def url_or_empty(name: str, *args) -> str:
    """``{% url %}`` that yields "" when the route is not installed (yet)."""
    try:
        return reverse(name, args=args or None)
    except NoReverseMatch:
        return ""


@register.filter
def initial(value) -> str:
    text = str(value or "").strip()
    return text[:1].upper() if text else "?"


@register.simple_tag(takes_context=True)
def unread_notifications(context) -> int:
    """Unread inbox count for the header bell (one COUNT query per page)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    from community.notifications.selectors import unread_count

    return unread_count(user)
