"""Payments: one provider-neutral state machine (``transitions``) from creation to settling
(the one place money lands on bills), offline payments, prepaid top-ups, closing and refunds.

Notifications are in ``notifications``, the provider reconciliation in ``reconcile``.
"""

from __future__ import annotations

import logging
import secrets
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from community.errors import NotAllowed, ServiceError, TransitionRefused, text_within

from .. import calc
from ..models import (
    Allocation,
    Bill,
    Payment,
    PrepaidEntry,
    PrepaidKind,
    Provider,
    Receipt,
    Refund,
    RefundState,
)
from ..transitions import PaymentAction, PaymentStatus, next_status
from . import gateways
from ._common import ZERO, actor_label, money, refresh_bill_status, take_numbers
from .ledger import bill_add_paid, lock_payer, lock_payers, payer_balance

logger = logging.getLogger(__name__)

ONLINE_PROVIDERS = (Provider.WECHATPAY, Provider.ALIPAY, Provider.DEMO)
WECHAT_CHANNELS = ("jsapi", "h5", "native")
ALIPAY_CHANNELS = ("native", "h5")
OFFLINE_CHANNELS = ("cash", "transfer", "pos")


def new_trade_no(prefix: str = "P") -> str:
    """Unique, at most 32 characters of [0-9A-Za-z], as WeChat and Alipay require."""
    return f"{prefix}{timezone.now():%Y%m%d%H%M%S}{secrets.token_hex(8)}"


def _is_staff_of(user, estate_id) -> bool:
    from community.scoping import staff_can_access_estate

    return bool(getattr(user, "is_staff", False)) and staff_can_access_estate(user, estate_id)


def _bills_oldest_first(bills):
    return sorted(bills, key=lambda b: (b.due_date, b.period_start or b.due_date, b.pk))


# --- creating a payment ----------------------------------------------------------------------


