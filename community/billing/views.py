"""Billing's HTTP surfaces, thin: provider notifications and the resident portal.

The notification views answer only after the service's transaction has committed (the
service returns after its ``atomic`` block), so an acknowledgement always means "stored".
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import selectors, services
from .models import Provider
from .receipts import payer_line, prepaid_lines, receipt_pdf
from .services.ledger import prepaid_balances

NOTIFY_ACTOR = "system:payment-notify"


def _answer(answer: services.NotifyAnswer) -> HttpResponse:
    return HttpResponse(answer.body, status=answer.status, content_type=answer.content_type)


@csrf_exempt
@require_POST
def wechatpay_notify(request, merchant: str):
    headers = dict(request.headers.items())
    return _answer(
        services.wechatpay_notification_receive(
            merchant_code=merchant, headers=headers, body=request.body, by=NOTIFY_ACTOR
        )
    )


@csrf_exempt
@require_POST
def alipay_notify(request, merchant: str):
    raw = request.body.decode("utf-8", errors="replace")
    params = {key: request.POST.get(key, "") for key in request.POST}
    return _answer(
        services.alipay_notification_receive(
            merchant_code=merchant, params=params, raw_body=raw, by=NOTIFY_ACTOR
        )
    )


@csrf_exempt
@require_POST
def meter_readings_push(request):
    """``POST /api/v1/billing/meter-readings/`` from a smart meter gateway with
    ``Authorization: Bearer <token>``; answered after the readings are committed."""
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    gateway = services.meter_gateway_for_token(token.strip()) if scheme.lower() == "bearer" else None
    if gateway is None:
        response = JsonResponse({"error": "Send 'Authorization: Bearer <meter gateway token>'."}, status=401)
        response["WWW-Authenticate"] = 'Bearer realm="meter"'
        return response
    answer = services.meter_push_receive(gateway=gateway, body=request.body)
    return JsonResponse(answer.body, status=answer.status)


# --- resident portal ----------------------------------------------------------------------------


@login_required
def index(request):
    bills = list(selectors.my_bills(request.user).order_by("-period_start", "-id")[:60])
    open_bills = [b for b in bills if b.is_open]
    units = {b.payer_unit for b in bills if b.payer_unit_id}
    unit_balances = prepaid_balances([unit.pk for unit in units])  # one query for all homes
    balances = [
        (unit, unit_balances.get(unit.pk, selectors.ZERO)) for unit in sorted(units, key=lambda u: u.pk)
    ]
    # The household accounts of any of the user's homes, each with its own balance (one query).
    accounts = list(selectors.my_accounts(request.user))
    return render(
        request,
        "portal/billing/index.html",
        {
            "open_bills": open_bills,
            "closed_bills": [b for b in bills if not b.is_open],
            "total_due": sum((b.amount_due for b in open_bills), selectors.ZERO),
            "balances": balances,
            "accounts": accounts,
            "receipts": selectors.my_receipts(request.user).order_by("-issued_at")[:20],
            "readings": selectors.my_meter_readings(request.user)[:24],
        },
    )


@login_required
def detail(request, pk: int):
    bill = selectors.bill_with_lines(selectors.my_bills(request.user), pk)
    if bill is None:
        raise Http404
    return render(
        request,
        "portal/billing/detail.html",
        {
            "bill": bill,
            "payments": bill.payments.filter(paid_at__isnull=False)
            .select_related("receipt")
            .order_by("paid_at"),
        },
    )


@login_required
@require_POST
def pay(request, pk: int):
    """The demo provider's "pay" button: start the payment, then let the server play WeChat Pay."""
    bill = get_object_or_404(selectors.my_bills(request.user), pk=pk)
    try:
        payment = services.payment_create(bills=[bill], provider=Provider.DEMO, channel="h5", by=request.user)
        payment = services.demo_payment_complete(payment=payment, by=request.user)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect("portal-billing:detail", pk=bill.pk)
    messages.success(request, _("Paid. Your receipt is ready."))
    return redirect("portal-billing:receipt", pk=payment.receipt.pk)


@login_required
def receipt(request, pk: int):
    receipt = get_object_or_404(selectors.my_receipts(request.user), pk=pk)
    allocations = receipt.payment.allocations.select_related("bill").order_by("id")
    fapiao = receipt.payment.fapiao_requests.order_by("-created_at").first()
    return render(
        request,
        "portal/billing/receipt.html",
        {
            "receipt": receipt,
            "allocations": allocations,
            "fapiao": fapiao,
            "payer": payer_line(receipt.payment),
            "prepaid": prepaid_lines(receipt.payment),
        },
    )


