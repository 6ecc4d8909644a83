"""API permissions: staff roles (Django model permissions) applied per estate.

A staff member's permissions come from the groups of their roles, which are global in Django;
but a person can be manager in one estate and technician in another. So reads are scoped to
the estates they serve (``community.scoping.staff_scope``), and a write to an object is
allowed only in an estate where one of their roles grants that permission.
"""

from __future__ import annotations

from rest_framework.permissions import DjangoModelPermissions

from community.scoping import (
    estate_id_of,
    roles_with_permission,
    staff_can_access_estate,
    staff_estate_ids,
    staff_estate_ids_for_perm,
)

# Kept under their API names for callers; one implementation, in community.scoping.
estate_ids_with_permission = staff_estate_ids_for_perm
__all__ = ["StaffModelPermissions", "estate_id_of", "estate_ids_with_permission", "roles_with_permission"]


class StaffModelPermissions(DjangoModelPermissions):
    """Staff of some estate (or a superuser) holding the model permission for the method.

    Unlike DRF's default, reading needs the ``view`` permission too, so a role without it
    (a technician and residents) gets 403. Writing to an object also needs a role granting the
    permission *in that object's estate*.
    """

    perms_map = {
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "POST": ["%(app_label)s.add_%(model_name)s"],
        "PUT": ["%(app_label)s.change_%(model_name)s"],
        "PATCH": ["%(app_label)s.change_%(model_name)s"],
        "DELETE": ["%(app_label)s.delete_%(model_name)s"],
    }

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if not user.is_superuser and not staff_estate_ids(user):
            return False
        return super().has_permission(request, view)

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True  # the queryset is already scoped to the user's estates
        perms = self.get_required_permissions(request.method, type(obj))
        estate_id = estate_id_of(obj)
        return all(
            staff_can_access_estate(request.user, estate_id, roles=roles_with_permission(p)) for p in perms
        )
