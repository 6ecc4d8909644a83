"""Account pages of our own: the invitation (a resident proves the SMS code, then sets a
password), changing one's phone or email (a code to the new one), "log out everywhere".

Thin: the rules live in ``community.accounts.services``.
"""

from __future__ import annotations

from allauth.account.utils import perform_login
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from community.accounts import services
from community.accounts.adapter import INVITATION_SESSION_KEY
from community.accounts.forms import (
    IdentifierChangeForm,
    IdentifierCodeForm,
    InvitationCodeForm,
    InvitationPasswordForm,
)
from community.accounts.models import IdentifierChange, Invitation
from community.admin_services import add_service_error
from community.api.throttling import FailedInvitationCodeThrottle


def invite(request):
    """Step 1: phone + code from the SMS."""
    form = InvitationCodeForm(request.POST or None)
    throttle = FailedInvitationCodeThrottle()
    if request.method == "POST" and not throttle.allow_request(request, None):
        form.is_valid()
        form.add_error(
            None,
            ValidationError(
                _(
                    "Too many wrong codes from this network. Try again in an hour or ask your property office."
                ),
                code="throttled",
            ),
        )
        return render(request, "account/invite.html", {"form": form}, status=429)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.invitation_verify(
                phone=form.cleaned_data["phone"], code=form.cleaned_data["code"]
            )
        except ValidationError as error:
            throttle.record_failure(request, None)
            form.add_error(None, error)
        else:
            if services.account_for_phone(invitation.phone) is not None:
                # Known phone: link the record to the existing account instead of a second one.
                services.invitation_accept(invitation=invitation, password=None)
                messages.success(
                    request,
                    _(
                        "This phone number already has an account: your new home is "
                        "linked to it. Log in with your existing password."
                    ),
                )
                return redirect("account_login")
            request.session[INVITATION_SESSION_KEY] = invitation.pk
            return redirect("account_invite_password")
    status = 400 if form.errors else 200
    return render(request, "account/invite.html", {"form": form}, status=status)


@sensitive_post_parameters("password1", "password2")
def invite_password(request):
    """Step 2: choose a password; the account is created and logged in."""
    invitation = (
        Invitation.objects.pending()
        .select_related("resident__estate")
        .filter(pk=request.session.get(INVITATION_SESSION_KEY))
        .first()
    )
    if invitation is None:
        request.session.pop(INVITATION_SESSION_KEY, None)
        messages.error(request, _("Enter the code from your invitation SMS first."))
        return redirect("account_invite")
    form = InvitationPasswordForm(
        request.POST or None, phone=str(invitation.phone), name=invitation.resident.name
    )
    if request.method == "POST" and form.is_valid():
        try:
            user, _created = services.invitation_accept(
                invitation=invitation, password=form.cleaned_data["password1"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            request.session.pop(INVITATION_SESSION_KEY, None)
            messages.success(request, _("Welcome! Your account is ready."))
            return perform_login(request, user, redirect_url=reverse("portal:home"))
    status = 400 if form.errors else 200
    return render(
        request, "account/invite_password.html", {"form": form, "invitation": invitation}, status=status
    )


@sensitive_post_parameters("password")
@login_required
def identifiers(request):
    """Step 1 of changing my phone or email: the new value; a code goes there."""
    form = IdentifierChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            change = services.identifier_change_request(
                user=request.user, by=request.user, **form.cleaned_data
            )
        except (ValidationError, PermissionDenied) as error:
            add_service_error(form, error)
        else:
            return redirect("account_identifier_confirm", pk=change.pk)
    status = 400 if form.errors else 200
    return render(request, "account/identifiers.html", {"form": form}, status=status)


@login_required
def identifier_confirm(request, pk: int):
    """Step 2: the code from the new phone or mailbox."""
    change = get_object_or_404(IdentifierChange, pk=pk, user=request.user, done_at__isnull=True)
    form = IdentifierCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.identifier_change_confirm(change=change, code=form.cleaned_data["code"], by=request.user)
        except (ValidationError, PermissionDenied) as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Changed. Your old number or address was told about it."))
            return redirect("portal:me")
    status = 400 if form.errors else 200
    return render(request, "account/identifier_confirm.html", {"form": form, "change": change}, status=status)


@login_required
@require_POST
def logout_everywhere(request):
    """End every session, API token and websocket of my account, this browser's too."""
    services.user_logout_everywhere(user=request.user, by=request.user)
    logout(request)
    messages.success(request, _("You were logged out on every device. Log in again here."))
    return redirect("account_login")
