"""The self-pay part of a completed order becomes a bill in ``community.billing``.

One small module holds the billing dependency: ``charge_post`` is idempotent on (source,
source_ref), so posting twice bills once; billing's ``bill_paid`` signal (sent inside the
payment's transaction) marks the order's self-pay paid, in ``receivers`` (the services import
this module, so the handler that calls a service lives above both). The bill is posted after
the order's completion commits, so a rolled-back completion never leaves a bill behind.
"""

from __future__ import annotations

from django.db import transaction

from community.billing.selectors import bill_for_source
from community.billing.services import charge_post

SOURCE = "eldercare.order"


def _payer_unit(order):
    occupancy = order.elder.resident.occupancies.active().select_related("unit").first()
    return occupancy.unit if occupancy else None


def self_pay_charge(*, order, by):
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
    return bill_for_source(source=SOURCE, source_ref=str(order.pk))