def payment_create(
    *,
    bills: list[Bill],
    provider: str,
    channel: str = "",
    by,
    amount: Decimal | None = None,
    payer_unit=None,
    payer_account=None,
    note: str = "",
    client: dict | None = None,
) -> Payment:
    """Start a payment for the amount due of ``bills`` (or ``amount``: less is a partial payment,
    settled oldest bill first; more goes to the payer's prepaid balance). The payer is the
    bills' own: a unit, or a household account for an account's bills. No bills and a
    ``payer_unit`` or ``payer_account`` is a top-up of that payer's balance.

    provider "wechatpay" | "alipay" | "demo" | "offline"; channel for WeChat "jsapi" | "h5" |
    "native" (QR code), for Alipay "native" | "h5"; ``client`` carries what the provider needs
    of the payer (WeChat JSAPI: ``openid``; H5: ``ip``). An offline payment is money already in the staff member's hands: it is
    paid at once and gets its receipt.
    """
    actor = actor_label(by)
    if provider not in Provider.values:
        raise ServiceError({"provider": [_("Unknown payment provider.")]}, code="bad_provider")
    if provider in (Provider.WECHATPAY, Provider.DEMO) and channel not in WECHAT_CHANNELS:
        if channel:
            raise ServiceError(
                {"channel": [_("WeChat Pay channels are jsapi, h5 and native.")]}, code="bad_channel"
            )
        channel = "native"
    if provider == Provider.ALIPAY and channel not in ALIPAY_CHANNELS:
        if channel:
            raise ServiceError({"channel": [_("Alipay channels are native and h5.")]}, code="bad_channel")
        channel = "native"
    if provider == Provider.OFFLINE and channel not in OFFLINE_CHANNELS:
        raise ServiceError(
            {"channel": [_("Offline payments are cash, transfer or pos.")]}, code="bad_channel"
        )
    note = text_within(note, Payment, "note")
    bills = list(bills or [])
    with transaction.atomic():
        locked = list(Bill.objects.select_for_update().filter(pk__in=[b.pk for b in bills]).order_by("pk"))
        if len(locked) != len({b.pk for b in bills}):
            raise ServiceError({"bills": [_("Unknown bill.")]}, code="bad_bill")
        estates = {b.estate_id for b in locked}
        # A payer is (unit, account): a unit's bills, an account's bills, or a walk-in's (None, None).
        payers = {(b.payer_unit_id, b.payer_account_id) for b in locked}
        if len(estates) > 1:
            raise ServiceError(
                {"bills": [_("Pay the bills of one estate at a time.")]}, code="several_estates"
            )
        if payer_unit is not None and payer_account is not None:
            raise ServiceError(_("A payment has one payer: a unit or a household account."), code="one_payer")
        if payer_unit is not None:
            payers.add((payer_unit.pk, None))
        if payer_account is not None:
            payers.add((None, payer_account.pk))
        if len(payers) > 1:
            raise ServiceError({"bills": [_("Pay the bills of one payer at a time.")]}, code="several_payers")
        unit_id, account_id = next(iter(payers)) if payers else (None, None)
        if locked:
            estate_id = locked[0].estate_id
        elif payer_unit is not None:
            estate_id = payer_unit.building.estate_id
        elif payer_account is not None:
            estate_id = payer_account.estate_id
        else:
            raise ServiceError(
                {"bills": [_("Choose the bills to pay, or the unit to top up.")]}, code="nothing_to_pay"
            )
        closed = [b.number for b in locked if not b.is_open]
        if closed:
            raise TransitionRefused(
                _("Already paid: %(numbers)s.") % {"numbers": ", ".join(closed)}, code="bill_not_open"
            )
        due = sum((b.amount_due for b in locked), ZERO)
        amount = due if amount is None else money(amount)
        if amount <= 0:
            raise ServiceError({"amount": [_("Nothing is due on these bills.")]}, code="nothing_due")
        if amount > due and unit_id is None and account_id is None:
            raise ServiceError(
                {"amount": [_("A payer without a unit cannot pay more than is due.")]}, code="overpay_walk_in"
            )
        if provider == Provider.OFFLINE and not (
            not isinstance(by, str) and (getattr(by, "is_superuser", False) or _is_staff_of(by, estate_id))
        ):
            raise NotAllowed(_("Only the estate's staff record offline payments."), code="staff_only")
        merchant = gateways.merchant_for(provider=provider, estate_id=estate_id)
        payment = Payment.objects.create(
            estate_id=estate_id,
            out_trade_no=new_trade_no(),
            provider=provider,
            channel=channel,
            merchant=merchant,
            payer_unit_id=unit_id,
            payer_account_id=account_id,
            amount=amount,
            created_by=actor,
            note=note,
        )
        payment.bills.set(locked)
        if provider == Provider.OFFLINE:
            settle(payment, transaction_id="", by=actor)
            return payment
    # The provider is asked outside the database transaction: a slow network holds no locks.
    try:
        params = gateways.for_provider(provider).prepay(payment=payment, channel=channel, client=client)
    except ServiceError:
        payment_close(payment=payment, by=by)  # never handed to the payer: nothing to wait for
        raise
    with transaction.atomic():
        locked_payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked_payment.status == PaymentStatus.CREATED:
            locked_payment.status = next_status(locked_payment.status, PaymentAction.START)
        locked_payment.provider_params = params
        locked_payment.save(update_fields=["status", "provider_params"])
    return locked_payment


def prepaid_top_up(
    *, unit=None, account=None, amount: Decimal, provider: str, channel: str = "", by
) -> Payment:
    """Money into a payer's prepaid balance (预存), a unit's or a household account's (exactly
    one): a payment with no bills. Who may top up which payer is the caller's check (the portal
    and the API offer a resident only their own units and their households' accounts)."""
    if (unit is None) == (account is None):
        raise ServiceError(_("Top up a unit or a household account."), code="one_payer")
    return payment_create(
        bills=[],
        provider=provider,
        channel=channel,
        amount=amount,
        payer_unit=unit,
        payer_account=account,
        by=by,
    )


