"""Reconciliation with the providers: ask about payments that got no notification, and
compare a provider's daily statement (对账单) with the ledger.

A statement is kept raw as it came. The comparison reports, per merchant and day (the
provider's day, Beijing time): paid at the provider but not here, paid here but not at the
provider, amounts that differ, and the same three for refunds. A payment notified just after
midnight is paid here on the next day while the provider lists it the day before: when that
day's statement is in, it is no mismatch; import the days in order.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from community.errors import ServiceError

from ..models import (
    Merchant,
    MismatchKind,
    Payment,
    Provider,
    Refund,
    RefundState,
    Statement,
    StatementMismatch,
)
from ..providers import alipay_api, wechatpay_api
from ..transitions import SETTLED_STATUSES, PaymentAction, PaymentStatus, next_status
from . import gateways
from ._common import ZERO, actor_label
from .payments import settle

PROVIDER_DAY = zoneinfo.ZoneInfo("Asia/Shanghai")


def payments_reconcile(*, older_than: dt.timedelta = dt.timedelta(minutes=10), by) -> int:
    """Ask the provider about pending payments that got no notification; settle what was paid."""
    actor = actor_label(by)
    settled = 0
    cutoff = timezone.now() - older_than
    for payment in Payment.objects.filter(status=PaymentStatus.PENDING, created_at__lt=cutoff).exclude(
        provider=Provider.OFFLINE
    ):
        state = gateways.for_provider(payment.provider).query(payment=payment)
        if state is None:
            continue
        with transaction.atomic():
            locked = Payment.objects.select_for_update().get(pk=payment.pk)
            if locked.status != PaymentStatus.PENDING:
                continue
            if state.paid and state.amount_fen == locked.amount_fen:
                settle(locked, transaction_id=state.transaction_id, by=actor)
                settled += 1
            elif state.closed:
                locked.status = next_status(locked.status, PaymentAction.CLOSE)
                locked.save(update_fields=["status"])
    return settled


def _parse(merchant, content: bytes):
    if merchant.provider == Provider.ALIPAY:
        return alipay_api.parse_statement(content)
    return wechatpay_api.parse_trade_bill(content)


def statement_import(*, merchant, bill_date: dt.date, content: bytes, by) -> Statement:
    """Keep a provider's statement for ``bill_date`` and record how it differs from the ledger."""
    actor = actor_label(by)
    if merchant.provider == Provider.OFFLINE:
        raise ServiceError(_("Offline payments have no provider statement."), code="no_statement")
    try:
        rows = _parse(merchant, content)
    except (ValueError, IndexError) as exc:
        raise ServiceError(
            {"file": [_("The statement cannot be read: %(error)s") % {"error": str(exc)[:200]}]},
            code="bad_statement",
        ) from None
    start = dt.datetime.combine(bill_date, dt.time(0), tzinfo=PROVIDER_DAY)
    end = start + dt.timedelta(days=1)
    paid_rows = {}
    for row in rows:
        if not row.refund_no:
            paid_rows[row.out_trade_no] = row
    refund_rows = {row.refund_no: row for row in rows if row.refund_no}
    payments = {
        p.out_trade_no: p for p in Payment.objects.filter(merchant=merchant, out_trade_no__in=list(paid_rows))
    }
    paid_here = list(
        Payment.objects.filter(
            merchant=merchant, status__in=SETTLED_STATUSES, paid_at__gte=start, paid_at__lt=end
        )
    )
    refunds = {
        r.out_refund_no: r
        for r in Refund.objects.filter(
            payment__merchant=merchant, out_refund_no__in=list(refund_rows)
        ).select_related("payment")
    }
    refunded_here = list(
        Refund.objects.filter(payment__merchant=merchant, created_at__gte=start, created_at__lt=end)
        .exclude(provider_state__in=[RefundState.LEDGER_ONLY, RefundState.FAILED])
        .select_related("payment")
    )
    found: list[StatementMismatch] = []

    def add(kind, *, out_trade_no="", reference="", provider_amount=None, ledger_amount=None, payment=None):
        found.append(
            StatementMismatch(
                kind=kind,
                out_trade_no=out_trade_no[:64],
                reference=reference[:64],
                provider_amount=provider_amount,
                ledger_amount=ledger_amount,
                payment=payment,
            )
        )

    for trade_no, row in paid_rows.items():
        payment = payments.get(trade_no)
        if payment is None or payment.status not in SETTLED_STATUSES:
            add(
                MismatchKind.PAID_AT_PROVIDER_ONLY,
                out_trade_no=trade_no,
                reference=row.transaction_id,
                provider_amount=row.amount,
                ledger_amount=None if payment is None else payment.amount,
                payment=payment,
            )
        elif payment.amount != row.amount:
            add(
                MismatchKind.AMOUNT_DIFFERS,
                out_trade_no=trade_no,
                reference=row.transaction_id,
                provider_amount=row.amount,
                ledger_amount=payment.amount,
                payment=payment,
            )
    listed_before = _listed_the_day_before(merchant, bill_date)
    for payment in paid_here:
        if payment.out_trade_no not in paid_rows and payment.out_trade_no not in listed_before:
            add(
                MismatchKind.PAID_HERE_ONLY,
                out_trade_no=payment.out_trade_no,
                reference=payment.provider_transaction_id,
                ledger_amount=payment.amount,
                payment=payment,
            )
    for refund_no, row in refund_rows.items():
        refund = refunds.get(refund_no)
        if refund is None:
            add(
                MismatchKind.REFUND_AT_PROVIDER_ONLY,
                out_trade_no=row.out_trade_no,
                reference=refund_no,
                provider_amount=row.amount,
            )
        elif refund.amount != row.amount:
            add(
                MismatchKind.REFUND_AMOUNT_DIFFERS,
                out_trade_no=row.out_trade_no,
                reference=refund_no,
                provider_amount=row.amount,
                ledger_amount=refund.amount,
                payment=refund.payment,
            )
    for refund in refunded_here:
        if refund.out_refund_no not in refund_rows:
            add(
                MismatchKind.REFUND_HERE_ONLY,
                out_trade_no=refund.payment.out_trade_no,
                reference=refund.out_refund_no,
                ledger_amount=refund.amount,
                payment=refund.payment,
            )
    with transaction.atomic():
        statement = Statement.objects.create(
            merchant=merchant,
            bill_date=bill_date,
            raw=content,
            rows=len(rows),
            provider_paid_total=sum((r.amount for r in paid_rows.values()), ZERO),
            ledger_paid_total=sum((p.amount for p in paid_here), ZERO),
            mismatch_count=len(found),
            imported_by=actor,
        )
        for mismatch in found:
            mismatch.statement = statement
        StatementMismatch.objects.bulk_create(found)
    return statement


