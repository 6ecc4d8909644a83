"""The exit payment page a driver reaches by scanning the QR code printed at an exit lane
(no login: the signed lane token is the key). It shows the stay that was just refused at that
lane (or finds one by plate, to pay ahead from inside the lot) and pays it through billing —
WeChat Pay, or the demo provider in embedded mode. Then the barrier opens on the next read."""

from __future__ import annotations

import datetime as dt

from django.core import signing
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from community.billing.models import Provider
from community.billing.services import demo_payment_complete

from . import decisions as d
from .models import LANE_PAY_SALT, Lane, PlateEvent, Session
from .payments import session_payment_start
from .plates import normalise_plate
from .transitions import LIVE_STATUSES

RECENT_REFUSAL = dt.timedelta(minutes=15)
PAYER = "system:parking.exit_qr"


def _lane(token: str) -> Lane:
    try:
        value = signing.Signer(salt=LANE_PAY_SALT).unsign(token)
    except signing.BadSignature:
        raise Http404 from None
    lane = Lane.objects.select_related("lot").filter(pk=int(value.removeprefix("lane."))).first()
    if lane is None:
        raise Http404
    return lane


def _session_at(lane: Lane, plate: str = "") -> Session | None:
    live = Session.objects.filter(lot_id=lane.lot_id, status__in=LIVE_STATUSES)
    if plate:
        return live.filter(plate=normalise_plate(plate)).first()
    refused = (
        PlateEvent.objects.filter(
            device_id=lane.device_id,
            reason__in=[d.FEE_DUE, d.GRACE_OVER],
            received_at__gte=timezone.now() - RECENT_REFUSAL,
        )
        .order_by("-received_at")
        .values_list("session_id", flat=True)
        .first()
    )
    return live.filter(pk=refused).first() if refused else None


def lane_pay(request, token: str):
    lane = _lane(token)
    plate = request.GET.get("plate", "")
    session = _session_at(lane, plate)
    return render(
        request,
        "portal/parking/pay.html",
        {"lane": lane, "session": session, "plate": plate, "token": token, "now": timezone.now()},
    )


@require_POST
def lane_pay_start(request, token: str, session_id: int):
    lane = _lane(token)
    session = Session.objects.filter(pk=session_id, lot_id=lane.lot_id, status__in=LIVE_STATUSES).first()
    if session is None:
        raise Http404
    try:
        payment = session_payment_start(session=session, by=PAYER, channel="h5")
    except ValidationError as exc:
        return render(
            request,
            "portal/parking/pay.html",
            {"lane": lane, "session": session, "token": token, "error": " ".join(exc.messages)},
        )
    if payment.provider == Provider.DEMO:
        # Embedded mode: the demo provider plays WeChat Pay's notification, then we are paid.
        demo_payment_complete(payment=payment, by=PAYER)
        return redirect(f"{request.path.rsplit('/', 3)[0]}/?paid={session.pk}")
    link = payment.provider_params.get("h5_url") or payment.provider_params.get("code_url")
    if not link:
        raise Http404(_("The payment provider gave no link."))
    return redirect(link)
