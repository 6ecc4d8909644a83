"""The interface billing asks of a payment provider, and what the answers mean."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _

from community.errors import ServiceError

from ..models import Provider


@dataclass(frozen=True)
class ProviderState:
    """What the provider says about a payment: paid (with its transaction id and amount),
    closed, or neither yet (the payer has not paid)."""

    paid: bool
    closed: bool
    transaction_id: str = ""
    amount_fen: int = 0


@dataclass(frozen=True)
class RefundOutcome:
    """``state``: "succeeded", "processing" or "failed" (``detail`` says why)."""

    state: str
    refund_id: str = ""
    detail: str = ""


class Gateway:
    """A provider that is not connected: it refuses to start payments, knows nothing, and
    leaves refunds to staff."""

    def prepay(self, *, payment, channel: str, client: dict | None = None) -> dict:
        raise ServiceError(
            _("Online payment through %(provider)s is not connected yet; pay at the property office.")
            % {"provider": Provider(payment.provider).label},
            code="provider_not_connected",
        )

    def query(self, *, payment) -> ProviderState | None:
        return None

    def refund(self, *, refund) -> RefundOutcome | None:
        """Ask the provider to send the money back; None: not connected, staff refund by hand."""
        return None

    def statement(self, *, merchant, bill_date: dt.date) -> bytes:
        raise ServiceError(_("This provider has no statement to fetch."), code="no_statement")