def _listed_the_day_before(merchant, bill_date: dt.date) -> set[str]:
    """Payments the provider listed on the previous day: paid there just before midnight and
    notified here just after it, they are no mismatch."""
    before = Statement.objects.filter(merchant=merchant, bill_date=bill_date - dt.timedelta(days=1)).first()
    if before is None:
        return set()
    return {row.out_trade_no for row in _parse(merchant, bytes(before.raw)) if not row.refund_no}


def statement_fetch(*, merchant, bill_date: dt.date, by) -> Statement:
    """Download the provider's statement for ``bill_date`` and compare it (the daily job)."""
    actor_label(by)
    content = gateways.for_provider(merchant.provider).statement(merchant=merchant, bill_date=bill_date)
    return statement_import(merchant=merchant, bill_date=bill_date, content=content, by=by)


def statements_fetch_all(*, bill_date: dt.date, by) -> int:
    """The statements for ``bill_date`` of every live merchant that has none yet (the provider
    publishes them in the morning, so the job runs every few hours); one merchant's failure does
    not stop the rest."""
    merchants = Merchant.objects.filter(
        provider__in=[Provider.WECHATPAY, Provider.ALIPAY], is_demo=False
    ).exclude(statements__bill_date=bill_date)
    done = 0
    for merchant in merchants:
        try:
            statement_fetch(merchant=merchant, bill_date=bill_date, by=by)
        except ServiceError:
            continue
        done += 1
    return done