def prepaid_transfer(*, unit, account, amount: Decimal, reason: str, by) -> tuple[PrepaidEntry, PrepaidEntry]:
    """Move part of a unit's prepaid balance to the household account the unit is in: staff
    only, with a reason, as two entries (out of the unit, into the account) in one transaction.

    Why explicit: a unit that joins an account keeps its balance. That money was paid for the
    unit (perhaps by an earlier owner or tenant, perhaps for charges the account does not
    carry), still pays the unit's own bills, and is refunded against the payment that made it.
    Moving it silently would move money between payers; staff move it when the payer asks.
    """
    actor = actor_label(by)
    amount = money(amount)
    reason = text_within(reason, PrepaidEntry, "reason")
    if not reason:
        raise ServiceError({"reason": [_("Give the reason for the transfer.")]}, code="no_reason")
    if amount <= 0:
        raise ServiceError({"amount": [_("Transfer an amount above zero.")]}, code="bad_amount")
    if isinstance(by, str) or not (getattr(by, "is_superuser", False) or _is_staff_of(by, account.estate_id)):
        raise NotAllowed(_("Only the estate's staff move prepaid balances."), code="staff_only")
    from ..models import HouseholdAccountUnit

    if not HouseholdAccountUnit.objects.filter(account=account, unit=unit).exists():
        raise ServiceError({"unit": [_("The unit is not in this household account.")]}, code="not_a_member")
    with transaction.atomic():
        lock_payers(unit_ids=[unit.pk], account_ids=[account.pk])
        balance = payer_balance(unit_id=unit.pk)
        if amount > balance:
            raise ServiceError(
                {"amount": [_("The unit's prepaid balance is %(balance)s.") % {"balance": balance}]},
                code="too_much",
            )
        common = {"estate_id": account.estate_id, "kind": PrepaidKind.TRANSFER, "reason": reason}
        out = PrepaidEntry.objects.create(unit=unit, amount=-amount, created_by=actor, **common)
        into = PrepaidEntry.objects.create(account=account, amount=amount, created_by=actor, **common)
        return out, into


# --- settling: the one place money lands -----------------------------------------------------


def settle(payment: Payment, *, transaction_id: str, by: str) -> None:
    """Mark a (locked) payment paid, settle its bills oldest first, put any rest in the prepaid
    balance, number its receipt. Runs inside the caller's transaction."""
    payment.status = next_status(payment.status, PaymentAction.PAY)
    payment.provider_transaction_id = transaction_id
    payment.paid_at = timezone.now()
    payment.save(update_fields=["status", "provider_transaction_id", "paid_at"])
    bills = _bills_oldest_first(Bill.objects.select_for_update().filter(payments=payment))
    allocations, left = calc.allocate(payment.amount, [(bill, bill.amount_due) for bill in bills])
    Allocation.objects.bulk_create(
        [Allocation(bill=bill, payment=payment, amount=amt) for bill, amt in allocations]
    )
    for bill, amt in allocations:
        bill_add_paid(bill, amt)
    if left > 0:
        if payment.payer_unit_id is None and payment.payer_account_id is None:
            # A walk-in payer paid a bill someone else settled meanwhile: held on the payment
            # for staff to refund (the admin lists payments with money not allocated).
            payment.unallocated_amount = left
            payment.save(update_fields=["unallocated_amount"])
        else:
            # The rest goes to the payer's own balance: the unit's, or the household account's.
            payer = _payer_of(payment)
            lock_payer(**payer)
            PrepaidEntry.objects.create(
                estate_id=payment.estate_id,
                **payer,
                amount=left,
                payment=payment,
                created_by=by,
                kind=PrepaidKind.OVERPAYMENT if bills else PrepaidKind.TOP_UP,
            )
    number = take_numbers(estate_id=payment.estate_id, kind="receipt")
    Receipt.objects.create(estate_id=payment.estate_id, number=number, payment=payment)


def _payer_of(payment: Payment) -> dict[str, int]:
    """The payer whose balance the payment's money beyond its bills is in, as entry fields."""
    if payment.payer_unit_id:
        return {"unit_id": payment.payer_unit_id}
    return {"account_id": payment.payer_account_id}


# --- closing and refunds ------------------------------------------------------


def payment_close(*, payment: Payment, by) -> Payment:
    """The payer gave up (or the order timed out): no money expected any more."""
    actor_label(by)
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        locked.status = next_status(locked.status, PaymentAction.CLOSE)
        locked.save(update_fields=["status"])
        return locked


