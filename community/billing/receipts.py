"""Receipts (收据) as PDF, with a CJK font embedded so Chinese prints on any reader.

reportlab's CID font STSong-Light is used when no Noto CJK TrueType is installed; Noto Sans CJK
(Debian's fonts-noto-cjk ships it as a .ttc) is embedded when it is found.
"""

from __future__ import annotations

import io
from decimal import Decimal
from functools import cache
from pathlib import Path

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from reportlab.lib.pagesizes import A5, landscape
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

FONT_CANDIDATES = [
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
]


@cache
def cjk_font() -> str:
    for candidate in FONT_CANDIDATES:
        if Path(candidate).exists():
            try:
                pdfmetrics.registerFont(TTFont("NotoSansCJK", candidate, subfontIndex=2))
                return "NotoSansCJK"
            except Exception:  # noqa: S112 - an unreadable font file falls back to the CID font
                continue
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"


def payer_line(payment) -> tuple[str, str]:
    """Who paid, as the receipt names them: the home, or the household account (缴费户)."""
    if payment.payer_account_id:
        return pgettext("receipt", "Household account"), payment.payer_account.name
    if payment.payer_unit_id:
        # A unit's label names its building only when the building is loaded (else its id).
        from community.residents.models import Unit

        unit = Unit.objects.select_related("building").get(pk=payment.payer_unit_id)
        return pgettext("receipt", "Home"), unit.label
    return pgettext("receipt", "Home"), "—"


def prepaid_lines(payment) -> list[tuple[str, Decimal]]:
    """What the payment put into a prepaid balance, naming whose: a household's members each
    keep their own unit's balance beside the account's, so "into the prepaid balance" alone
    left the payer asking which one."""
    lines = []
    for entry in payment.prepaid_entries.select_related("unit__building", "account").order_by("id"):
        whose = entry.account.name if entry.account_id else entry.unit.label if entry.unit_id else "—"
        lines.append(
            (pgettext("receipt", "Into the prepaid balance of %(payer)s") % {"payer": whose}, entry.amount)
        )
    return lines


def receipt_pdf(receipt) -> bytes:
    """The receipt in the active language (the view activates the reader's)."""
    payment = receipt.payment
    font = cjk_font()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=landscape(A5))
    width, height = landscape(A5)
    pdf.setTitle(_("Receipt %(number)s") % {"number": receipt.display_number})
    pdf.setFont(font, 18)
    pdf.drawCentredString(
        width / 2, height - 50, _("%(estate)s — receipt for payment") % {"estate": receipt.estate.name}
    )
    pdf.setFont(font, 11)
    y = height - 85
    issued = timezone.localtime(receipt.issued_at)
    for label, value in [
        (pgettext("receipt", "Receipt number"), receipt.display_number),
        (pgettext("receipt", "Issued at"), f"{issued:%Y-%m-%d %H:%M}"),
        payer_line(payment),
        (pgettext("receipt", "Paid by"), payment.get_provider_display()),
        (pgettext("receipt", "Trade number"), payment.out_trade_no),
    ]:
        pdf.drawString(40, y, _("%(label)s: %(value)s") % {"label": label, "value": value})
        y -= 18
    y -= 6
    pdf.drawString(40, y, pgettext("receipt", "Bill"))
    pdf.drawRightString(width - 40, y, pgettext("receipt", "Amount (yuan)"))
    y -= 16
    for allocation in payment.allocations.select_related("bill").order_by("id"):
        pdf.drawString(40, y, f"{allocation.bill.number}  {allocation.bill.description}"[:60])
        pdf.drawRightString(width - 40, y, f"{allocation.amount:,.2f}")
        y -= 16
    for text, amount in prepaid_lines(payment):
        pdf.drawString(40, y, text[:60])
        pdf.drawRightString(width - 40, y, f"{amount:,.2f}")
        y -= 16
    pdf.setFont(font, 13)
    pdf.drawRightString(width - 40, y - 8, _("Total: ¥%(amount)s") % {"amount": f"{payment.amount:,.2f}"})
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
