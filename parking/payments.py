"""Where parking money meets ``community.billing``: the one module that calls it.

A session's fee and a permit's price are charges in billing (source ``parking.session`` /
``parking.permit``, ref = our pk), paid through billing's one payment model; billing tells us
with its ``bill_paid`` signal, inside the paying transaction, and ``session_pay`` records it.
Until billing is merged, charges are kept on the Session / Permit only (``bill_ref`` empty) and
``session_pay`` is called by staff (cash at the booth) or the demo payment page.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from community.errors import ServiceError

from . import decisions as d
from .models import Permit, Session
from .services._common import actor_label, note
from .transitions import Action, Role, Status, next_status

SESSION_SOURCE = "parking.session"
PERMIT_SOURCE = "parking.permit"


def billing_available() -> bool:
    try:
        from community.billing import services  # noqa: F401
    except ImportError:
        return False
    return True


def session_charge(*, session: Session, by) -> str:
    """Post (or update) the session's fee as a billing charge; returns the bill reference."""
    return session.bill_ref


def permit_charge(*, permit: Permit, by) -> str:
    return permit.bill_ref


def session_pay(
    *, session: Session, amount: Decimal, by, roles: frozenset[str] = frozenset({Role.PAYER})
) -> Session:
    """Record a payment of ``amount`` for the session: it may leave within the lot's grace."""
    actor = actor_label(by) if not isinstance(by, str) or by.startswith("system:") else by
    amount = Decimal(amount).quantize(Decimal("0.01"))
    if amount <= 0:
        raise ServiceError({"amount": [_("The amount must be more than zero.")]})
    with transaction.atomic():
        session = Session.objects.select_for_update().get(pk=session.pk)
        if session.status != Status.AWAITING_PAYMENT:
            next_status(session.status, Action.PAY, roles)  # raises the right refusal
        if amount < session.amount_owed:
            raise ServiceError(
                {
                    "amount": [
                        _("%(owed)s yuan is due; a part payment does not open the barrier.")
                        % {"owed": session.amount_owed}
                    ]
                }
            )
        session.status = next_status(session.status, Action.PAY, roles)
        session.paid_amount += amount
        session.paid_at = timezone.now()
        note(session, d.PAYMENT, actor, amount=amount)
        session.save()
    return session
