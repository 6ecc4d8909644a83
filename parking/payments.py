"""Where parking money meets ``community.billing``: the one module that calls it.

A session's fee and a permit's price are charges in billing (``charge_post``, source
``parking.session`` / ``parking.permit``, ref = our pk), paid through billing's one payment
model (WeChat Pay, or the demo provider in embedded mode). Billing announces a paid bill with
``bill_paid`` *inside the paying transaction*; ``on_bill_paid`` records it here and must never
raise, or the provider's notification would be rolled back and resent forever.

A stay may owe more after a payment (its grace to leave ran out): the next charge is a new bill
(ref ``<pk>.2``, ``<pk>.3`` …); a fee that grows while its bill is still open is an adjustment
line on that bill. Arrears of property fees are never looked at here or anywhere in parking.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from community.billing import selectors as billing_selectors
from community.billing import services as billing_services
from community.billing.models import Merchant, Provider
from community.errors import ServiceError
from community.residents.models import Occupancy

from . import decisions as d
from .common import actor_label, note
from .fees import fee_due
from .models import Permit, Session
from .transitions import Action, Role, Status, next_status

logger = logging.getLogger(__name__)

SESSION_SOURCE = "parking.session"
PERMIT_SOURCE = "parking.permit"
ZERO = Decimal("0.00")


def _billing():
    return billing_services, billing_selectors


def _next_ref(session: Session) -> str:
    if not session.bill_ref:
        return str(session.pk)
    base, _, n = session.bill_ref.partition(".")
    return f"{base}.{int(n or 1) + 1}"


def session_charge(*, session: Session, by) -> str:
    """Make billing owe what the stay owes now; returns the open bill's reference."""
    owed = session.amount_owed
    if owed <= ZERO:
        return session.bill_ref
    services, selectors = _billing()
    bill = (
        selectors.bill_for_source(source=SESSION_SOURCE, source_ref=session.bill_ref)
        if session.bill_ref
        else None
    )
    if bill is not None and bill.is_open:
        if bill.amount_due < owed:
            services.bill_adjust(bill=bill, amount=owed - bill.amount_due, reason=_("Longer stay"), by=by)
        return session.bill_ref
    ref = _next_ref(session) if bill is not None else (session.bill_ref or str(session.pk))
    services.charge_post(
        estate=session.lot.estate,
        payer_unit=None,
        item_type="parking",
        amount=owed,
        description=_("Parking %(plate)s, %(lot)s") % {"plate": session.plate, "lot": session.lot.name},
        source=SESSION_SOURCE,
        source_ref=ref,
        by=by,
    )
    Session.objects.filter(pk=session.pk).update(bill_ref=ref)
    session.bill_ref = ref
    return ref


def permit_charge(*, permit: Permit, by) -> str:
    """The permit's price as a bill to the owner's household (when the car has an owner with a home)."""
    if permit.price <= ZERO:
        return ""
    services, _selectors = _billing()
    unit = None
    owner = permit.vehicle.owner
    if owner is not None:
        occupancy = (
            Occupancy.objects.active()
            .filter(resident=owner, unit__building__estate_id=permit.lot.estate_id)
            .first()
        )
        unit = occupancy.unit if occupancy else None
    services.charge_post(
        estate=permit.lot.estate,
        payer_unit=unit,
        item_type="parking",
        amount=permit.price,
        description=_("Parking permit %(plate)s, %(lot)s, %(kind)s")
        % {"plate": permit.vehicle.plate, "lot": permit.lot.name, "kind": permit.get_kind_display()},
        source=PERMIT_SOURCE,
        source_ref=str(permit.pk),
        by=by,
    )
    Permit.objects.filter(pk=permit.pk).update(bill_ref=str(permit.pk))
    permit.bill_ref = str(permit.pk)
    return permit.bill_ref