@login_required
@require_POST
def fapiao_request(request, pk: int):
    receipt = get_object_or_404(selectors.my_receipts(request.user), pk=pk)
    try:
        services.fapiao_request_create(
            payment=receipt.payment,
            title=request.POST.get("title", ""),
            tax_id=request.POST.get("tax_id", ""),
            email=request.POST.get("email", ""),
            by=request.user,
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, _("Your fapiao request is with the property office."))
    return redirect("portal-billing:receipt", pk=receipt.pk)


def _my_payer(user, payer: str):
    """``unit:<pk>`` or ``account:<pk>`` (a bare pk is a unit) among the user's own: their
    households' units, and the household accounts those belong to. Anything else: None."""
    from community.scoping import my_units

    kind, _sep, pk = payer.rpartition(":")
    if not pk.isdigit():
        return None, None
    if kind in ("", "unit"):
        return my_units(user).filter(pk=pk).first(), None
    if kind == "account":
        return None, selectors.my_accounts(user).filter(pk=pk).first()
    return None, None


@login_required
@require_POST
def top_up(request):
    """Money into a prepaid balance, a home's or a household account's, paid with the demo
    provider. Only the user's own homes and their accounts can be chosen."""
    from decimal import Decimal, InvalidOperation

    unit, account = _my_payer(request.user, request.POST.get("payer") or request.POST.get("unit") or "")
    try:
        amount = Decimal(request.POST.get("amount", ""))
    except InvalidOperation:
        amount = None
    if (unit is None and account is None) or amount is None:
        messages.error(request, _("Choose your home and an amount."))
        return redirect("portal-billing:index")
    try:
        payment = services.prepaid_top_up(
            unit=unit, account=account, amount=amount, provider=Provider.DEMO, channel="h5", by=request.user
        )
        payment = services.demo_payment_complete(payment=payment, by=request.user)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect("portal-billing:index")
    return redirect("portal-billing:receipt", pk=payment.receipt.pk)


@login_required
def receipt_download(request, pk: int):
    receipt = get_object_or_404(selectors.my_receipts(request.user), pk=pk)
    response = HttpResponse(receipt_pdf(receipt), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{receipt.display_number}.pdf"'
    return response


# --- staff reports ------------------------------------------------------------------------------


def _report_estate(request):
    """The estate whose reports the staff member asked for (``?estate=``), among those where a
    role lets them view bills; 403 when there is none."""
    from community.residents.models import Estate
    from community.scoping import staff_estate_ids_for_perm

    if not request.user.is_staff:
        raise PermissionDenied(_("These pages are for staff."))
    ids = staff_estate_ids_for_perm(request.user, "billing.view_bill")
    estates = Estate.objects.all() if ids is None else Estate.objects.filter(pk__in=ids)
    chosen = request.GET.get("estate")
    estate = estates.filter(pk=chosen).first() if chosen and chosen.isdigit() else None
    # An estate the user does not serve is never shown: they get their own first estate.
    estate = estate or estates.order_by("pk").first()
    if estate is None:
        raise PermissionDenied(_("You may not see the bills of any estate."))
    return estate, estates


@login_required
def staff_reports(request):
    from django.utils import timezone

    from . import reports

    estate, estates = _report_estate(request)
    as_of = timezone.localdate()
    by_building = reports.collection_by_month_and_building(estate, as_of=as_of)
    return render(
        request,
        "staff/billing/reports.html",
        {
            "estate": estate,
            "estates": estates,
            "as_of": as_of,
            "by_month": reports.collection_by_month(by_building),
            "by_building": by_building,
            "ageing": reports.arrears_ageing(estate, as_of=as_of),
            "revenue": reports.revenue_by_service_month(estate, year=as_of.year),
            "takings": reports.daily_takings(estate, start=as_of - dt.timedelta(days=13), end=as_of),
            "prepaid": reports.prepaid_held(estate),
        },
    )


@login_required
def staff_reports_export(request):
    from django.utils import timezone

    from . import reports

    estate, _estates = _report_estate(request)
    as_of = timezone.localdate()
    response = HttpResponse(
        reports.export_workbook(estate, as_of=as_of),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="billing-{estate.code}-{as_of}.xlsx"'
    return response
