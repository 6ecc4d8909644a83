"""The monthly settlement of a care station for the civil-affairs office (Excel).

One row per elder and service item: name, masked ID number, elder category, ability level,
service item, number of services, amount, subsidy, self-pay; then a total row. The totals
are sums of the same Decimal amounts stored on the orders, so they match them fen for fen.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from community.residents.models import mask_id_number

from .models import AbilityAssessment, CareStation, ElderCategory, Order
from .transitions import ORDER_DELIVERED


@dataclass
class SettlementRow:
    elder_name: str
    masked_id: str
    category: str
    level: int | None
    item: str
    count: int
    amount: Decimal
    subsidy: Decimal
    self_pay: Decimal


def _month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    first = month.replace(day=1)
    return first, (first + dt.timedelta(days=32)).replace(day=1)


def settlement_orders(*, station: CareStation, month: dt.date):
    first, after = _month_bounds(month)
    return Order.objects.filter(
        station=station,
        status__in=ORDER_DELIVERED,
        price__isnull=False,
        completed_at__date__gte=first,
        completed_at__date__lt=after,
    )


def settlement_rows(*, station: CareStation, month: dt.date) -> list[SettlementRow]:
    grouped = (
        settlement_orders(station=station, month=month)
        .values(
            "elder_id", "elder__resident__name", "elder__resident__id_number", "elder__category", "item__name"
        )
        .annotate(
            n=Count("pk"), amount=Sum("price"), subsidy=Sum("subsidy_amount"), self_pay=Sum("self_pay_amount")
        )
        .order_by("elder__resident__name", "elder_id", "item__name")
    )
    elder_ids = {g["elder_id"] for g in grouped}
    levels: dict[int, int] = {}
    for elder_id, level in (
        AbilityAssessment.objects.filter(elder_id__in=elder_ids)
        .order_by("elder_id", "assessed_on", "pk")
        .values_list("elder_id", "level")
    ):
        levels[elder_id] = level  # ordered ascending: the last one is the latest
    categories = dict(ElderCategory.choices)
    return [
        SettlementRow(
            elder_name=g["elder__resident__name"],
            masked_id=mask_id_number(g["elder__resident__id_number"] or ""),
            category=str(categories.get(g["elder__category"], g["elder__category"])),
            level=levels.get(g["elder_id"]),
            item=g["item__name"],
            count=g["n"],
            amount=g["amount"],
            subsidy=g["subsidy"],
            self_pay=g["self_pay"],
        )
        for g in grouped
    ]


def settlement_workbook(*, station: CareStation, month: dt.date) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    rows = settlement_rows(station=station, month=month)
    book = Workbook()
    sheet = book.active
    sheet.title = f"{month:%Y-%m}"
    sheet.append(
        [
            _("%(station)s — subsidised home care services, %(month)s")
            % {"station": station.name, "month": f"{month:%Y-%m}"}
        ]
    )
    headers = [
        _("Name"),
        _("ID number"),
        _("Elder category"),
        _("Ability level"),
        _("Service item"),
        _("Number of services"),
        _("Amount (yuan)"),
        _("Subsidy (yuan)"),
        _("Self-pay (yuan)"),
    ]
    sheet.append(headers)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for r in rows:
        sheet.append(
            [r.elder_name, r.masked_id, r.category, r.level, r.item, r.count, r.amount, r.subsidy, r.self_pay]
        )
    total = [
        _("Total"),
        "",
        "",
        "",
        "",
        sum(r.count for r in rows),
        sum((r.amount for r in rows), Decimal("0.00")),
        sum((r.subsidy for r in rows), Decimal("0.00")),
        sum((r.self_pay for r in rows), Decimal("0.00")),
    ]
    sheet.append(total)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for row in sheet.iter_rows(min_row=3, min_col=7, max_col=9):
        for cell in row:
            cell.number_format = "0.00"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
