"""The open API for the city: read-only, one token per external system, the same categories,
fields and masks as the pushes (a system reads exactly what it would be sent)."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import authentication, exceptions, permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from community.api.errors import ErrorSerializer

from . import selectors, services
from .models import Category, ExternalSystem


class ExternalSystemAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer <token>`` of an enabled external system."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        scheme, _sep, token = header.partition(" ")
        if scheme != self.keyword or not token.strip():
            return None
        system = services.system_for_token(token.strip())
        if system is None:
            raise exceptions.AuthenticationFailed(_("Unknown or disabled system token."))
        return AnonymousUser(), system

    def authenticate_header(self, request):
        return self.keyword


class ExternalSystemAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "exchange.api.ExternalSystemAuthentication"
    name = "externalSystemToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "An external system's open-API token."}


class IsExternalSystem(permissions.BasePermission):
    def has_permission(self, request, view):
        return isinstance(request.auth, ExternalSystem)


class RecordSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Sequence number; pass the last one as `after` to continue.")
    occurred_at = serializers.DateTimeField()
    data = serializers.DictField(help_text="The granted fields, masked as granted.")


class FeedSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=Category.choices)
    records = RecordSerializer(many=True)
    next_after = serializers.IntegerField()


class FeedQuery(serializers.Serializer):
    category = serializers.ChoiceField(choices=Category.choices)
    after = serializers.IntegerField(min_value=0, max_value=2**62, default=0)
    limit = serializers.IntegerField(
        min_value=1, max_value=selectors.OPEN_API_PAGE, default=selectors.OPEN_API_PAGE
    )


class OpenRecordsView(APIView):
    authentication_classes = [ExternalSystemAuthentication]
    permission_classes = [IsExternalSystem]

    @extend_schema(
        operation_id="open_records",
        summary="Records of one granted category after a sequence number (the city's feed)",
        parameters=[
            OpenApiParameter("category", str, enum=Category.values, required=True),
            OpenApiParameter("after", int, description="Last sequence number already read (0 at first)."),
            OpenApiParameter("limit", int, description=f"At most {selectors.OPEN_API_PAGE}."),
        ],
        responses={200: FeedSerializer, 400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer},
        tags=["open"],
    )
    def get(self, request):
        query = FeedQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        system: ExternalSystem = request.auth
        category, after = query.validated_data["category"], query.validated_data["after"]
        grant, records = selectors.open_feed(
            system=system, category=category, after=after, limit=query.validated_data["limit"]
        )
        if grant is None:
            raise exceptions.PermissionDenied(_("This system has no grant for that category."))
        body = {
            "category": category,
            "records": [
                {"id": r.pk, "occurred_at": r.occurred_at, "data": services.payload_for(grant, r)}
                for r in records
            ],
            "next_after": records[-1].pk if records else after,
        }
        return Response(FeedSerializer(body).data)
