"""REST API for bills: a resident lists their households' bills and pays one, and sees and
tops up the prepaid balances they may use.

``POST /api/v1/billing/bills/<id>/pay/`` answers the provider's parameters (for WeChat Native
``{"code_url": …}``, for JSAPI the ``wx.requestPayment`` fields) and the ``out_trade_no``.
``GET /api/v1/billing/prepaid/`` lists the balances of the user's homes and of the household
accounts they are in; ``POST /api/v1/billing/prepaid/top-up/`` with ``{"unit": id}`` or
``{"account": id}``, ``amount``, ``provider`` (and ``channel``) starts a top-up like a payment.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from community.api.parsers import PARSER_CLASSES

from . import selectors, services
from .models import Bill, BillLine, Payment, Provider
from .selectors import ZERO
from .services.ledger import prepaid_balances
from .services.payments import WECHAT_CHANNELS


class BillLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = BillLine
        fields = ["kind", "description", "quantity", "unit_price", "amount", "reason"]


class BillSerializer(serializers.ModelSerializer):
    amount_due = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)

    class Meta:
        model = Bill
        fields = [
            "id",
            "number",
            "item_type",
            "description",
            "period_start",
            "period_end",
            "status",
            "total",
            "amount_paid",
            "amount_due",
            "due_date",
            "payer_unit",
        ]


class BillDetailSerializer(BillSerializer):
    lines = BillLineSerializer(many=True, read_only=True)

    class Meta(BillSerializer.Meta):
        fields = [*BillSerializer.Meta.fields, "lines"]


class PaySerializer(serializers.Serializer):
    provider = serializers.ChoiceField(choices=[Provider.WECHATPAY, Provider.ALIPAY, Provider.DEMO])
    channel = serializers.ChoiceField(
        choices=[("", "—"), *[(c, c) for c in WECHAT_CHANNELS]], required=False, default=""
    )
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, required=False, min_value=0)


class PaymentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Payment
        fields = ["id", "out_trade_no", "provider", "channel", "amount", "status", "provider_params"]


class BillViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    parser_classes = PARSER_CLASSES

    def handle_exception(self, exc):
        if isinstance(exc, DjangoPermissionDenied) and str(exc):
            exc = exceptions.PermissionDenied(str(exc))
        return super().handle_exception(exc)

    def get_queryset(self):
        qs = selectors.my_bills(self.request.user).order_by("-period_start", "-id")
        if self.action == "retrieve":
            qs = qs.prefetch_related("lines")
        return qs

    def get_serializer_class(self):
        return BillDetailSerializer if self.action == "retrieve" else BillSerializer

    @action(detail=True, methods=["post"])
    def pay(self, request, pk=None):
        bill = self.get_object()
        params = PaySerializer(data=request.data)
        params.is_valid(raise_exception=True)
        payment = services.payment_create(
            bills=[bill],
            by=request.user,
            provider=params.validated_data["provider"],
            channel=params.validated_data.get("channel", ""),
            amount=params.validated_data.get("amount"),
        )
        return Response(PaymentSerializer(payment).data, status=201)


def _fen(value) -> str:
    """Yuan with two places, as the bills' amounts are written ("0.00", never "0")."""
    return str(Decimal(value or ZERO).quantize(ZERO))


class TopUpSerializer(PaySerializer):
    unit = serializers.IntegerField(required=False)
    account = serializers.IntegerField(required=False)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"))

    def validate(self, attrs):
        if ("unit" in attrs) == ("account" in attrs):
            raise serializers.ValidationError(_("Name one unit or one household account to top up."))
        return attrs


class PrepaidViewSet(viewsets.ViewSet):
    """The prepaid balances (预存款) a resident may see and top up: their homes' own, and
    their household accounts' (缴费户). Others' are never listed and cannot be topped up."""

    parser_classes = PARSER_CLASSES

    def handle_exception(self, exc):
        if isinstance(exc, DjangoPermissionDenied) and str(exc):
            exc = exceptions.PermissionDenied(str(exc))
        return super().handle_exception(exc)

    @extend_schema(
        responses=inline_serializer(
            "PrepaidBalances",
            {
                "units": inline_serializer(
                    "UnitBalance",
                    {
                        "unit": serializers.IntegerField(),
                        "label": serializers.CharField(),
                        "balance": serializers.CharField(),
                    },
                    many=True,
                ),
                "accounts": inline_serializer(
                    "AccountBalance",
                    {
                        "account": serializers.IntegerField(),
                        "name": serializers.CharField(),
                        "balance": serializers.CharField(),
                    },
                    many=True,
                ),
            },
        )
    )
    def list(self, request):
        from community.scoping import my_units

        units = list(my_units(request.user).select_related("building").order_by("pk"))
        unit_balances = prepaid_balances([u.pk for u in units])
        return Response(
            {
                "units": [
                    {"unit": u.pk, "label": u.label, "balance": _fen(unit_balances.get(u.pk))} for u in units
                ],
                "accounts": [
                    {"account": a.pk, "name": a.name, "balance": _fen(a.prepaid_balance)}
                    for a in selectors.my_accounts(request.user)
                ],
            }
        )

    @extend_schema(request=TopUpSerializer, responses={201: PaymentSerializer})
    @action(detail=False, methods=["post"], url_path="top-up")
    def top_up(self, request):
        from community.scoping import my_units

        params = TopUpSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        unit = account = None
        if "unit" in data:
            unit = my_units(request.user).filter(pk=data["unit"]).first()
            if unit is None:
                raise exceptions.NotFound(_("No such home of yours."))
        else:
            account = selectors.my_accounts(request.user).filter(pk=data["account"]).first()
            if account is None:
                raise exceptions.NotFound(_("No such household account of yours."))
        payment = services.prepaid_top_up(
            unit=unit,
            account=account,
            amount=data["amount"],
            provider=data["provider"],
            channel=data.get("channel", ""),
            by=request.user,
        )
        return Response(PaymentSerializer(payment).data, status=201)
