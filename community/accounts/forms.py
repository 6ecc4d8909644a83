"""Forms of the invitation pages (the rest of the account pages are allauth's)."""

from __future__ import annotations

from allauth.account.forms import RequestLoginCodeForm
from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from community.accounts.models import LoginIdentifier
from community.accounts.phones import parse_phone


class InvitationCodeForm(forms.Form):
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=32,
        widget=forms.TextInput(
            attrs={
                "type": "tel",
                "autocomplete": "tel",
                "inputmode": "tel",
                "placeholder": _("e.g. 138 0000 0000"),
            }
        ),
    )
    code = forms.CharField(
        label=_("Invitation code"),
        max_length=12,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "placeholder": _("6 digits from the SMS"),
            }
        ),
    )

    def clean_phone(self) -> str:
        number = parse_phone(self.cleaned_data["phone"])
        if number is None:
            raise ValidationError(_("Enter a valid mobile phone number."), code="invalid_phone")
        return number.as_e164


class InvitationPasswordForm(forms.Form):
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Password (again)"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, phone: str, name: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.phone = phone
        self.name = name

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", ValidationError(_("The two passwords differ."), code="mismatch"))
        elif password1:
            # Validate against the account-to-be, so "similar to your phone number" is caught.
            probe = get_user_model()(phone=self.phone, name=self.name, username=self.phone.lstrip("+"))
            try:
                validate_password(password1, probe)
            except ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class IdentifierChangeForm(forms.Form):
    """The account holder's own change of phone or email (their password again, then a code
    goes to the new one)."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    field = forms.ChoiceField(label=_("Change my"), choices=LoginIdentifier.choices)
    new_value = forms.CharField(
        label=_("New mobile number or email address"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class IdentifierCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "placeholder": _("6 digits")}
        ),
    )


class ResidentLoginCodeForm(RequestLoginCodeForm):
    """Sign in with a one-time code by SMS (or email): the way back in for a resident who
    forgot the password (then 修改密码). allauth 65 resets passwords by email only, and most
    residents have just a phone number.

    Not for staff: allauth treats a code login as passwordless and skips the authenticator
    step, so for a staff account an SMS code would replace password + TOTP with one factor.
    Staff sign in with both, as StaffMFARequiredMiddleware expects; a forgotten staff password
    is reset by a manager or the email link. A staff number is answered exactly like a number
    without an account (no code is sent), so the form does not reveal who is staff.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields(["phone", "email"])  # residents sign in by phone; email is the fallback
        if "phone" in self.fields:
            self.fields["phone"].widget.attrs.update(
                {"placeholder": _("e.g. 138 0000 0000"), "inputmode": "tel", "autocomplete": "tel"}
            )

    def clean(self):
        cleaned_data = super().clean()
        user = getattr(self, "_user", None)
        if user is not None and (user.is_staff or user.is_superuser):
            # No code for staff, and the same answer as for a number without an account: a
            # different message would tell anyone which numbers belong to staff (issue #15).
            self._user = None
        return cleaned_data
