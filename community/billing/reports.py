"""Staff reports over the ledger, computed in the database (a fixed number of queries
whatever the number of bills): collection rate (收缴率) by month and building, arrears ageing,
revenue recognised per service month, daily takings by channel, prepaid balances held (units'
and household accounts'). ``as_of`` is always passed.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, CharField, Count, F, Sum, Value, When
from django.db.models.functions import TruncDate

from . import calc
from .models import Bill, HouseholdAccount, Payment, PrepaidEntry
from .transitions import SETTLED_STATUSES

ZERO = Decimal("0.00")
AGEING = [(30, "0-30"), (90, "31-90"), (180, "91-180"), (365, "181-365")]


def _rate(paid: Decimal, total: Decimal) -> Decimal | None:
    return None if not total else (Decimal(paid) * 100 / Decimal(total)).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class CollectionRow:
    month: dt.date
    building: str
    billed: Decimal
    collected: Decimal

    @property
    def rate(self) -> Decimal | None:
        return _rate(self.collected, self.billed)


def collection_by_month_and_building(estate, *, months: int = 12, as_of: dt.date) -> list[CollectionRow]:
    """What was billed for each service month and building, and how much of it is paid."""
    first = calc._add_months(dt.date(as_of.year, as_of.month, 1), -(months - 1))
    rows = (
        Bill.objects.filter(estate=estate, period_start__gte=first, period_start__lte=as_of)
        .values("period_start", "payer_unit__building__name")
        .annotate(billed=Sum("total"), collected=Sum("amount_paid"))
        .order_by("period_start", "payer_unit__building__name")
    )
    return [
        CollectionRow(
            r["period_start"],
            r["payer_unit__building__name"] or "—",
            calc.to_fen(r["billed"]),
            calc.to_fen(r["collected"]),
        )
        for r in rows
    ]


def collection_by_month(rows: list[CollectionRow]) -> list[CollectionRow]:
    totals: dict[dt.date, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for row in rows:
        totals[row.month][0] += row.billed
        totals[row.month][1] += row.collected
    return [
        CollectionRow(month, "", billed, collected) for month, (billed, collected) in sorted(totals.items())
    ]


def arrears_ageing(estate, *, as_of: dt.date) -> list[tuple[str, int, Decimal]]:
    """Open, overdue bills by how long they are overdue: (bucket, bills, amount owed)."""
    whens = [When(due_date__gte=as_of - dt.timedelta(days=days), then=Value(label)) for days, label in AGEING]
    rows = (
        Bill.objects.open()
        .filter(estate=estate, due_date__lt=as_of)
        .annotate(bucket=Case(*whens, default=Value("365+"), output_field=CharField()))
        .values("bucket")
        .annotate(bills=Count("id"), owed=Sum(F("total") - F("amount_paid")))
    )
    found = {r["bucket"]: (r["bills"], calc.to_fen(r["owed"])) for r in rows}
    return [(label, *found.get(label, (0, ZERO))) for label in [*(label for _d, label in AGEING), "365+"]]


def revenue_by_service_month(estate, *, year: int) -> list[tuple[dt.date, Decimal]]:
    """Revenue recognised per service month: a quarter's or a year's bill spread over its months."""
    rows = (
        Bill.objects.filter(
            estate=estate, period_start__lt=dt.date(year + 1, 1, 1), period_end__gt=dt.date(year, 1, 1)
        )
        .values("period_start", "period_end")
        .annotate(total=Sum("total"))
    )
    months: dict[dt.date, Decimal] = defaultdict(lambda: ZERO)
    for r in rows:
        for month, amount in calc.spread_over_months(
            calc.to_fen(r["total"]), calc.Period(r["period_start"], r["period_end"])
        ):
            if month.year == year:
                months[month] += amount
    return sorted(months.items())


def daily_takings(estate, *, start: dt.date, end: dt.date) -> list[tuple[dt.date, str, str, int, Decimal]]:
    """Money received per day (estate time) and channel: (day, provider, channel, payments, amount)."""
    tz = zoneinfo.ZoneInfo(estate.time_zone)
    rows = (
        Payment.objects.filter(estate=estate, status__in=SETTLED_STATUSES, paid_at__isnull=False)
        .annotate(day=TruncDate("paid_at", tzinfo=tz))
        .filter(day__gte=start, day__lte=end)
        .values("day", "provider", "channel")
        .annotate(n=Count("id"), amount=Sum("amount"))
        .order_by("day", "provider", "channel")
    )
    return [(r["day"], r["provider"], r["channel"], r["n"], calc.to_fen(r["amount"])) for r in rows]


@dataclass(frozen=True)
class PrepaidHeld:
    """Prepaid money the estate holds for its payers: all units' together, and each household
    account's (an account's balance is its own, apart from its units')."""

    units_total: Decimal
    units_count: int
    accounts: list[tuple[str, Decimal]]

    @property
    def total(self) -> Decimal:
        return self.units_total + sum((balance for _name, balance in self.accounts), ZERO)


def prepaid_held(estate) -> PrepaidHeld:
    """Two grouped queries: the units' balances summed, and the accounts' one by one."""
    from .selectors import with_prepaid_balance

    per_unit = (
        PrepaidEntry.objects.filter(estate=estate, unit__isnull=False)
        .values("unit_id")
        .annotate(balance=Sum("amount"))
        .filter(balance__gt=0)
        .values_list("balance", flat=True)
    )
    # To the fen: SQLite sums decimals as floats.
    balances = [b for b in (Decimal(v).quantize(calc.FEN) for v in per_unit) if b > 0]
    accounts = with_prepaid_balance(HouseholdAccount.objects.filter(estate=estate)).order_by("name", "pk")
    return PrepaidHeld(
        units_total=sum(balances, ZERO),
        units_count=len(balances),
        accounts=[(a.name, Decimal(a.prepaid_balance).quantize(calc.FEN)) for a in accounts],
    )


def export_workbook(estate, *, as_of: dt.date) -> bytes:
    """The reports as one Excel workbook."""
    import io

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "收缴率"
    sheet.append(["月份", "楼栋", "应收", "实收", "收缴率%"])
    for row in collection_by_month_and_building(estate, as_of=as_of):
        sheet.append([row.month.strftime("%Y-%m"), row.building, row.billed, row.collected, row.rate])
    ageing = book.create_sheet("欠费账龄")
    ageing.append(["逾期天数", "账单数", "欠费金额"])
    for label, bills, owed in arrears_ageing(estate, as_of=as_of):
        ageing.append([label, bills, owed])
    revenue = book.create_sheet("按服务月确认收入")
    revenue.append(["服务月份", "收入"])
    for month, amount in revenue_by_service_month(estate, year=as_of.year):
        revenue.append([month.strftime("%Y-%m"), amount])
    takings = book.create_sheet("每日收款")
    takings.append(["日期", "支付方式", "渠道", "笔数", "金额"])
    for day, provider, channel, n, amount in daily_takings(
        estate, start=as_of - dt.timedelta(days=30), end=as_of
    ):
        takings.append([day, provider, channel, n, amount])
    held = prepaid_held(estate)
    prepaid = book.create_sheet("预存款余额")
    prepaid.append(["缴费对象", "余额"])
    prepaid.append([f"各房屋合计（{held.units_count} 户）", held.units_total])
    for name, balance in held.accounts:
        prepaid.append([f"缴费户：{name}", balance])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
