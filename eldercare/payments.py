"""The self-pay part of a completed order becomes a bill in ``community.billing``.

One small module holds the billing dependency: ``charge_post`` is idempotent on (source,
source_ref), so posting twice bills once; billing's ``bill_paid`` signal (sent inside the
payment's transaction) marks the order's self-pay paid. The bill is posted after the order's
completion commits, so a rolled-back completion never leaves a bill behind.
"""

from __future__ import annotations

import logging

from django.db import transaction

logger = logging.getLogger(__name__)

SOURCE = "eldercare.order"


def _payer_unit(order):
    occupancy = order.elder.resident.occupancies.active().select_related("unit").first()
    return occupancy.unit if occupancy else None


def self_pay_charge(*, order, by):
    from community.billing.services import charge_post

    return charge_post(
        estate=order.estate,
        payer_unit=_payer_unit(order),
        item_type="eldercare",
        amount=order.self_pay_amount,
        description=f"{order.item.name} {order.number}",
        source=SOURCE,
        source_ref=str(order.pk),
        by=by,
    )


def self_pay_charge_on_commit(*, order, by) -> None:
    transaction.on_commit(lambda: self_pay_charge(order=order, by=by))


def self_pay_bill(order):
    from community.billing.selectors import bill_for_source

    return bill_for_source(source=SOURCE, source_ref=str(order.pk))


def on_bill_paid(sender, *, bill, source: str, source_ref: str, **kwargs) -> None:
    if source != SOURCE:
        return
    from .services.subsidies import order_self_pay_paid

    order_self_pay_paid(order_id=int(source_ref), by="system:billing")


def connect() -> None:
    from community.billing.signals import bill_paid

    bill_paid.connect(on_bill_paid, dispatch_uid="eldercare.payments.on_bill_paid")