def session_payment_start(*, session: Session, by, channel: str = "native"):
    """Start paying a stay (at the exit, or ahead from inside the lot): the fee up to now is
    charged and a billing Payment is created; returns it (``provider_params["code_url"]``)."""
    services, selectors = _billing()
    with transaction.atomic():
        session = (
            Session.objects.select_for_update(of=("self",))
            .select_related("lot__estate", "fee_rule")
            .get(pk=session.pk)
        )
        if session.status not in (Status.OPEN, Status.AWAITING_PAYMENT, Status.PAID):
            raise ServiceError(_("This stay is over: nothing to pay here."), code="not_live")
        if session.kind == "temporary" and session.entered_at:
            session.fee = max(session.fee, fee_due(session.fee_rule, session.entered_at, timezone.now()))
        if session.amount_owed <= ZERO:
            raise ServiceError(_("Nothing to pay: drive to the exit."), code="nothing_due")
        session.status = next_status(session.status, Action.BILL, {Role.PAYER})
        note(session, d.FEE_DUE, actor_label(by), amount=session.amount_owed)
        session.save()
        session_charge(session=session, by=by)
        bill = selectors.bill_for_source(source=SESSION_SOURCE, source_ref=session.bill_ref)
    # Outside the transaction: asking the provider for a code_url must hold no lock.
    return services.payment_create(
        bills=[bill], provider=_provider(session.estate_id), channel=channel, by=by
    )


def _provider(estate_id: int) -> str:
    live = Merchant.objects.filter(provider=Provider.WECHATPAY, estate_id=estate_id).exists()
    return Provider.WECHATPAY if live else Provider.DEMO


def on_bill_paid(sender=None, *, bill, source: str, source_ref: str, **kwargs) -> None:
    """billing's ``bill_paid``: a stay's or a permit's bill is paid (inside the paying transaction)."""
    if source == PERMIT_SOURCE:
        Permit.objects.filter(pk=int(source_ref) if source_ref.isdigit() else 0).update(
            paid_amount=bill.amount_paid
        )
        return
    if source != SESSION_SOURCE:
        return
    pk = source_ref.partition(".")[0]
    session = Session.objects.select_for_update().filter(pk=int(pk) if pk.isdigit() else 0).first()
    if session is None:
        logger.error("bill %s paid for an unknown parking session %r", bill.pk, source_ref)
        return
    _payment_received(session, bill.amount_paid, f"system:billing.bill.{bill.pk}")


def _payment_received(session: Session, amount: Decimal, actor: str) -> Session:
    """Record money for a stay whatever its state: a payment is never refused after the fact."""
    session.paid_amount += amount
    session.paid_at = timezone.now()
    if session.status == Status.AWAITING_PAYMENT and session.amount_owed <= ZERO:
        session.status = next_status(session.status, Action.PAY, {Role.SYSTEM})
    note(session, d.PAYMENT, actor, amount=amount)
    session.save()
    return session


def session_pay(*, session: Session, amount: Decimal, by) -> Session:
    """Money taken at the booth (cash, a card terminal): recorded in billing as an offline
    payment of the stay's bill, which pays the stay through ``on_bill_paid``."""
    amount = Decimal(amount).quantize(Decimal("0.01"))
    if amount <= 0:
        raise ServiceError({"amount": [_("The amount must be more than zero.")]})
    services, selectors = _billing()
    with transaction.atomic():
        session = (
            Session.objects.select_for_update(of=("self",)).select_related("lot__estate").get(pk=session.pk)
        )
        if session.status != Status.AWAITING_PAYMENT:
            next_status(session.status, Action.PAY, {Role.PAYER})  # raises the right refusal
        if amount < session.amount_owed:
            raise ServiceError(
                {
                    "amount": [
                        _("%(owed)s yuan is due; a part payment does not open the barrier.")
                        % {"owed": session.amount_owed}
                    ]
                }
            )
        session_charge(session=session, by=by)
        bill = selectors.bill_for_source(source=SESSION_SOURCE, source_ref=session.bill_ref)
        services.payment_create(
            bills=[bill], provider="offline", channel="cash", amount=bill.amount_due, by=by
        )
    session.refresh_from_db()
    return session
