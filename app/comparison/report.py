"""The cohort comparison as a bilingual PDF: the page's figures, each followed by its data table."""

from __future__ import annotations

from datetime import date
from io import BytesIO
from xml.sax.saxutils import escape

from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from app.assessment.text import fill

from ..models import Organisation
from ..reports.fonts import report_font
from .figures import Figure
from .labels import say
from .queries import Selection
from .service import comparison, labels

LANG = "bilingual"
MARGIN = 42
FONT_SIZE = 7.5
MUTED = HexColor("#5a6275")
RULE = HexColor("#d5d9e2")
PRIMARY = HexColor("#b3261e")


def _styles(font: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=font, fontSize=9, leading=13, wordWrap="CJK")
    return {
        "body": base,
        "title": ParagraphStyle("title", parent=base, fontSize=17, leading=23, textColor=PRIMARY, spaceAfter=8),
        "h2": ParagraphStyle(
            "h2", parent=base, fontSize=12, leading=16, spaceBefore=12, spaceAfter=4, textColor=PRIMARY
        ),
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=10, textColor=MUTED),
        "cell": ParagraphStyle("cell", parent=base, fontSize=7, leading=9),
    }


def cohort_pdf(selection: Selection, org: Organisation | None, picks=()) -> bytes:
    """The comparison of `selection` as PDF bytes, every label in Chinese and English."""
    font = report_font()
    styles = _styles(font)
    t = labels()
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=say(t["title"], LANG),
        lang="zh-CN",
    )
    result = comparison(selection, picks, LANG, width=doc.width, font_size=FONT_SIZE)
    story = [Paragraph(escape(say(t["title"], LANG)), styles["title"])]
    scope = f"{org.name} ({org.code})" if org else say(t["everything"], LANG)
    years = ", ".join(str(c.year) for c in selection.cycles) or "—"
    story.append(
        Paragraph(escape(f"{say(t['scope'], LANG)}: {scope} · {say(t['cycles'], LANG)}: {years}"), styles["body"])
    )
    story.append(Paragraph(escape(say(fill(t["generated"], date=date.today().isoformat()), LANG)), styles["small"]))
    shown = ([result.radar] if result.radar else []) + result.figures
    if not shown:
        story.append(Paragraph(escape(say(t["no_data"], LANG)), styles["body"]))
    for figure in shown:
        story += _figure(figure, styles, doc.width)
    doc.build(story, onFirstPage=_footer(font), onLaterPages=_footer(font))
    return buffer.getvalue()


def _figure(figure: Figure, styles, width: float) -> list:
    head = [Paragraph(escape(figure.title), styles["h2"]), figure.drawing]
    if figure.note:
        head.append(Paragraph(escape(figure.note), styles["small"]))
    cell = styles["cell"]
    data = [[Paragraph(escape(h), cell) for h in figure.headers]]
    data += [[Paragraph(escape(v), cell) for v in row] for row in figure.rows]
    table = Table(data, colWidths=_widths(figure, width), repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, PRIMARY),
                ("LINEBELOW", (0, 1), (-1, -1), 0.3, RULE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return [KeepTogether(head), Spacer(1, 4), table, Spacer(1, 8)]


def _widths(figure: Figure, width: float) -> list[float]:
    """Wide columns for text (items, suggestions, organisations), narrow ones for numbers."""
    n = len(figure.headers)
    if figure.ident == "weakest":
        shares = [0.05, 0.3, 0.12, 0.12, 0.09, 0.32]
    elif figure.ident in ("completion", "radar", "distribution") or figure.ident.startswith("movement"):
        shares = [0.3] + [0.7 / (n - 1)] * (n - 1) if n > 1 else [1.0]
    else:
        shares = [1.0 / n] * n
    return [width * s for s in shares]


def _footer(font: str):
    def draw(canvas, doc):
        canvas.saveState()
        canvas.setFont(font, 7.5)
        canvas.setFillColor(MUTED)
        canvas.drawRightString(A4[0] - MARGIN, MARGIN / 2, f"{doc.page}")
        canvas.restoreState()

    return draw
