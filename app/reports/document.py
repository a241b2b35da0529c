"""The diagnostic report as a PDF: a view-model in, bytes out.

`DiagnosticDocument` builds the story in small named steps, one per section, in the
order the template lists them; the pages get their running header and footer
("Page x of y") when the document is saved, once the number of pages is known.
"""

from __future__ import annotations

import zlib
from io import BytesIO

from reportlab.lib.enums import TA_CENTER
from reportlab.pdfbase import pdfdoc
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Frame, NextPageTemplate, PageBreak, PageTemplate

from app.assessment.questionnaire import Text

from .charts import ChartSeries, radar_chart
from .components import Components, Styles
from .fonts import report_font
from .template import ReportTemplate, load_template
from .viewmodel import MODES, ReportViewModel

_styles_cache: dict[tuple[str, str], Styles] = {}

PDF_LANG = {"zh": "zh-CN", "en": "en", "bilingual": "zh-CN"}


class _QuickFlate(pdfdoc.PDFStreamFilterZCompress):
    """Deflate at zlib's fastest level.

    ReportLab compresses every page and font stream at zlib's default level (6) and has no
    setting for it. Level 1 makes a report about a tenth larger (well under the 300 KB a
    report may weigh) and takes a twentieth off its rendering time. ReportLab looks its one
    Flate filter up by name when it writes a stream, so replacing it covers every PDF.
    """

    def encode(self, text):
        return zlib.compress(text.encode("utf8") if isinstance(text, str) else text, 1)


pdfdoc.PDFZCompress = _QuickFlate()


def render_diagnostic_pdf(viewmodel: ReportViewModel, template_name: str = "default", lang: str = "bilingual") -> bytes:
    """The report as PDF bytes, in "zh", "en" or "bilingual", laid out by report_templates/<template_name>.yaml."""
    if lang not in MODES:
        raise ValueError(f"unknown report language {lang!r} (expected one of {', '.join(MODES)})")
    template = load_template(template_name)
    font = report_font()
    styles = _styles_cache.get((template.name, font))
    if styles is None:
        styles = _styles_cache.setdefault((template.name, font), Styles(template, font))
    return DiagnosticDocument(viewmodel, template, Components(template, styles, lang)).render()


class _NumberedCanvas(Canvas):
    """Holds the pages back until the end, so each can say how many pages there are."""

    def __init__(self, *args, decorate, **kwargs):
        super().__init__(*args, **kwargs)
        self._decorate = decorate
        self._held: list[dict] = []

    def showPage(self):  # noqa: N802 (ReportLab's name)
        self._held.append(dict(self.__dict__))
        self._report_cover = False
        self._startPage()

    def save(self):
        total = len(self._held)
        for state in self._held:
            self.__dict__.update(state)
            self._decorate(self, total)
            super().showPage()
        super().save()


class DiagnosticDocument:
    def __init__(self, vm: ReportViewModel, template: ReportTemplate, c: Components):
        self.vm = vm
        self.template = template
        self.c = c
        self.lang = c.lang
        self.labels = vm.labels

    def label(self, key: str) -> Text:
        return self.labels[key]

    # ------------------------------------------------------------ the document

    def render(self) -> bytes:
        buffer = BytesIO()
        t, vm = self.template, self.vm
        doc = BaseDocTemplate(
            buffer,
            pagesize=t.page_size,
            leftMargin=t.margins["left"],
            rightMargin=t.margins["right"],
            topMargin=t.margins["top"],
            bottomMargin=t.margins["bottom"],
            title=self.c.inline(vm.title, " / "),
            author=vm.subject.branch,
            subject=self.c.inline(vm.questionnaire_title, " / "),
            creator=self.c.inline(self.label("report_title"), " / "),
            lang=PDF_LANG[self.lang],
            initialFontName=self.c.styles.font,  # so not even an empty text state names a font without CJK glyphs
            initialFontSize=t.sizes["body"],
        )
        frame = Frame(
            doc.leftMargin,
            doc.bottomMargin,
            doc.width,
            doc.height,
            id="body",
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
        )
        templates = [PageTemplate("body", [frame]), PageTemplate("cover", [frame], onPage=self._mark_cover)]
        if t.sections[0] == "cover":
            templates.reverse()  # the first page template is the first page's
        doc.addPageTemplates(templates)
        story = self.story()
        doc.build(story, canvasmaker=lambda *a, **kw: _NumberedCanvas(*a, decorate=self.decorate_page, **kw))
        return buffer.getvalue()

    def story(self) -> list:
        story: list = []
        for section in self.template.sections:
            if story:
                story.append(PageBreak())
            story += getattr(self, section)()
        return story

    @staticmethod
    def _mark_cover(canvas, _doc):
        canvas._report_cover = True

    def decorate_page(self, canvas: Canvas, total: int) -> None:
        """The running header and footer; the cover has neither."""
        if getattr(canvas, "_report_cover", False):
            return
        t, vm, c = self.template, self.vm, self.c
        page = canvas.getPageNumber()
        page_of = self.label("page_of")
        pieces = {
            "branch": vm.subject.branch,
            "code": vm.subject.code,
            "parent": vm.subject.parent,
            "title": c.inline(self.label("report_title"), " "),
            "year": str(vm.subject.year),
            "page": c.inline(
                Text(page_of.zh % {"page": page, "pages": total}, page_of.en % {"page": page, "pages": total})
            ),
        }
        width, height = t.page_size
        left, right = t.margins["left"], width - t.margins["right"]
        size = t.sizes["small"]
        canvas.saveState()
        canvas.setFont(c.styles.font, size)
        canvas.setFillColor(t.colours["muted"])
        header_y = height - t.margins["top"] + size * 1.6
        canvas.drawString(left, header_y, t.header["left"].format(**pieces))
        canvas.drawRightString(right, header_y, t.header["right"].format(**pieces))
        canvas.setStrokeColor(t.colours["primary"])
        canvas.setLineWidth(0.6)
        canvas.line(left, header_y - size * 0.6, right, header_y - size * 0.6)
        footer_y = t.margins["bottom"] - size * 2.2
        canvas.setStrokeColor(t.colours["rule"])
        canvas.line(left, footer_y + size * 1.3, right, footer_y + size * 1.3)
        canvas.drawString(left, footer_y, t.footer["left"].format(**pieces))
        canvas.drawRightString(right, footer_y, t.footer["right"].format(**pieces))
        canvas.restoreState()

    # ------------------------------------------------------------ sections

    def cover(self) -> list:
        c, vm, s = self.c, self.vm, self.vm.subject
        colours = self.template.colours
        flow = [c.spacer(30)]
        flow += c.para(vm.questionnaire_title, "subtitle", style={"textColor": colours["muted"]})
        flow.append(c.spacer(4))
        flow += c.para(self.label("report_title"), "title")
        flow.append(c.spacer(18))
        flow += c.para(s.branch, "title", style={"textColor": colours["text"]})
        flow += c.para(self.label("report_subtitle"), "subtitle")
        flow.append(c.spacer(14))
        if s.draft:
            flow.append(
                c.box(
                    c.para(self.label("draft_mark"), "h2", style={"textColor": colours["warn"], "spaceBefore": 0})
                    + c.para(self.label("draft"), "body"),
                    colours["warn"],
                )
            )
            flow.append(c.spacer(12))
        flow.append(
            c.key_values(
                [
                    (self.label("branch"), f"{s.branch} ({s.code})"),
                    (self.label("parent"), s.parent),
                    (self.label("committee"), s.committee),
                    (self.label("year"), str(s.year)),
                    (self.label("submitted_on"), vm.submitted_on or self.label("not_submitted")),
                    (self.label("report_date"), vm.report_date),
                ]
            )
        )
        flow.append(c.spacer(18))
        flow.append(self._score_panel())
        return [NextPageTemplate("body"), *flow]

    def _score_panel(self):
        c, vm = self.c, self.vm
        colours = self.template.colours
        level_colour = self.template.level_colours[vm.level.id] if vm.level else colours["muted"]
        inner = c.para(self.label("overall"), "small")
        inner += c.para(
            f'<font size="{self.template.sizes["title"] * 1.4:g}">{vm.score}</font> / 100',
            "title",
            markup=True,
            style={"leading": self.template.sizes["title"] * 1.7, "textColor": level_colour},
        )
        if vm.level:
            inner += c.para(c.inline(vm.level.name), "h2", style={"textColor": level_colour, "spaceBefore": 2})
            inner += c.para(vm.level.description, "body")
        if vm.change is not None:
            inner += c.para(
                Text(f"{self.label('change').zh}: {vm.change}", f"{self.label('change').en}: {vm.change}"), "small"
            )
        return c.box(inner, level_colour)

    def summary(self) -> list:
        c, vm = self.c, self.vm
        t = self.template
        flow = c.heading(self.label("summary"))
        if vm.subject.draft and "cover" not in t.sections:
            flow += c.para(self.label("draft"), "body", style={"textColor": t.colours["warn"]})
        flow.append(self._radar())
        if vm.peer_count:
            flow += c.para(self.label("peer_note"), "small", style={"alignment": TA_CENTER})
        flow.append(c.spacer(6))
        flow.append(
            c.table(
                [
                    self.label("pillar"),
                    self.label("score"),
                    self.label("level"),
                    self.label("last_year"),
                    self.label("change"),
                    self.label("peers"),
                    self.label("peer_position"),
                ],
                [
                    [
                        p.name,
                        p.score,
                        p.level.name if p.level else "—",
                        p.previous_score or "—",
                        p.change or "—",
                        p.peer_average,
                        p.peer_position,
                    ]
                    for p in vm.pillars
                ]
                + [
                    [
                        self.label("overall"),
                        vm.score,
                        vm.level.name if vm.level else "—",
                        vm.previous_score or "—",
                        vm.change or "—",
                        "—",
                        vm.peer_position,
                    ]
                ],
                [0.24, 0.09, 0.14, 0.12, 0.13, 0.12, 0.16],
                numeric=(1, 2, 3, 4, 5, 6),
            )
        )
        flow += c.heading(self.label("priorities"), 2)
        if vm.priorities:
            flow.append(c.numbered([self._suggestion(s, in_summary=True) for s in vm.priorities]))
        else:
            flow += c.para(self.label("no_priorities"))
        heading = c.heading(self.label("flags"), 2)
        if vm.flags:
            inner = c.para(self.label("flags_intro"), "small")
            for flag in vm.flags:
                inner += c.para(flag, "body")
            flow.append(c.keep([*heading, c.box(inner, t.colours["warn"])]))  # a box cannot split: keep its heading
        else:
            flow += heading + c.para(self.label("no_flags"))
        return flow

    def _radar(self):
        c, vm, t = self.c, self.vm, self.template
        styles = {"this_year": (False, True), "last_year": (True, False), "peers": (True, False)}
        series = [
            ChartSeries(c.inline(s.label, " "), s.values, t.series_colours[s.key], *styles[s.key])
            for s in vm.radar.series
        ]
        return radar_chart(
            [c.parts(axis) for axis in vm.radar.axes],
            series,
            width=t.frame_width,
            height=t.chart_height,
            font=c.styles.font,
            font_size=t.sizes["small"],
            text_colour=t.colours["text"],
            grid_colour=t.colours["rule"],
        )

    def _suggestion(self, s, *, in_summary: bool = False) -> list:
        """A suggestion; in its pillar's section with the passage of the source it comes from."""
        c = self.c
        flow = c.para(s.text, "body", style={"spaceAfter": 1})
        gain = f"{c.inline(self.label('gain'))} {s.gain}"
        if in_summary:
            return flow + c.para(f"{c.inline(s.pillar)} · {gain}", "small")
        meta = f"{c.inline(self.label('priority'))} · {gain}" if s.priority else gain
        # The passage is quoted as the source has it, in Chinese; so is the source's title, but in English mode.
        title = s.source.en if self.lang == "en" else s.source.zh
        source = f"{c.inline(self.label('source'))}: {title} “{s.passage}”"
        return flow + c.para(f"{meta} — {source}", "small")

    def pillars(self) -> list:
        flow: list = []
        for i, pillar in enumerate(self.vm.pillars):
            if i and self.template.page_per_pillar:
                flow.append(PageBreak())
            flow += self.pillar_section(pillar)
        return flow

    def pillar_section(self, p) -> list:
        c, t = self.c, self.template
        labels = self.label
        level_colour = t.level_colours[p.level.id] if p.level else t.colours["muted"]
        flow = c.heading(p.name, 1, number=str(p.number))
        flow += c.para(p.description, "small")
        change = p.change if p.change is not None else "—"
        strip = c.table(
            [
                labels("score"),
                labels("level"),
                labels("last_year"),
                labels("change"),
                labels("peers"),
                labels("peer_position"),
            ],
            [
                [
                    c._para(p.score, "h2", style={"textColor": level_colour, "alignment": TA_CENTER, "spaceBefore": 0}),
                    c.cell(p.level.name if p.level else "—", align=TA_CENTER),
                    p.previous_score or "—",
                    change,
                    p.peer_average,
                    p.peer_position,
                ]
            ],
            [0.15, 0.17, 0.15, 0.17, 0.16, 0.2],
            numeric=(0, 1, 2, 3, 4, 5),
            zebra=False,
        )
        flow += [c.spacer(4), strip, c.spacer(6)]
        if p.level:
            flow.append(
                c.box(
                    c.para(f"{c.inline(labels('level_meaning'))}: {c.inline(p.level.name)}", "small")
                    + c.para(p.level.description, "body"),
                    level_colour,
                )
            )
        if p.previous_score is None:
            flow += c.para(labels("no_previous"), "small", style={"spaceBefore": 4})

        flow += c.heading(labels("items"), 2)
        flow.append(
            c.table(
                ["", labels("question"), labels("answer"), labels("weight"), labels("score")],
                [[r.id, r.question, r.answer, r.weight, r.score] for r in p.items],
                [0.07, 0.55, 0.18, 0.09, 0.11],
                numeric=(3, 4),
            )
        )

        for key, findings, colour, empty in (
            ("strengths", p.strengths, t.colours["good"], "no_strengths"),
            ("gaps", p.gaps, t.colours["warn"], "no_gaps"),
        ):
            flow += c.heading(labels(key), 2)
            if findings:
                flow.append(c.findings([(f.item_id, f.text, f.score) for f in findings], colour))
            else:
                flow += c.para(labels(empty), "small")

        flow += c.heading(labels("suggestions"), 2)
        if p.suggestions:
            flow.append(c.numbered([self._suggestion(s) for s in p.suggestions]))
        else:
            flow += c.para(labels("no_priorities"), "small")
        return flow

    def appendix(self) -> list:
        c, vm = self.c, self.vm
        labels = self.label
        flow = c.heading(labels("appendix"))
        for key in ("method_items", "method_means", "method_gain"):
            flow += c.para(labels(key))
        flow += c.heading(labels("weights"), 2)
        flow.append(
            c.table(
                [labels("pillar"), labels("weight"), labels("item_weights")],
                [[p.name, p.weight, ", ".join(f"{r.id} ×{r.weight}" for r in p.items)] for p in vm.pillars],
                [0.3, 0.15, 0.55],
                numeric=(1,),
            )
        )
        flow += c.heading(labels("levels"), 2)
        flow.append(
            c.table(
                [labels("level"), labels("range"), labels("description")],
                [[lv.name, lv.range, lv.description] for lv in vm.levels],
                [0.16, 0.12, 0.72],
                numeric=(1,),
            )
        )
        flow += c.heading(labels("evidence"), 2)
        if not vm.evidence:
            flow += c.para(labels("no_evidence"))
        for e in vm.evidence:
            entry = c.para(e.question, "small", style={"spaceAfter": 1})
            entry += c.para(e.answer if e.answer is not None else labels("not_answered"), "body")
            flow.append(
                c.keep(
                    [
                        *c.para(
                            f"{e.item_id} · {c.inline(e.pillar)}",
                            "small",
                            style={"textColor": self.template.colours["primary"]},
                        ),
                        *entry,
                    ]
                )
            )
        return flow
