"""Staff must enrol MFA before they reach staff data when ``STAFF_MFA_REQUIRED`` is on.

Staff data is every staff surface: the admin, the staff pages under /staff/ (live feeds,
dashboards), the worker pages under /worker/, ticket photos (``STAFF_MFA_VIEW_NAMES``: served
under /portal/ but opened by staff from tickets), the API, and the websocket endpoint (the
consumer checks ``staff_must_enrol_mfa`` itself): a gate on the admin alone would leave the
same estate data one URL away. A staff member
without an authenticator app who opens an admin or staff page is sent to allauth's TOTP
enrolment; an API call from their session gets a JSON 403 saying so (the token endpoint
refuses them too, see ``community.accounts.api``); the page they wanted is kept in the session and they are sent back to it once
enrolled (from the MFA overview, or by the "continue" button on the recovery-codes page that
follows enrolment). Non-staff are not affected here: the admin itself refuses them.
"""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

NEXT_SESSION_KEY = "staff_mfa_next"
# Page surfaces staff reach; a staff member without MFA is sent to enrol from any of them.
STAFF_PAGE_PREFIXES = ("/staff/", "/worker/")
API_PREFIX = "/api/v1/"
# Views outside those prefixes that show staff data (resolved URL names).
STAFF_MFA_VIEW_NAMES = frozenset({"portal-tickets:photo"})


def _is_staff_page(request) -> bool:
    if request.path.startswith(STAFF_PAGE_PREFIXES):
        return True
    from django.urls import Resolver404, resolve

    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    return match.view_name in STAFF_MFA_VIEW_NAMES


def _has_totp(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def staff_must_enrol_mfa(user) -> bool:
    """Whether the setting holds this user back until they enrol an authenticator app."""
    return bool(
        getattr(settings, "STAFF_MFA_REQUIRED", False)
        and user.is_authenticated
        and user.is_staff
        and not _has_totp(user)
    )


class StaffMFARequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if getattr(settings, "STAFF_MFA_REQUIRED", False):
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated and (user.is_staff or user.is_superuser):
                response = self._gate(request, user)
                if response is not None:
                    return response
        return self.get_response(request)

    def _gate(self, request, user):
        admin_prefix = reverse("admin:index")
        if request.path.startswith(API_PREFIX):
            if not _has_totp(user):
                from django.utils.translation import gettext as _

                from community.api.errors import error_body

                return JsonResponse(
                    error_body(
                        code="mfa_enrolment_required",
                        message=_(
                            "Staff accounts must set up two-factor authentication before using the API."
                        ),
                    ),
                    status=403,
                )
            return None
        if (
            request.path.startswith(admin_prefix) and request.path != reverse("admin:logout")
        ) or _is_staff_page(request):
            if not _has_totp(user):
                request.session[NEXT_SESSION_KEY] = request.get_full_path()
                return redirect("mfa_activate_totp")
            return None
        # Enrolment finished: allauth lands on the MFA overview; send them on to the admin.
        if request.path == reverse("mfa_index") and NEXT_SESSION_KEY in request.session and _has_totp(user):
            target = request.session.pop(NEXT_SESSION_KEY)
            if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
                return redirect(target)
        return None
