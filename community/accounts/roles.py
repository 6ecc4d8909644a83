"""Staff roles and what each may do in the admin.

A role is a Django group of the same name. Each app declares the permissions its models give
each role in ``AppConfig.role_permissions`` (``{role: ["app_label.codename", ...]}``), so
apps added later extend the roles without this module importing them.
"""

from __future__ import annotations

from django.apps import apps as global_apps
from django.db import models
from django.utils.translation import gettext_lazy as _


class StaffRole(models.TextChoices):
    MANAGER = "manager", _("Property manager")
    FRONT_DESK = "front_desk", _("Front desk")
    TECHNICIAN = "technician", _("Technician")
    SECURITY = "security", _("Security")
    ELDERCARE_COORDINATOR = "eldercare_coordinator", _("Eldercare coordinator")
    ELDERCARE_WORKER = "eldercare_worker", _("Eldercare worker")
    # The residents' committee (社区居委会): its staff hold a membership in each estate it serves.
    COMMUNITY_OFFICE = "community_office", _("Community office")


def group_name(role: str) -> str:
    return f"role:{role}"


def declared_permissions(app_registry=global_apps) -> dict[str, set[str]]:
    result: dict[str, set[str]] = {role: set() for role in StaffRole.values}
    for config in app_registry.get_app_configs():
        for role, perms in getattr(config, "role_permissions", {}).items():
            result.setdefault(role, set()).update(perms)
    return result


def sync_role_groups(sender=None, **kwargs) -> None:
    """Create one group per role and give it exactly the declared permissions (idempotent)."""
    from django.contrib.auth.models import Group, Permission

    for role, perms in declared_permissions().items():
        group, _created = Group.objects.get_or_create(name=group_name(role))
        wanted = []
        for perm in perms:
            app_label, codename = perm.split(".", 1)
            wanted.extend(Permission.objects.filter(content_type__app_label=app_label, codename=codename))
        group.permissions.set(wanted)
