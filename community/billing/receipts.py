"""Receipts (收据) as PDF, with a CJK font embedded so Chinese prints on any reader.

reportlab's CID font STSong-Light is used when no Noto CJK TrueType is installed; Noto Sans CJK
(Debian's fonts-noto-cjk ships it as a .ttc) is embedded when it is found.
"""

from __future__ import annotations

import io
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
    unit = payment.payer_unit.label if payment.payer_unit_id else "—"
    for label, value in [
        (pgettext("receipt", "Receipt number"), receipt.display_number),
        (pgettext("receipt", "Issued at"), f"{issued:%Y-%m-%d %H:%M}"),
        (pgettext("receipt", "Home"), unit),
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
    for entry in payment.prepaid_entries.all():
        pdf.drawString(40, y, pgettext("receipt", "Into the prepaid balance"))
        pdf.drawRightString(width - 40, y, f"{entry.amount:,.2f}")
        y -= 16
    pdf.setFont(font, 13)
    pdf.drawRightString(width - 40, y - 8, _("Total: ¥%(amount)s") % {"amount": f"{payment.amount:,.2f}"})
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
