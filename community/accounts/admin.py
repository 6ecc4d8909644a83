"""Admin for login accounts and resident invitations.

How User is scoped (it has no estate, so no ``estate_path``): see
``community.scoping.staff_scope_users``. A staff member sees the accounts tied to the estates
they serve (residents' linked accounts and those estates' staff); a manager also sees accounts
tied to no estate yet, so a new colleague's account can be given a role. Superusers see all.

Who may change what:

* Only superusers add or delete accounts, set passwords, or change staff and superuser
  accounts (and their groups, permissions and staff flags).
* A staff member with ``accounts.change_user`` (managers) may correct a resident's account
  (name, active) within their estates; never its password.
* Nobody types a new phone, email or username into an account form: whoever holds the phone
  holds the account (SMS-code login). The "change login details" page records an identity
  check made in person, ends every session and token of the account and tells the old number
  (``community.accounts.services.identifiers``); a manager may use it only for residents whose
  every home is in an estate they manage.
* Searching by phone or email matches whole values only and is audited.

Saves go through ``community.accounts.services`` (``account_create``, ``account_update``,
``account_password_set``), which decide the rules above again and record who changed what.
"""

from __future__ import annotations

import copy

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from community.admin_services import ReadOnlyAdminMixin, ServiceAdminMixin, add_service_error
from community.personal_search import ExactPersonalSearchMixin
from community.residents.models import mask_phone
from community.scoping import EstateScopedAdminMixin, ScopedModelAdmin

from . import services
from .models import (
    AccountChange,
    ApiToken,
    IdentifierChange,
    Invitation,
    LoginIdentifier,
    PersonalDataSearch,
    User,
)

# Login identifiers: shown, never edited in the account form (see the module docstring).
IDENTIFIER_FIELDS = ["username", "phone", "email"]


class UserCreationForm(auth_forms.AdminUserCreationForm):
    class Meta(auth_forms.AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "phone", "email", "name")


class UserChangeForm(auth_forms.UserChangeForm):
    class Meta(auth_forms.UserChangeForm.Meta):
        model = User
        fields = "__all__"


class PasswordSetForm(auth_forms.AdminPasswordChangeForm):
    """The admin's password page, saved by ``account_password_set`` (recorded, tokens end)."""

    by: User

    def save(self, commit=True):
        password = (
            self.cleaned_data["password1"] if self.cleaned_data.get("set_usable_password", True) else None
        )
        self.user = services.account_password_set(user=self.user, password=password, by=self.by)
        return self.user


class StaffIdentifierChangeForm(forms.Form):
    field = forms.ChoiceField(label=_("Change"), choices=LoginIdentifier.choices)
    new_value = forms.CharField(label=_("New value"), max_length=254)
    method = forms.ChoiceField(
        label=_("Identity checked by"),
        choices=[
            (m.value, m.label)
            for m in (IdentifierChange.Method.ID_DOCUMENT, IdentifierChange.Method.PROPERTY_DEED)
        ],
    )
    evidence = forms.CharField(
        label=_("What was checked"),
        max_length=200,
        help_text=_("E.g. the last 4 digits of the ID card shown, and who was present."),
    )