def payment_refund(*, payment: Payment, amount: Decimal, reason: str, by) -> Refund:
    """Give money back (partial or all), with a reason, audited.

    The ledger is undone newest first: first what this payment put in the prepaid balance (as
    far as it is still there), then its bill allocations, newest bill first, which re-open.
    """
    actor = actor_label(by)
    amount = money(amount)
    reason = text_within(reason, Refund, "reason")
    if not reason:
        raise ServiceError({"reason": [_("Give the reason for the refund.")]}, code="no_reason")
    if isinstance(by, str) or not (getattr(by, "is_superuser", False) or _is_staff_of(by, payment.estate_id)):
        raise NotAllowed(_("Only the estate's staff refund payments."), code="staff_only")
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        left = locked.amount - locked.refunded_amount
        if amount > left:
            raise ServiceError(
                {"amount": [_("At most %(left)s can be refunded.") % {"left": left}]}, code="too_much"
            )
        action = PaymentAction.REFUND_ALL if amount == left else PaymentAction.REFUND_PART
        locked.status = next_status(locked.status, action)
        to_undo = amount
        # Undone newest first: money held unallocated (a walk-in's) came last, after the bills.
        from_unallocated = min(locked.unallocated_amount, to_undo)
        locked.unallocated_amount -= from_unallocated
        to_undo -= from_unallocated
        if locked.payer_unit_id or locked.payer_account_id:
            payer = _payer_of(locked)
            lock_payer(**payer)
            put_in = sum((e.amount for e in locked.prepaid_entries.all()), ZERO)
            from_prepaid = min(put_in, payer_balance(**payer), to_undo)
            if from_prepaid > 0:
                PrepaidEntry.objects.create(
                    estate_id=locked.estate_id,
                    **payer,
                    kind=PrepaidKind.REFUND,
                    amount=-from_prepaid,
                    payment=locked,
                    created_by=actor,
                )
                to_undo -= from_prepaid
        if to_undo > 0:
            by_bill: dict[int, Decimal] = {}
            for allocation in locked.allocations.all():
                by_bill[allocation.bill_id] = by_bill.get(allocation.bill_id, ZERO) + allocation.amount
            bills = _bills_oldest_first(Bill.objects.select_for_update().filter(pk__in=by_bill))
            for bill in reversed(bills):
                take = min(by_bill[bill.pk], to_undo)
                if take <= 0:
                    continue
                Allocation.objects.create(bill=bill, payment=locked, amount=-take)
                bill.amount_paid -= take
                refresh_bill_status(bill)
                bill.save(update_fields=["amount_paid", "status"])
                to_undo -= take
        if to_undo > 0:
            raise ServiceError(
                _("The prepaid balance this payment made has been spent; refund from the bills first."),
                code="spent",
            )
        locked.refunded_amount += amount
        locked.save(update_fields=["status", "refunded_amount", "unallocated_amount"])
        refund = Refund.objects.create(
            payment=locked, out_refund_no=new_trade_no("R"), amount=amount, reason=reason, created_by=actor
        )
        if locked.provider != Provider.OFFLINE:
            refund.provider_state = RefundState.REQUESTED
            refund.save(update_fields=["provider_state"])
            # The provider is asked after the commit: a slow network holds no locks, and a
            # rolled-back refund is never sent.
            transaction.on_commit(lambda: refund_submit(refund=refund, by=by))
        return refund


def refund_submit(*, refund: Refund, by) -> Refund:
    """Send a recorded refund to its provider and keep what it answered; a refusal is flagged
    for staff (the ledger already shows the money as given back)."""
    actor_label(by)
    outcome = gateways.for_provider(refund.payment.provider).refund(refund=refund)
    with transaction.atomic():
        locked = Refund.objects.select_for_update().get(pk=refund.pk)
        if outcome is None:
            locked.provider_state = RefundState.LEDGER_ONLY
        else:
            locked.provider_state = {
                "succeeded": RefundState.SUCCEEDED,
                "processing": RefundState.PROCESSING,
            }.get(outcome.state, RefundState.FAILED)
            locked.provider_refund_id = outcome.refund_id[:64]
            locked.provider_detail = outcome.detail[:300]
            if locked.provider_state == RefundState.FAILED:
                logger.error("refund %s refused by the provider: %s", locked.out_refund_no, outcome.detail)
        locked.save(update_fields=["provider_state", "provider_refund_id", "provider_detail"])
        return locked
