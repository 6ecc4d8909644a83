"""API for the logged-in user: API tokens, "log out everywhere" and "me".

Token login accepts the same identifiers as the login page (phone, email or username) and the
same backends (allauth's), so a password works in both places. Accounts with two-factor
authentication must also send a current code, otherwise the API would be a way around MFA.
Only failed attempts are throttled (per account, however the login is typed, and per client
address). Each login issues a new token (a user may hold several); tokens expire after
``API_TOKEN_TTL_DAYS`` and are listed and revoked by their owner.
"""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from community.accounts import services as account_services
from community.accounts.models import ApiToken
from community.accounts.phones import to_e164
from community.accounts.selectors import lockout_key, my_api_tokens
from community.api.errors import InvalidInput
from community.api.schema import error_responses
from community.api.throttling import FailedLoginByClientThrottle, FailedLoginByNameThrottle
from community.api.views import ApiDefaults
from community.residents import selectors
from community.residents.api import EstateRefSerializer
from community.residents.models import OccupancyRole, StaffMembership

# --- Tokens --------------------------------------------------------------------------------------


class TokenObtainSerializer(serializers.Serializer):
    login = serializers.CharField(max_length=254, help_text="Mobile phone, email address or username.")
    password = serializers.CharField(
        max_length=128, trim_whitespace=False, write_only=True, style={"input_type": "password"}
    )
    code = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        write_only=True,
        help_text="Authenticator or recovery code; required when the account uses MFA.",
    )
    # No max_length: the token service refuses an over-long name with the model's limit and the
    # one message naming both lengths (community.errors.text_within).
    name = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="A label for the new token (e.g. the device).",
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`. Shown only once.")
    user_id = serializers.IntegerField()
    id = serializers.IntegerField(help_text="The token's id, to revoke it.")
    expires_at = serializers.DateTimeField()


class ApiTokenSerializer(serializers.ModelSerializer):
    current = serializers.SerializerMethodField(help_text="The token this request was made with.")

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "expires_at", "last_used_at", "current"]

    def get_current(self, token) -> bool:
        return getattr(self.context["request"].auth, "pk", None) == token.pk


def _credentials(login: str) -> tuple[str, list[dict]]:
    """The throttle key and the authenticate() keyword sets to try for what the user typed."""
    login = login.strip()
    if "@" in login:
        return lockout_key(login), [{"email": login}]
    number = to_e164(login)
    if number is not None:
        return lockout_key(login), [{"phone": number}, {"username": login}]
    return lockout_key(login), [{"username": login}]


def _mfa_code_ok(user, code: str) -> bool:
    from allauth.mfa.models import Authenticator

    authenticators = Authenticator.objects.filter(user=user).exclude(type=Authenticator.Type.WEBAUTHN)
    return any(a.wrap().validate_code(code) for a in authenticators)


class TokenView(ApiDefaults, APIView):
    """POST: trade a login and password for an API token. DELETE: revoke my token."""

    def get_authenticators(self):
        # Logging in needs no prior authentication; a stale token header must not block it.
        if getattr(self.request, "method", None) == "POST":
            return []
        return super().get_authenticators()

    def get_permissions(self):
        return [AllowAny()] if getattr(self.request, "method", None) == "POST" else [IsAuthenticated()]

    @extend_schema(
        summary="Obtain an API token",
        description="Log in with phone, email or username and password (plus `code` when the account "
        "uses MFA). Returns a new token, shown only this once; it expires after `expires_at`. Failed "
        "attempts are limited per account and per client; over the limit the answer is 429 with "
        "`Retry-After`.",
        request=TokenObtainSerializer,
        responses={200: TokenSerializer, **error_responses(400, 403, 415, 429)},
        auth=[],
    )
    def post(self, request):
        form = TokenObtainSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        key, attempts = _credentials(form.validated_data["login"])
        throttles = [FailedLoginByClientThrottle(), FailedLoginByNameThrottle(key)]
        for throttle in throttles:
            if not throttle.allow_request(request, self):
                self.throttled(request, throttle.wait())

        password = form.validated_data["password"]
        user = None
        for credentials in attempts:
            user = authenticate(request._request, password=password, **credentials)
            if user is not None:
                break
        if user is None:
            self._failed(request, throttles)
            raise InvalidInput(_("The login or the password is wrong."), code="invalid_credentials")

        from allauth.mfa.utils import is_mfa_enabled

        from community.accounts.middleware import staff_must_enrol_mfa

        if staff_must_enrol_mfa(user):
            raise PermissionDenied(
                _(
                    "Staff accounts must set up two-factor authentication (on the website) before using the API."
                ),
                code="mfa_enrolment_required",
            )
        if is_mfa_enabled(user):
            code = form.validated_data.get("code", "").strip()
            if not code:
                raise InvalidInput(
                    {"code": [_("This account uses two-factor authentication: send the current code.")]},
                    code="mfa_required",
                )
            if not _mfa_code_ok(user, code):
                self._failed(request, throttles)
                raise InvalidInput({"code": [_("The two-factor code is wrong.")]}, code="invalid_mfa_code")

        token, key = account_services.api_token_issue(
            user=user, by=user, name=form.validated_data.get("name", "")
        )
        return Response({"token": key, "user_id": user.pk, "id": token.pk, "expires_at": token.expires_at})

    def _failed(self, request, throttles) -> None:
        for throttle in throttles:
            throttle.record_failure(request, self)

    @extend_schema(
        summary="Revoke the API token of this request",
        request=None,
        description="With a token: revokes that token; the next request with it gets 401. From a "
        "browser session: revokes all of the user's tokens.",
        responses={204: None, **error_responses(401)},
    )
    def delete(self, request):
        if isinstance(request.auth, ApiToken):
            account_services.api_token_revoke(token=request.auth, by=request.user)
        else:
            account_services.api_tokens_revoke_all(
                user=request.user, reason=ApiToken.Revoked.BY_OWNER, by=request.user
            )
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenListView(ApiDefaults, APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="My API tokens that still work",
        description="Never the keys themselves: each token shows its prefix, label, dates and whether "
        "this request was made with it.",
        responses={200: ApiTokenSerializer(many=True), **error_responses(401)},
    )
    def get(self, request):
        tokens = my_api_tokens(request.user)
        return Response(ApiTokenSerializer(tokens, many=True, context={"request": request}).data)


class TokenDetailView(ApiDefaults, APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Revoke one of my API tokens",
        request=None,
        responses={204: None, **error_responses(401, 404)},
    )
    def delete(self, request, pk: int):
        token = my_api_tokens(request.user).filter(pk=pk).first()
        if token is None:
            from rest_framework.exceptions import NotFound

            raise NotFound(_("You have no working token with this id."))
        account_services.api_token_revoke(token=token, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutEverywhereView(ApiDefaults, APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Log out everywhere",
        request=None,
        description="Ends every browser session, API token (this one included) and websocket of the account.",
        responses={204: None, **error_responses(401)},
    )
    def post(self, request):
        account_services.user_logout_everywhere(user=request.user, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Me ------------------------------------------------------------------------------------------


class StaffRoleSerializer(serializers.ModelSerializer):
    estate = EstateRefSerializer()
    role_display = serializers.CharField(source="get_role_display")

    class Meta:
        model = StaffMembership
        fields = ["estate", "role", "role_display"]


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()
    phone = serializers.CharField(allow_null=True)
    email = serializers.EmailField(allow_null=True)
    language = serializers.CharField(help_text="The language this API answers in (zh-hans or en).")
    is_staff = serializers.BooleanField()
    roles = StaffRoleSerializer(many=True, help_text="Staff roles, one per estate and role.")
    households = inline_serializer(
        "MyHouseholdSummary",
        many=True,
        fields={
            "unit": serializers.IntegerField(),
            "label": serializers.CharField(),
            "estate": EstateRefSerializer(),
            "role": serializers.ChoiceField(choices=OccupancyRole.choices, allow_null=True),
            "members": serializers.IntegerField(help_text="Number of current household members."),
        },
    )


class MeView(ApiDefaults, APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="My user, staff roles and households", responses={200: MeSerializer, **error_responses(401)}
    )
    def get(self, request):
        user = request.user
        memberships = (
            StaffMembership.objects.filter(user=user)
            .select_related("estate")
            .order_by("estate__name", "role")
        )
        households = [
            {
                "unit": unit.pk,
                "label": unit.label,
                "estate": unit.building.estate,
                "role": next((o.role for o in unit.current_members if o.resident.user_id == user.pk), None),
                "members": len(unit.current_members),
            }
            for unit in selectors.my_units_with_members(user)
        ]
        data = {
            "id": user.pk,
            "username": user.get_username(),
            "name": user.get_full_name(),
            "phone": str(user.phone) if user.phone else None,
            "email": user.email or None,
            "language": get_language(),
            "is_staff": user.is_staff,
            "roles": memberships,
            "households": households,
        }
        return Response(MeSerializer(data).data)
