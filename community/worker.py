"""The /worker/ shell: each app registers its section of the workers' phone pages.

As with demo seeders (community/demo.py), the core never imports the apps: an app calls
``register_section`` in its AppConfig.ready() with the section's title, URL name, icon, the
staff roles that see it and a badge callable (``badge(user) -> int``, e.g. open jobs).
``/worker/`` lists the sections the user's roles can see; with exactly one, it shows that
section's page directly (a technician lands on their queue as before).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import resolve, reverse
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class WorkerSection:
    key: str
    title: str
    url_name: str
    icon: str
    roles: frozenset[str]
    badge: Callable | None = field(default=None, compare=False)
    order: int = 100


_SECTIONS: dict[str, WorkerSection] = {}


def register_section(
    *,
    key: str,
    title,
    url_name: str,
    icon: str,
    roles,
    badge: Callable | None = None,
    order: int = 100,
) -> None:
    _SECTIONS[key] = WorkerSection(key, title, url_name, icon, frozenset(roles), badge, order)


def registered_sections() -> list[WorkerSection]:
    return sorted(_SECTIONS.values(), key=lambda s: (s.order, s.key))


def sections_for(user) -> list[WorkerSection]:
    """The sections the user's staff roles (in any estate) can see; superusers see all."""
    if user.is_superuser:
        return registered_sections()
    from community.residents.models import StaffMembership

    roles = set(StaffMembership.objects.filter(user=user).values_list("role", flat=True))
    return [s for s in registered_sections() if s.roles & roles]


@login_required
def worker_home(request):
    if not request.user.is_staff:
        raise PermissionDenied(_("These pages are for staff."))
    sections = sections_for(request.user)
    if len(sections) == 1:
        # One section: its page is the home page (no extra tap on a phone).
        url = reverse(sections[0].url_name)
        match = resolve(url)
        request.resolver_match = match
        return match.func(request, *match.args, **match.kwargs)
    cards = [(s, s.badge(request.user) if s.badge else None, reverse(s.url_name)) for s in sections]
    return render(request, "worker/home.html", {"cards": cards})
