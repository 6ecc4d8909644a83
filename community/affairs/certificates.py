"""A certificate as a one-page PDF with its number and a QR code that verifies it.

Chinese text uses reportlab's built-in CID font STSong-Light (Adobe-GB1), so the PDF needs no
font file on the server and every PDF reader renders it.
"""

from __future__ import annotations

import io

import qrcode
from django.utils import timezone
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from community.residents.models import mask_id_number

from .models import Certificate

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def qr_png(url: str) -> bytes:
    image = qrcode.make(url, box_size=6, border=2)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def certificate_pdf(certificate: Certificate, *, verify_url: str) -> bytes:
    application = certificate.application
    person = application.beneficiary
    unit = application.unit
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    pdf.setTitle(f"{certificate.title} {certificate.number}")
    width, height = A4
    pdf.setFont(FONT, 22)
    pdf.drawCentredString(width / 2, height - 40 * mm, certificate.title)
    pdf.setFont(FONT, 11)
    pdf.drawRightString(width - 20 * mm, height - 52 * mm, f"编号：{certificate.number}")
    pdf.setFont(FONT, 14)
    lines = [
        f"兹证明 {person.name}（公民身份号码 {mask_id_number(person.id_number) or '—'}）",
        f"现居住于 {application.estate.name} {unit.building.name} {unit.number}。",
        f"事项：{application.item.name}（申请编号 {application.number}）。",
        "特此证明。",
    ]
    y = height - 75 * mm
    for line in lines:
        pdf.drawString(25 * mm, y, line)
        y -= 10 * mm
    pdf.setFont(FONT, 12)
    pdf.drawRightString(width - 25 * mm, y - 20 * mm, application.item.office)
    pdf.drawRightString(
        width - 25 * mm, y - 28 * mm, timezone.localtime(certificate.issued_at).strftime("%Y年%m月%d日")
    )
    pdf.drawImage(ImageReader(io.BytesIO(qr_png(verify_url))), 25 * mm, 30 * mm, 35 * mm, 35 * mm)
    pdf.setFont(FONT, 9)
    pdf.drawString(65 * mm, 45 * mm, "扫码核验本证明真伪")
    pdf.drawString(65 * mm, 39 * mm, verify_url[:90])
    pdf.showPage()
    pdf.save()
    return out.getvalue()
