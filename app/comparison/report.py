"""The cohort comparison as a bilingual PDF: the page's figures, each followed by its data table.

Set with the diagnostic report's components (`reports.components`) in the layout of
report_templates/cohort.yaml.
"""

from __future__ import annotations

from datetime import date
from io import BytesIO

from reportlab.platypus import KeepTogether, SimpleDocTemplate

from app.assessment.text import fill

from ..models import Organisation
from ..reports.components import Components, components_for
from ..reports.template import load_template
from .figures import Figure
from .labels import say
from .queries import Selection
from .service import comparison, labels

LANG = "bilingual"
TEMPLATE = "cohort"


def cohort_pdf(selection: Selection, org: Organisation | None, picks=()) -> bytes:
    """The comparison of `selection` as PDF bytes, every label in Chinese and English."""
    template = load_template(TEMPLATE)
    c = components_for(template, LANG)
    t = labels()
    title = say(t["title"], LANG)
    scope = f"{org.name} ({org.code})" if org else say(t["everything"], LANG)
    years = ", ".join(str(cycle.year) for cycle in selection.cycles) or "—"
    buffer = BytesIO()
    margins = template.margins
    doc = SimpleDocTemplate(
        buffer,
        pagesize=template.page_size,
        leftMargin=margins["left"],
        rightMargin=margins["right"],
        topMargin=margins["top"],
        bottomMargin=margins["bottom"],
        title=title,
        lang="zh-CN",
    )
    result = comparison(selection, picks, LANG, width=doc.width, font_size=template.sizes["small"])
    story = c.para(title, "title")
    story += c.para(f"{say(t['scope'], LANG)}: {scope} · {say(t['cycles'], LANG)}: {years}")
    story += c.para(say(fill(t["generated"], date=date.today().isoformat()), LANG), "small")
    shown = ([result.radar] if result.radar else []) + result.figures
    if not shown:
        story += c.para(say(t["no_data"], LANG))
    for figure in shown:
        story += _figure(c, figure)
    pieces = {"branch": scope, "code": org.code if org else "", "parent": "", "title": title, "year": years}
    footer = _footer(c, pieces)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def _figure(c: Components, figure: Figure) -> list:
    head = [*c.heading(figure.title, level=2), figure.drawing]
    if figure.note:
        head += c.para(figure.note, "small")
    table = c.table(figure.headers, figure.rows, _widths(figure), zebra=False)
    return [KeepTogether(head), c.spacer(4), table, c.spacer(8)]


def _widths(figure: Figure) -> list[float]:
    """Fractions of the frame: wide columns for text (items, suggestions, organisations), narrow ones for numbers."""
    n = len(figure.headers)
    if figure.ident == "weakest":
        return [0.05, 0.3, 0.12, 0.12, 0.09, 0.32]
    if figure.ident in ("completion", "radar", "distribution") or figure.ident.startswith("movement"):
        return [0.3] + [0.7 / (n - 1)] * (n - 1) if n > 1 else [1.0]
    return [1.0 / n] * n


def _footer(c: Components, pieces: dict[str, str]):
    """The template's footer slots ({page} and the cohort's scope, title and years) on every page."""
    t = c.template

    def draw(canvas, doc):
        width = t.page_size[0]
        size = t.sizes["small"]
        y = t.margins["bottom"] / 2
        canvas.saveState()
        canvas.setFont(c.styles.font, size)
        canvas.setFillColor(t.colours["muted"])
        canvas.drawString(t.margins["left"], y, t.footer["left"].format(page=doc.page, **pieces))
        canvas.drawRightString(width - t.margins["right"], y, t.footer["right"].format(page=doc.page, **pieces))
        canvas.restoreState()

    return draw
