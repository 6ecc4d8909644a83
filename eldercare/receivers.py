"""Signals from other apps that change eldercare state, connected in ``EldercareConfig.ready``.

Here, above both the services and ``payments``, because the services import ``payments`` (to
post the self-pay bill) and a handler that calls a service from there would close a cycle.
"""

from __future__ import annotations

from community.billing.signals import bill_paid

from .payments import SOURCE
from .services.subsidies import order_self_pay_paid


def on_bill_paid(sender, *, bill, source: str, source_ref: str, **kwargs) -> None:
    """Billing says a bill is paid (inside the payment's transaction): ours marks the order."""
    if source != SOURCE:
        return
    order_self_pay_paid(order_id=int(source_ref), by="system:billing")


def connect() -> None:
    bill_paid.connect(on_bill_paid, dispatch_uid="eldercare.receivers.on_bill_paid")
