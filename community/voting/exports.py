"""Results for the notice board (公示): Excel (openpyxl) and PDF (reportlab).

The PDF uses reportlab's built-in CID font STSong-Light, so Chinese renders without shipping a
font file. Figures come from the results frozen at close (MotionResult), as published.
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from . import rules, selectors
from .models import Choice, Meeting

# Landscape A4 leaves ~700 pt between the margins for the motion title and 16 figures.
FIRST_COLUMN_PT = 130
COLUMN_PT = 36


def _rows(meeting: Meeting) -> tuple[list[str], list[list]]:
    header = [
        _("Motion"),
        _("Matter"),
        _("Kind"),
        _("Total area (m²)"),
        _("Total owners"),
        _("Participating area (m²)"),
        _("Participating owners"),
        _("Agree area (m²)"),
        _("Agree owners"),
        _("Oppose area (m²)"),
        _("Oppose owners"),
        _("Abstain area (m²)"),
        _("Abstain owners"),
        _("Quorum met"),
        _("Passed"),
        _("Of these: blank items (owners)"),
        _("Of these: invalid (owners)"),
    ]
    rows = []
    recorded = selectors.recorded_choices(meeting)
    for t in selectors.published_tally(meeting):
        f = t.figures
        strict = recorded.get(t.motion_id, {})
        rows.append(
            [
                t.title,
                t.matter,
                _("special") if t.kind == rules.SPECIAL else _("ordinary"),
                f.total_area,
                f.total_owners,
                f.participating_area,
                f.participating_owners,
                f.agree_area,
                f.agree_owners,
                f.oppose_area,
                f.oppose_owners,
                f.abstain_area,
                f.abstain_owners,
                _("yes") if t.decision.quorum_met else _("no"),
                _("yes") if t.decision.passed else _("no"),
                strict.get(Choice.BLANK, 0),
                strict.get(Choice.INVALID, 0),
            ]
        )
        for c in t.candidates:
            # One row per candidate: the area and owners who chose them (the "agree" columns),
            # judged against the motion's participation; "passed" is whether they were elected.
            outcome = (
                _("elected") if c.outcome.elected else (_("tied: runoff") if c.outcome.tied else _("no"))
            )
            rows.append(
                [
                    _("%(title)s — candidate %(name)s") % {"title": t.title, "name": c.name},
                    t.matter,
                    "",
                    f.total_area,
                    f.total_owners,
                    f.participating_area,
                    f.participating_owners,
                    c.yes_area,
                    c.yes_owners,
                    "",
                    "",
                    "",
                    "",
                    _("yes") if t.decision.quorum_met else _("no"),
                    outcome,
                    "",
                    "",
                ]
            )
        if t.imputed is not None:
            g = t.imputed
            rows.append(
                [
                    _("%(title)s — if non-voters followed the majority (local rule, not the legal result)")
                    % {"title": t.title},
                    t.matter,
                    "",
                    g.total_area,
                    g.total_owners,
                    g.participating_area,
                    g.participating_owners,
                    g.agree_area,
                    g.agree_owners,
                    g.oppose_area,
                    g.oppose_owners,
                    g.abstain_area,
                    g.abstain_owners,
                    _("yes") if t.imputed_decision.quorum_met else _("no"),
                    _("yes") if t.imputed_decision.passed else _("no"),
                    "",
                    "",
                ]
            )
    return header, rows


def _caption(meeting: Meeting) -> list[str]:
    published = meeting.results_published_at
    return [
        f"{meeting.estate.name} · {meeting.title}",
        _("Voting: %(start)s – %(end)s")
        % {
            "start": timezone.localtime(meeting.voting_opens_at).strftime("%Y-%m-%d %H:%M"),
            "end": timezone.localtime(meeting.voting_closes_at).strftime("%Y-%m-%d %H:%M"),
        },
        _("Results published: %(at)s")
        % {"at": timezone.localtime(published).strftime("%Y-%m-%d") if published else _("not yet")},
    ]


def results_xlsx(meeting: Meeting) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = _("Results")[:31]
    for line in _caption(meeting):
        ws.append([line])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([])
    header, rows = _rows(meeting)
    ws.append(header)
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(row)
        for cell in ws[ws.max_row]:
            if cell.column in (4, 6, 8, 10, 12):
                cell.number_format = "0.00"
    ws.column_dimensions["A"].width = 40
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _pdf_text(value) -> str:
    """Text for a reportlab Paragraph, which parses markup: escape it (a title with "<" or "&"
    would break the build), and spell the two characters the CID font STSong-Light lacks
    ("²" and "·", drawn as boxes) with ones it has."""
    text = escape(str(value))
    return text.replace("²", "<super>2</super>").replace("·", "\u3000")


def results_pdf(meeting: Meeting) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = "STSong-Light"
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(font))
    title_style = ParagraphStyle("t", fontName=font, fontSize=15, leading=20)
    text_style = ParagraphStyle("p", fontName=font, fontSize=9, leading=12)
    cell_style = ParagraphStyle("c", fontName=font, fontSize=7.5, leading=9.5)
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=landscape(A4),
        leftMargin=24,
        rightMargin=24,
        topMargin=24,
        bottomMargin=24,
        title=meeting.title,
    )
    caption = _caption(meeting)
    story = [Paragraph(_pdf_text(caption[0]), title_style)]
    story += [Paragraph(_pdf_text(line), text_style) for line in caption[1:]]
    story.append(Spacer(1, 8))
    header, rows = _rows(meeting)
    data = [[Paragraph(_pdf_text(h), cell_style) for h in header]]
    data += [[Paragraph(_pdf_text(v), cell_style) for v in row] for row in rows]
    table = Table(data, repeatRows=1, colWidths=[FIRST_COLUMN_PT] + [COLUMN_PT] * (len(header) - 1))
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story.append(table)
    story.append(Spacer(1, 8))
    story.append(
        Paragraph(
            _pdf_text(
                _(
                    "Quorum: owners holding at least two thirds of the area and at least two thirds of the owners took "
                    "part. Ordinary matters pass with more than half of the participating area and owners; special "
                    "matters (Art. 278 items 6–8) with at least three quarters of both."
                )
            ),
            text_style,
        )
    )
    doc.build(story)
    return out.getvalue()


def export_response(meeting: Meeting, fmt: str) -> HttpResponse:
    stamp = timezone.localdate().strftime("%Y%m%d")
    if fmt == "xlsx":
        response = HttpResponse(
            results_xlsx(meeting),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    elif fmt == "pdf":
        response = HttpResponse(results_pdf(meeting), content_type="application/pdf")
    else:
        raise Http404(_("Unknown export format."))
    response["Content-Disposition"] = f'attachment; filename="voting-results-{meeting.pk}-{stamp}.{fmt}"'
    return response
