"""Writing the bill run's new bills and lines in bulk: COPY in PostgreSQL's text format, a
block of rows per write (one ``write_row`` call per row cost more than the maths), else
``bulk_create``. Split from ``bill_run`` so that module reads as the billing rules only."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from .. import calc
from ..models import Bill, BillLine, BillStatus, ChargeItem
from ._common import ZERO

_BILL_COLUMNS = [
    "estate_id",
    "number",
    "payer_unit_id",
    "payer_account_id",
    "item_type",
    "assignment_id",
    "period_start",
    "period_end",
    "source",
    "source_ref",
    "description",
    "status",
    "total",
    "amount_paid",
    "due_date",
    "disputed",
    "issued_at",
    "issued_by",
]
_LINE_COLUMNS = [
    "bill_id",
    "kind",
    "description",
    "quantity",
    "unit_price",
    "amount",
    "reason",
    "as_of",
    "created_at",
    "created_by",
]


@dataclass
class NewBill:
    assignment_id: int
    unit_id: int | None
    account_id: int | None
    item: ChargeItem
    period: calc.Period
    specs: list[calc.LineSpec]
    total: Decimal
    due_date: dt.date
    id: int = 0
    number: str = ""


def write_bills(estate, new: list[NewBill], *, now, actor: str) -> None:
    if connection.vendor == "postgresql":
        _write_copy(estate, new, now=now, actor=actor)
        return
    bills = Bill.objects.bulk_create(
        [
            Bill(
                estate_id=estate.pk,
                number=b.number,
                payer_unit_id=b.unit_id,
                payer_account_id=b.account_id,
                item_type=b.item.item_type,
                assignment_id=b.assignment_id,
                period_start=b.period.start,
                period_end=b.period.end,
                description=f"{b.item.name} {b.period.label}",
                status=BillStatus.ISSUED,
                total=b.total,
                amount_paid=ZERO,
                due_date=b.due_date,
                issued_by=actor,
            )
            for b in new
        ],
        batch_size=2000,
    )
    for bill, row in zip(bills, new, strict=True):
        row.id = bill.pk
    BillLine.objects.bulk_create(
        [
            BillLine(
                bill_id=b.id,
                kind=s.kind,
                description=s.description,
                quantity=s.quantity,
                unit_price=s.unit_price,
                amount=s.amount,
                created_by=actor,
            )
            for b in new
            for s in b.specs
        ],
        batch_size=2000,
    )


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_BLOCK = 4000


def _text(value: str) -> str:
    return value.translate(_COPY_ESCAPES)


def _write_copy(estate, new: list[NewBill], *, now, actor: str) -> None:
    """COPY in PostgreSQL's text format, a block of rows per write. The bills' ids are read
    back by number (the run holds the estate's number lock, so these numbers are its own) for
    the lines to name their bill: one range scan, where drawing 60,000 ids from the sequence
    one ``nextval`` at a time cost more than the COPY."""
    table = Bill._meta.db_table
    with connection.cursor() as cursor:
        raw = cursor.connection
        stamp, who = now.isoformat(), _text(actor)
        # Values every row of the run shares, formatted once.
        fixed = {
            "estate": str(estate.pk),
            "issued": f"{ZERO}\t{{due}}\tf\t{stamp}\t{who}",
        }
        descriptions: dict[tuple[int, dt.date], str] = {}
        with raw.cursor().copy(f"COPY {_quoted(table)} ({_names(_BILL_COLUMNS)}) FROM STDIN") as copy:
            block: list[str] = []
            for b in new:
                key = (b.item.pk, b.period.start)
                head = descriptions.get(key)
                if head is None:
                    head = descriptions[key] = (
                        f"{b.item.item_type}\t{{a}}\t{b.period.start.isoformat()}\t{b.period.end.isoformat()}"
                        f"\t\t\t{_text(f'{b.item.name} {b.period.label}')}\t{BillStatus.ISSUED}"
                    )
                block.append(
                    f"{fixed['estate']}\t{b.number}\t{_id(b.unit_id)}\t{_id(b.account_id)}\t"
                    + head.replace("{a}", str(b.assignment_id), 1)
                    + f"\t{b.total}\t"
                    + fixed["issued"].replace("{due}", b.due_date.isoformat(), 1)
                )
                if len(block) >= _COPY_BLOCK:
                    copy.write("\n".join(block) + "\n")
                    block.clear()
            if block:
                copy.write("\n".join(block) + "\n")
        cursor.execute(  # the table name is the model's own, never input
            f"SELECT number, id FROM {_quoted(table)} WHERE estate_id = %s AND number BETWEEN %s AND %s",  # noqa: S608
            [estate.pk, new[0].number, new[-1].number],
        )
        ids = dict(cursor.fetchall())
        for b in new:
            b.id = ids[b.number]
        line_table = BillLine._meta.db_table
        tail = f"\t\t\\N\t{stamp}\t{who}"
        spec_text: dict[int, str] = {}
        with raw.cursor().copy(f"COPY {_quoted(line_table)} ({_names(_LINE_COLUMNS)}) FROM STDIN") as copy:
            block = []
            for b in new:
                for spec in b.specs:
                    text = spec_text.get(id(spec))
                    if text is None:
                        text = spec_text[id(spec)] = (
                            f"\t{spec.kind}\t{_text(spec.description)}\t{spec.quantity}\t{spec.unit_price}"
                            f"\t{spec.amount}{tail}"
                        )
                    block.append(f"{b.id}{text}")
                if len(block) >= _COPY_BLOCK:
                    copy.write("\n".join(block) + "\n")
                    block.clear()
            if block:
                copy.write("\n".join(block) + "\n")


def _id(value: int | None) -> str:
    return "\\N" if value is None else str(value)


def _quoted(name: str) -> str:
    return connection.ops.quote_name(name)


def _names(columns: list[str]) -> str:
    return ", ".join(_quoted(c) for c in columns)
