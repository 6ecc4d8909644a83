"""Admin for login accounts and resident invitations.

How User is scoped (it has no estate, so no ``estate_path``): see
``community.scoping.staff_scope_users``. A staff member sees the accounts tied to the estates
they serve (residents' linked accounts and those estates' staff); a manager also sees accounts
tied to no estate yet, so a new colleague's account can be given a role. Superusers see all.

Who may change what:

* Only superusers add or delete accounts, set passwords, or change staff and superuser
  accounts (and their groups, permissions and staff flags).
* A staff member with ``accounts.change_user`` (managers) may correct a resident's account
  (name, phone, email, active) within their estates; never its password.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from community.residents.models import mask_phone
from community.scoping import EstateScopedAdminMixin, ScopedModelAdmin

from .models import Invitation, User


class UserCreationForm(auth_forms.AdminUserCreationForm):
    class Meta(auth_forms.AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "phone", "email", "name")


class UserChangeForm(auth_forms.UserChangeForm):
    class Meta(auth_forms.UserChangeForm.Meta):
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(EstateScopedAdminMixin, DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    list_display = ["username", "name", "masked_phone", "email", "is_staff", "is_active", "last_login"]
    list_filter = ["is_staff", "is_active", "is_superuser", "groups"]
    search_fields = ["username", "name", "phone", "email"]
    ordering = ["username"]
    readonly_fields = ["last_login", "date_joined"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("name", "phone", "email")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    staff_fieldsets = (
        (None, {"fields": ("username",)}),
        (_("Personal info"), {"fields": ("name", "phone", "email")}),
        (_("Status"), {"fields": ("is_active", "is_staff")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "phone", "name", "email", "usable_password", "password1", "password2"),
            },
        ),
    )

    @admin.display(description=_("mobile phone"), ordering="phone")
    def masked_phone(self, obj):
        return mask_phone(str(obj.phone)) if obj.phone else ""

    def get_fieldsets(self, request, obj=None):
        if obj is not None and not request.user.is_superuser:
            return self.staff_fieldsets
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += ["username", "is_staff"]
        return readonly

    def get_list_filter(self, request):
        if request.user.is_superuser:
            return self.list_filter
        return ["is_staff", "is_active"]

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        if request.user.is_superuser:
            return True
        if not super().has_change_permission(request, obj):
            return False
        # Staff accounts carry roles and admin access: only a superuser changes them.
        return obj is None or not (obj.is_staff or obj.is_superuser)

    def user_change_password(self, request, id, form_url=""):
        # Setting someone's password lets you sign in as them: superusers only.
        if not request.user.is_superuser:
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)


@admin.register(Invitation)
class InvitationAdmin(ScopedModelAdmin):
    """Read-only: invitations are sent by the "Invite to the portal" action on residents."""

    list_display = [
        "resident",
        "masked_phone",
        "created_at",
        "expires_at",
        "used_at",
        "attempts",
        "created_by",
    ]
    list_filter = ["created_at", "used_at"]
    list_select_related = ["resident", "created_by"]
    search_fields = ["resident__name", "phone"]
    fields = [
        "resident",
        "masked_phone",
        "created_by",
        "created_at",
        "expires_at",
        "used_at",
        "attempts",
        "created_user",
    ]
    readonly_fields = fields

    @admin.display(description=_("mobile phone"))
    def masked_phone(self, obj):
        return mask_phone(str(obj.phone)) if obj.phone else ""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser
