"""The blank questionnaire on paper (空白问卷): every item with its help and its levels, boxes to
tick, lines to write on, the cycle and the unit on every page; for a 支委会 discussion or a paper
round. The answers typed up afterwards come back through `flask import-answers`.

A plain view-model of the questionnaire (`blank_viewmodel`) turns into flowables by the
report's components and styles (report_templates/), the way the diagnostic report does. What
an item shows is its entry (`Item.entry`: a widget kind and what it needs), as on the pages.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.assessment.items import NOT_APPLICABLE_TEXT, Choice, Counts, Entry, FreeText, Number
from app.assessment.questionnaire import Questionnaire, Text
from app.assessment.text import MODES

from ..i18n import in_both_languages
from .components import Components, components_for
from .document import build_pdf, page_text
from .template import load_template

BOX = "□"
WRITING_LINES = 4  # for a free-text item


@dataclass(frozen=True)
class BlankItem:
    id: str
    text: Text
    help: Text | None
    entry: Entry
    allows_na: bool
    optional: bool


@dataclass(frozen=True)
class BlankPillar:
    number: int
    name: Text
    description: Text
    items: tuple[BlankItem, ...]


@dataclass(frozen=True)
class BlankViewModel:
    labels: dict[str, Text]
    title: Text
    unit: str  # the branch's name, or "" for a form any branch fills in
    year: int
    pillars: tuple[BlankPillar, ...]


def blank_labels(year: int) -> dict[str, Text]:
    def collect(_) -> dict[str, str]:
        return {
            "heading": _("Blank questionnaire"),
            "subtitle": _("Annual self-check of %(year)s", year=year),
            "unit": _("Party branch"),
            "cycle": _("Self-check %(year)s", year=year),
            "filled_by": _("Filled in by"),
            "date": _("Date"),
            "intro": _(
                "Tick one box per question, or write the answer on the lines. The answers are typed into the "
                "self-check afterwards, or imported from a file (flask import-answers)."
            ),
            "optional": _("(optional)"),
            "page_of": _("Page %(page)s of %(pages)s"),
        }

    return in_both_languages(collect)


def blank_viewmodel(questionnaire: Questionnaire, year: int, unit: str = "") -> BlankViewModel:
    """The questionnaire as the paper form shows it."""
    return BlankViewModel(
        labels=blank_labels(year),
        title=questionnaire.title,
        unit=unit,
        year=year,
        pillars=tuple(
            BlankPillar(
                number,
                p.name,
                p.description,
                tuple(BlankItem(i.id, i.text, i.help, i.entry, i.allows_na, i.optional) for i in p.items),
            )
            for number, p in enumerate(questionnaire.pillars, 1)
        ),
    )


def render_blank_pdf(vm: BlankViewModel, lang: str = "bilingual", template_name: str = "default") -> bytes:
    """The blank questionnaire as PDF bytes, in "zh", "en" or "bilingual"."""
    if lang not in MODES:
        raise ValueError(f"unknown language {lang!r} (expected one of {', '.join(MODES)})")
    template = load_template(template_name)
    return BlankDocument(vm, components_for(template, lang)).render()


class BlankDocument:
    def __init__(self, vm: BlankViewModel, c: Components):
        self.vm, self.c, self.t = vm, c, c.template

    def label(self, key: str) -> Text:
        return self.vm.labels[key]

    def render(self) -> bytes:
        return build_pdf(
            self.c,
            self.story(),
            self.decorate_page,
            title=self.c.inline(self.label("heading"), " / "),
            subject=self.c.inline(self.vm.title, " / "),
        )

    def decorate_page(self, canvas, total: int) -> None:
        """The cycle and the unit at the top of every page, the page number at the foot."""
        t, c = self.t, self.c
        width, height = t.page_size
        left, right = t.margins["left"], width - t.margins["right"]
        size = t.sizes["small"]
        page_of = self.label("page_of")
        page = canvas.getPageNumber()
        unit = self.vm.unit or c.inline(self.label("unit"), " / ") + "：" + "_" * 24
        canvas.saveState()
        canvas.setFont(c.styles.font, size)
        canvas.setFillColor(t.colours["muted"])
        header_y = height - t.margins["top"] + size * 1.6
        canvas.drawString(left, header_y, unit)
        canvas.drawRightString(right, header_y, c.inline(self.label("cycle"), " / "))
        canvas.setStrokeColor(t.colours["primary"])
        canvas.setLineWidth(0.6)
        canvas.line(left, header_y - size * 0.6, right, header_y - size * 0.6)
        footer_y = t.margins["bottom"] - size * 2.2
        canvas.drawRightString(right, footer_y, c.inline(page_text(page_of, page, total), " "))
        canvas.restoreState()

    def story(self) -> list:
        c, vm = self.c, self.vm
        flow = c.para(self.label("heading"), "title") + c.para(vm.title, "subtitle")
        flow += c.para(self.label("intro"), "small")
        sign = [c.inline(self.label("filled_by")) + "：" + "_" * 16, c.inline(self.label("date")) + "：" + "_" * 14]
        flow += [c.table(None, [sign], [0.5, 0.5], zebra=False), c.spacer(8)]
        for pillar in vm.pillars:
            flow += c.heading(pillar.name, 1, number=str(pillar.number), outline=0)
            flow += c.para(pillar.description, "small")
            flow += [c.rows([self.item(item)]) for item in pillar.items]
        return flow

    def item(self, item: BlankItem) -> list:
        """One question: its text, help, and where to answer."""
        c = self.c
        optional = self.label("optional") if item.optional else Text("", "")
        question = Text(f"{item.id}  {item.text.zh}{optional.zh}", f"{item.id}  {item.text.en} {optional.en}".rstrip())
        flow = c.para(question, "body", style={"spaceAfter": 1})
        if item.help is not None:
            flow += c.para(item.help, "small", style={"spaceAfter": 2})
        flow += self.answer_space(item.entry)
        if item.allows_na:
            flow += c.para(f"{BOX} " + c.inline(NOT_APPLICABLE_TEXT, " / "), "body")
        flow.append(c.spacer(6))
        return flow

    def answer_space(self, entry: Entry) -> list:
        """Boxes for a choice, a line with its unit for a number, two lines for counts, lines for text."""
        c = self.c
        if isinstance(entry, Choice):
            if entry.inline:
                return c.para("　　".join(f"{BOX} {c.inline(o.label, ' / ')}" for o in entry.options), "body")
            rows = [[BOX, o.mark, c.cell(o.label)] for o in entry.options]
            return [c.table(None, rows, [0.05, 0.05, 0.9], zebra=False)]
        if isinstance(entry, Number):
            return c.para("_" * 14 + " " + c.inline(entry.unit, " / "), "body")
        if isinstance(entry, Counts):
            return c.para("　　".join(c.inline(label, " / ") + "：" + "_" * 10 for label in entry.labels), "body")
        if isinstance(entry, FreeText):
            return [c.table(None, [[""]] * WRITING_LINES, [1.0], zebra=False)]
        raise TypeError(f"no paper form for {type(entry).__name__}")


def blank_questionnaire(cycle, lang: str = "bilingual", unit: str = "", template: str | None = None) -> bytes:
    """The blank questionnaire of `cycle` (its questionnaire version) as PDF bytes, for `unit` if named."""
    from flask import current_app

    from app.assessment.questionnaire import get_questionnaire

    template = template or current_app.config.get("REPORT_TEMPLATE", "default")
    return render_blank_pdf(
        blank_viewmodel(get_questionnaire(cycle.questionnaire_version), cycle.year, unit), lang, template
    )
