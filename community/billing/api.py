"""REST API for bills: a resident lists their households' bills and pays one.

``POST /api/v1/billing/bills/<id>/pay/`` answers the provider's parameters (for WeChat Native
``{"code_url": …}``, for JSAPI the ``wx.requestPayment`` fields) and the ``out_trade_no``.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from rest_framework import exceptions, mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from community.api.parsers import PARSER_CLASSES

from . import selectors, services
from .models import Bill, BillLine, Payment, Provider
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
