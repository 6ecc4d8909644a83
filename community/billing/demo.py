"""Demo data: charge items and tariffs, a year of bills from the real bill run, payments with
realistic arrears, a late-fee contract clause, and the demo merchant ``demo-wechat``.

Idempotent: items are found by name, the bill run skips what it has billed, and the history
of payments is written only while the estate has none. Past payments are written in bulk
(not through the services, which would sign 10,000 notifications): their rows are what
``payment_create`` + the offline settle would have written, numbered receipts included.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from community.demo import DemoContext, register_seeder
from community.residents.models import Occupancy, Unit, UnitUsage

from . import calc, services
from .models import (
    Allocation,
    Assignment,
    Bill,
    BillStatus,
    ChargeItem,
    LateFeePolicy,
    Payment,
    Receipt,
    Sequence,
    Tariff,
)
from .services import gateways
from .transitions import PaymentStatus

SEED = 20261202
SYSTEM = "system:demo"

# name, type, basis, cycle, billed in advance, [(effective from (months ago), unit price)], usage
ITEMS = [
    (
        "物业费",
        "property_fee",
        "exclusive_area",
        "month",
        True,
        [(24, "2.30"), (5, "2.50")],
        UnitUsage.RESIDENTIAL,
    ),
    ("商铺物业费", "property_fee", "exclusive_area", "month", True, [(24, "4.80")], UnitUsage.COMMERCIAL),
    ("垃圾处理费", "garbage", "fixed", "quarter", False, [(24, "45.00")], UnitUsage.RESIDENTIAL),
    ("车位管理费", "parking_management", "per_space", "month", True, [(24, "80.00")], UnitUsage.PARKING),
]


def _month_starts(today: dt.date, months: int) -> list[dt.date]:
    first = dt.date(today.year, today.month, 1)
    return [calc._add_months(first, -back) for back in range(months - 1, -1, -1)]


@register_seeder(order=50, name="billing")
def seed(ctx: DemoContext) -> None:
    estate = ctx.estate
    today = timezone.localdate()
    months = _month_starts(today, 12)
    gateways.demo_merchant()
    with transaction.atomic():
        items = _ensure_items(estate, months[0])
        _ensure_assignments(items, start=months[0])
        _ensure_late_fee_policy(estate)
    for month in ctx.progress(months, "billing: a year of bills", total=len(months)):
        services.bill_run(estate=estate, on=month, by=SYSTEM)
    if not Payment.objects.filter(estate=estate).exists():
        _pay_history(estate, ctx, today)


def _ensure_items(estate, first_month: dt.date) -> dict[str, tuple[ChargeItem, str]]:
    result = {}
    for name, item_type, basis, cycle, prepaid, prices, usage in ITEMS:
        item = ChargeItem.objects.filter(estate=estate, name=name).first()
        if item is None:
            item = services.charge_item_create(
                estate=estate,
                name=name,
                item_type=item_type,
                basis=basis,
                cycle=cycle,
                prepaid=prepaid,
                vacancy_rate=Decimal("0.700") if item_type == "property_fee" else Decimal("1.000"),
                by=SYSTEM,
            )
        for months_ago, price in prices:
            start = calc._add_months(first_month, 12 - months_ago)
            if not Tariff.objects.filter(item=item, effective_from=start).exists():
                services.tariff_create(item=item, unit_price=Decimal(price), effective_from=start, by=SYSTEM)
        result[name] = (item, usage)
    return result


def _ensure_assignments(items, *, start: dt.date) -> None:
    rng = random.Random(SEED)
    for item, usage in items.values():
        units = Unit.objects.filter(building__estate=item.estate, usage=usage).exclude(
            charge_assignments__item=item
        )
        Assignment.objects.bulk_create(
            [
                # Unsold or never-occupied flats are vacant (空置) and pay the reduced rate.
                Assignment(
                    item=item, unit=unit, start_date=start, vacant=unit.developer_owned or rng.random() < 0.04
                )
                for unit in units.order_by("pk")
            ],
            batch_size=1000,
        )


def _ensure_late_fee_policy(estate) -> None:
    if LateFeePolicy.objects.filter(estate=estate).exists():
        return
    services.late_fee_policy_save(
        estate=estate,
        contract_clause=ContentFile(
            "物业服务合同 第十二条第三款：业主逾期交纳物业费的，自逾期之日起每日按应交金额的万分之三支付违约金。".encode(),
            name="contract-clause-12-3.txt",
        ),
        clause_reference="物业服务合同第十二条第三款",
        daily_rate=Decimal("0.00030"),
        grace_days=15,
        by=SYSTEM,
    )


def _pay_history(estate, ctx: DemoContext, today: dt.date) -> None:
    """Most households pay on time, some late, a few not at all; the demo owner leaves this
    month's bill open so the portal has something to pay."""
    rng = random.Random(SEED)
    owner_units = set(
        Occupancy.objects.active(today)
        .filter(resident__user=ctx.users["owner"])
        .values_list("unit_id", flat=True)
    )
    # Periodic bills only: one-off charges (eldercare self-pay, parking) have no period to age.
    bills = list(
        Bill.objects.filter(estate=estate, period_start__isnull=False).order_by(
            "payer_unit_id", "period_start", "pk"
        )
    )
    unit_habit = {}
    payments, links, allocations, updates = [], [], [], []
    current = dt.date(today.year, today.month, 1)
    for bill in bills:
        habit = unit_habit.setdefault(bill.payer_unit_id, rng.random())
        age_months = (current.year - bill.period_start.year) * 12 + current.month - bill.period_start.month
        if bill.payer_unit_id in owner_units:
            pays = age_months >= 1
        elif habit < 0.06:
            pays = False  # long-term arrears (欠费户)
        elif habit < 0.2:
            pays = age_months >= 3  # pays late
        else:
            pays = age_months >= 1 or rng.random() < 0.55
        if not pays or bill.amount_due <= 0:
            continue
        paid_on = max(bill.period_start, min(today, bill.due_date - dt.timedelta(days=rng.randint(0, 25))))
        paid_at = timezone.make_aware(
            dt.datetime.combine(paid_on, dt.time(9 + rng.randint(0, 11), rng.randint(0, 59)))
        )
        channel = rng.choice(["native", "jsapi", "jsapi", "h5", "cash", "transfer"])
        provider = "offline" if channel in ("cash", "transfer") else "demo"
        payment = Payment(
            estate=estate,
            out_trade_no=f"D{paid_on:%Y%m%d}{bill.pk:010d}",
            provider=provider,
            channel=channel,
            payer_unit_id=bill.payer_unit_id,
            amount=bill.amount_due,
            status=PaymentStatus.PAID,
            provider_transaction_id="" if provider == "offline" else f"4200{bill.pk:024d}",
            created_by=SYSTEM,
            paid_at=paid_at,
        )
        payments.append(payment)
        links.append(bill)
        allocations.append(Allocation(bill=bill, amount=bill.amount_due))
        bill.amount_paid = bill.total
        bill.status = BillStatus.PAID
        updates.append(bill)
    with transaction.atomic():
        Payment.objects.bulk_create(payments, batch_size=1000)
        Payment.bills.through.objects.bulk_create(
            [
                Payment.bills.through(payment_id=p.pk, bill_id=b.pk)
                for p, b in zip(payments, links, strict=True)
            ],
            batch_size=2000,
        )
        for allocation, payment in zip(allocations, payments, strict=True):
            allocation.payment = payment
        Allocation.objects.bulk_create(allocations, batch_size=2000)
        Bill.objects.bulk_update(updates, ["amount_paid", "status"], batch_size=1000)
        ordered = sorted(payments, key=lambda p: (p.paid_at, p.pk))
        sequence, _created = Sequence.objects.select_for_update().get_or_create(estate=estate, kind="receipt")
        Receipt.objects.bulk_create(
            [Receipt(estate=estate, number=sequence.last + i, payment=p) for i, p in enumerate(ordered, 1)],
            batch_size=2000,
        )
        # Receipts are dated when the money came in.
        Receipt.objects.bulk_update(
            [_dated(r) for r in Receipt.objects.filter(estate=estate).select_related("payment")],
            ["issued_at"],
            batch_size=2000,
        )
        sequence.last += len(ordered)
        sequence.save(update_fields=["last"])


def _dated(receipt: Receipt) -> Receipt:
    receipt.issued_at = receipt.payment.paid_at
    return receipt