@admin.register(User)
class UserAdmin(ServiceAdminMixin, ExactPersonalSearchMixin, EstateScopedAdminMixin, DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    list_display = ["username", "name", "masked_phone", "email", "is_staff", "is_active", "last_login"]
    list_filter = ["is_staff", "is_active", "is_superuser", "groups"]
    search_fields = ["name"]
    personal_search_fields = {"phone": ["phone"], "email": ["email"]}
    exact_search_fields = ["username"]
    search_help_text = _("Name, full username, or a full mobile number or email address.")
    ordering = ["username"]
    readonly_fields = ["last_login", "date_joined", "login_details"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("name", "phone", "email", "login_details")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    staff_fieldsets = (
        (None, {"fields": ("username",)}),
        (_("Personal info"), {"fields": ("name", "phone", "email", "login_details")}),
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

    def service_save(self, request, form, change):
        data = form.cleaned_data
        if not change:
            return services.account_create(
                username=data["username"],
                phone=str(data["phone"]) if data.get("phone") else None,
                email=data.get("email"),
                name=data.get("name", ""),
                password=data.get("password1") if data.get("set_usable_password", True) else None,
                by=request.user,
            )
        # Only what the form let this user edit and what they changed (read-only and disabled
        # fields are not in changed_data); the password has its own page.
        changes = {
            name: data[name]
            for name in form.changed_data
            if name in data and name != "password" and not form.fields[name].disabled
        }
        return services.account_update(user=form.instance, changes=changes, by=request.user)

    def user_change_password(self, request, id, form_url=""):
        # Setting someone's password lets you sign in as them: superusers only.
        if not request.user.is_superuser:
            raise PermissionDenied
        # Django's view builds ``self.change_password_form(user, data)``: a per-request copy of
        # this admin hands the form its ``by`` so the save goes through the service.
        per_request = copy.copy(self)
        per_request.change_password_form = type("PasswordSetForm", (PasswordSetForm,), {"by": request.user})
        return DjangoUserAdmin.user_change_password(per_request, request, id, form_url)

    def get_fieldsets(self, request, obj=None):
        if obj is not None and not request.user.is_superuser:
            return self.staff_fieldsets
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            readonly += IDENTIFIER_FIELDS
        if not request.user.is_superuser:
            readonly += ["is_staff"]
        return readonly

    @admin.display(description=_("login details"))
    def login_details(self, obj):
        if obj is None or obj.pk is None:
            return ""
        url = reverse("admin:accounts_user_change_identifier", args=[obj.pk])
        return format_html(
            '<a href="{}">{}</a>', url, gettext("Change phone or email after an identity check…")
        )

    def get_urls(self):
        return [
            path(
                "<path:object_id>/identifier/",
                self.admin_site.admin_view(self.change_identifier_view),
                name="accounts_user_change_identifier",
            ),
            *super().get_urls(),
        ]

    def change_identifier_view(self, request, object_id):
        """The recorded identity-verification step (the only way staff change a phone or email)."""
        account = self.get_object(request, object_id)
        if account is None:
            raise Http404
        if not services.staff_may_change_identifiers(request.user, account):
            raise PermissionDenied
        form = StaffIdentifierChangeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.identifier_change_by_staff(user=account, by=request.user, **form.cleaned_data)
            except (ValidationError, PermissionDenied) as exc:
                add_service_error(form, exc)
            else:
                self.message_user(
                    request,
                    gettext("Changed. The account was logged out everywhere and the old value was told."),
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:accounts_user_change", args=[account.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": account,
            "title": gettext("Change login details of %(account)s") % {"account": account},
            "form": form,
        }
        return TemplateResponse(
            request, "admin/accounts/user/change_identifier.html", context, status=400 if form.errors else 200
        )

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


@admin.register(Invitation)
class InvitationAdmin(ExactPersonalSearchMixin, ScopedModelAdmin):
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
    search_fields = ["resident__name"]
    personal_search_fields = {"phone": ["phone"]}
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


class SuperuserAuditAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Audit records of the whole platform: superusers (and auditors given one) only."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser


@admin.register(IdentifierChange)
class IdentifierChangeAdmin(SuperuserAuditAdmin):
    list_display = ["created_at", "user", "field", "method", "created_by", "done_at"]
    list_filter = ["field", "method"]
    list_select_related = ["user", "created_by"]
    exclude = ["code_hash"]


@admin.register(AccountChange)
class AccountChangeAdmin(SuperuserAuditAdmin):
    list_display = ["created_at", "user", "action", "by"]
    list_filter = ["action"]
    list_select_related = ["user", "by"]


@admin.register(PersonalDataSearch)
class PersonalDataSearchAdmin(SuperuserAuditAdmin):
    list_display = ["created_at", "user", "surface", "field", "term_masked", "matches"]
    list_filter = ["field", "surface"]
    list_select_related = ["user"]


@admin.register(ApiToken)
class ApiTokenAdmin(SuperuserAuditAdmin):
    list_display = [
        "prefix",
        "user",
        "name",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
        "revoked_reason",
    ]
    list_filter = ["revoked_reason"]
    list_select_related = ["user"]
    exclude = ["key_hash"]
