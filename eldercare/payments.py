"""The self-pay part of a completed order becomes a bill in ``community.billing``.

One small module so the billing dependency (built in parallel, issue "billing") sits in one
place: ``charge_post`` is idempotent on (source, source_ref), so posting twice bills once.
Until billing is merged the charge is not posted and ``self_pay_bill`` answers None; the
order keeps its self-pay amount either way, so nothing is lost.
"""

from __future__ import annotations

import logging

from django.db import transaction

logger = logging.getLogger(__name__)

SOURCE = "eldercare.order"


def _billing():
    try:
        from community.billing import selectors, services
    except ImportError:  # billing not merged into this tree yet
        return None, None
    return services, selectors


def self_pay_charge(*, order, by):
    services, _selectors = _billing()
    if services is None:
        logger.info("billing not installed: self-pay of %s not posted", order.number)
        return None
    unit = order.elder.resident.occupancies.active().values_list("unit", flat=True).first()
    return services.charge_post(
        estate=order.estate,
        payer_unit_id=unit,
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
    _services, selectors = _billing()
    if selectors is None:
        return None
    return selectors.bill_for_source(source=SOURCE, source_ref=str(order.pk))
