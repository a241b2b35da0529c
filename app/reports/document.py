"""The diagnostic report as a PDF: a view-model in, bytes out.

`DiagnosticDocument` builds the story in small named steps, one per section, in the order
the template lists them: page 1 is the summary a committee reads in a minute, then one
section per pillar, then the appendix. Sections follow on without forced page breaks (a
break after the summary only when page 1 is well filled), and no heading is left alone at
the foot of a page, so no page but the last stands nearly empty. The pages get their
running header and footer ("Page x of y"), and a draft its mark on every page, when the
document is saved, once the number of pages is known.
"""

from __future__ import annotations

from io import BytesIO

from reportlab.lib.enums import TA_CENTER
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate

from app.assessment.text import MODES, Text, fill

from ..charts import ChartSeries, Style, grouped_bar_chart
from .components import Bookmark, BreakIfFilled, Components, components_for
from .template import ReportTemplate, load_template
from .viewmodel import ReportViewModel, SuggestionView

PDF_LANG = {"zh": "zh-CN", "en": "en", "bilingual": "zh-CN"}
MIN_FILL = 0.3  # no page but the last is less full than this
BREAK_FILL = MIN_FILL + 0.1  # a section starts a new page only below this much of the last (spacing included)
LABEL_VALUE = Text("%(label)s：%(value)s", "%(label)s: %(value)s")
SERIES_STYLES = {"this_year": "solid", "last_year": "light", "peers": "outline"}


def page_text(page_of: Text, page: int, total: int) -> Text:
    """ "Page x of y" in both languages."""
    return Text(page_of.zh % {"page": page, "pages": total}, page_of.en % {"page": page, "pages": total})


def render_diagnostic_pdf(viewmodel: ReportViewModel, template_name: str = "default", lang: str = "bilingual") -> bytes:
    """The report as PDF bytes, in "zh", "en" or "bilingual", laid out by report_templates/<template_name>.yaml."""
    return _render(DiagnosticDocument, viewmodel, template_name, lang)


def render_rectification_pdf(viewmodel: ReportViewModel, template_name="default", lang="bilingual") -> bytes:
    """The rectification list alone, to print and pin up: in the report's layout, with each action's
    progress notes and account."""
    return _render(RectificationListDocument, viewmodel, template_name, lang)


def _render(document, viewmodel: ReportViewModel, template_name: str, lang: str) -> bytes:
    if lang not in MODES:
        raise ValueError(f"unknown report language {lang!r} (expected one of {', '.join(MODES)})")
    template = load_template(template_name)
    return document(viewmodel, template, components_for(template, lang)).render()


def build_pdf(c: Components, story: list, decorate, **meta) -> bytes:
    """`story` on pages of `c`'s layout, one frame within the margins; `decorate(canvas, total)`
    draws each page's frame once the number of pages is known; `meta`: title, subject … of the file."""
    buffer = BytesIO()
    t = c.template
    doc = BaseDocTemplate(
        buffer,
        pagesize=t.page_size,
        leftMargin=t.margins["left"],
        rightMargin=t.margins["right"],
        topMargin=t.margins["top"],
        bottomMargin=t.margins["bottom"],
        lang=PDF_LANG[c.lang],
        initialFontName=c.styles.font,  # so not even an empty text state names a font without CJK glyphs
        initialFontSize=t.sizes["body"],
        **meta,
    )
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body", leftPadding=0, rightPadding=0,
                  topPadding=0, bottomPadding=0)  # fmt: skip
    doc.addPageTemplates([PageTemplate("body", [frame])])
    doc.build(story, canvasmaker=lambda *a, **kw: _NumberedCanvas(*a, decorate=decorate, **kw))
    return buffer.getvalue()


class _NumberedCanvas(Canvas):
    """Holds the pages back until the end, so each can say how many pages there are."""

    def __init__(self, *args, decorate, **kwargs):
        super().__init__(*args, **kwargs)
        self._decorate = decorate
        self._held: list[dict] = []
        self.showOutline()  # viewers open the report with its bookmarks shown

    def showPage(self):  # noqa: N802 (ReportLab's name)
        self._held.append(dict(self.__dict__))
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
        vm = self.vm
        return build_pdf(
            self.c,
            self.story(),
            self.decorate_page,
            title=self.c.inline(vm.title, " / "),
            author=vm.subject.branch,
            subject=self.c.inline(vm.questionnaire_title, " / "),
            creator=self.c.inline(self.label("app_name"), " / "),
        )

    def story(self) -> list:
        """The sections in order. Each after the first starts a page if the page so far is well
        filled; the pillars start page 2 only when the summary fits on page 1, else they follow it."""
        story: list = []
        for section in self.template.sections:
            if story:
                story.append(BreakIfFilled(BREAK_FILL, last_page=1 if section == "pillars" else None))
            story += getattr(self, section)()
        return story

    def decorate_page(self, canvas: Canvas, total: int) -> None:
        """The running header (not on page 1, which has the title), the footer, and a draft's mark."""
        t, vm, c = self.template, self.vm, self.c
        page = canvas.getPageNumber()
        page_of = self.label("page_of")
        pieces = {
            "branch": vm.subject.branch,
            "code": vm.subject.code,
            "parent": vm.subject.parent,
            "title": c.inline(self.label("report_title"), " "),
            "year": str(vm.subject.year),
            "page": c.inline(page_text(page_of, page, total), " "),
        }
        width, height = t.page_size
        left, right = t.margins["left"], width - t.margins["right"]
        size = t.sizes["small"]
        canvas.saveState()
        canvas.setFont(c.styles.font, size)
        canvas.setFillColor(t.colours["muted"])
        header_y = height - t.margins["top"] + size * 1.6
        if page > 1:
            canvas.drawString(left, header_y, t.header["left"].format(**pieces))
            canvas.drawRightString(right, header_y, t.header["right"].format(**pieces))
            canvas.setStrokeColor(t.colours["primary"])
            canvas.setLineWidth(0.6)
            canvas.line(left, header_y - size * 0.6, right, header_y - size * 0.6)
        footer_y = t.margins["bottom"] - size * 2.2
        canvas.setStrokeColor(t.colours["rule"])
        canvas.setLineWidth(0.6)
        canvas.line(left, footer_y + size * 1.3, right, footer_y + size * 1.3)
        canvas.drawString(left, footer_y, t.footer["left"].format(**pieces))
        canvas.drawRightString(right, footer_y, t.footer["right"].format(**pieces))
        if vm.subject.draft:
            self._draft_mark(canvas, width / 2, header_y + size * 1.4)
        canvas.restoreState()

    def _draft_mark(self, canvas: Canvas, x: float, y: float) -> None:
        """ "草稿 / Draft" in a box above the running header, in the warning colour and bold."""
        t = self.template
        text = self.c.inline(self.label("draft_mark"), " / ")
        size = t.sizes["h2"]
        text_width = canvas.stringWidth(text, self.c.styles.font, size)
        colour = t.colours["warn"]
        canvas.setStrokeColor(colour)
        canvas.setFillColor(colour)
        canvas.setLineWidth(1.2)
        canvas.roundRect(x - text_width / 2 - 8, y - size * 0.45, text_width + 16, size * 1.6, 3)
        mark = canvas.beginText(x - text_width / 2, y)
        mark.setFont(self.c.styles.font, size)
        mark.setTextRenderMode(2)
        canvas.setLineWidth(size * t.bold)
        mark.textOut(text)
        canvas.drawText(mark)

    def title_block(self, bookmark: str, title: str) -> list:
        """The bookmark, the title, "branch · what" and the facts of the self-check."""
        c, vm = self.c, self.vm
        flow: list = [Bookmark(c.inline(self.label(bookmark)), 0)]
        flow += c.para(self.label(title), "title")
        flow += c.para(
            fill(
                Text("%(branch)s　%(what)s", "%(branch)s · %(what)s"),
                branch=vm.subject.branch,
                what=self.label("report_subtitle"),
            ),
            "subtitle",
            style={"textColor": self.template.colours["text"], "spaceAfter": 4},
        )
        flow.append(self._facts())
        return flow

    # ------------------------------------------------------------ page 1: the summary

    def summary(self) -> list:
        c, vm, t = self.c, self.vm, self.template
        flow = self.title_block("summary", "report_title")
        if vm.subject.draft:
            flow += [c.spacer(6), c.box(c.para(self.label("draft"), "body"), t.colours["warn"])]
        flow += [c.spacer(8), self._score_panel()]
        if vm.level:
            flow += c.para(vm.level.description, "body", style={"spaceBefore": 4})
        flow += c.para(vm.peer_note, "small")
        flow += self._flags()
        flow += c.titled(c.heading(self.label("priorities"), 2), self._actions(vm.priorities, "no_priorities"))
        flow += c.titled(c.heading(self.label("chart"), 2), [self._chart(), c.spacer(4), self._pillar_table()])
        return flow

    def _facts(self):
        c, vm, s = self.c, self.vm, self.vm.subject
        submitted = vm.submitted_on or self.label("not_submitted")
        pairs = [
            (self.label("branch"), f"{s.branch}（{s.code}）" if self.lang != "en" else f"{s.branch} ({s.code})"),
            (self.label("submitted_on"), submitted),
            (self.label("parent"), s.parent),
            (self.label("report_date"), vm.report_date),
            (self.label("committee"), s.committee),
            ("", ""),
        ]
        rows = [
            [c.cell(k1, "small"), c.cell(v1), c.cell(k2, "small"), c.cell(v2)]
            for (k1, v1), (k2, v2) in zip(pairs[::2], pairs[1::2], strict=True)
        ]
        return c.grid(
            rows,
            [0.16, 0.34, 0.16, 0.34],
            [
                ("LINEBELOW", (0, 0), (-1, -1), 0.4, self.template.colours["rule"]),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ],
        )

    def _score_panel(self):
        """Overall score and level, change since last year, position among the peers: one row."""
        c, vm, t = self.c, self.vm, self.template
        level_colour = t.level_colours[vm.level.id] if vm.level else t.colours["muted"]
        big = {"alignment": TA_CENTER, "spaceBefore": 0, "bold_stroke": 0}  # figures: bold is for headings

        def figure(value: str, colour) -> list:
            return c.para(value, "title", style={**big, "textColor": colour, "spaceAfter": 2})

        def caption(text) -> list:
            return c.para(text, "small", style={"alignment": TA_CENTER})

        overall = caption(self.label("overall")) + figure(vm.score, level_colour)
        if vm.level:
            overall += c.para(vm.level.name, "h2", style={**big, "textColor": level_colour})
        change = caption(self.label("change")) + figure(vm.change or "—", t.colours["text"])
        change += caption(
            fill(LABEL_VALUE, label=self.label("last_year"), value=vm.previous_score)
            if vm.previous_score
            else self.label("no_previous")
        )
        if vm.last_year_actions:
            change += caption(vm.last_year_actions)
        position = caption(self.label("peer_position")) + c.para(
            vm.peer_position, "h2", style={**big, "textColor": t.colours["text"]}
        )
        if vm.peer_count:
            position += caption(fill(LABEL_VALUE, label=self.label("peers"), value=vm.peer_average))
        return c.grid(
            [[overall, change, position]],
            [0.34, 0.33, 0.33],
            [
                ("BACKGROUND", (0, 0), (-1, -1), t.colours["shade"]),
                ("LINEABOVE", (0, 0), (-1, 0), 2, level_colour),
                ("LINEAFTER", (0, 0), (1, 0), 0.4, t.colours["rule"]),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ],
        )

    def _flags(self) -> list:
        c, vm, t = self.c, self.vm, self.template
        heading = c.heading(self.label("flags"), 2)
        if not vm.flags:
            return c.titled(heading, c.para(self.label("no_flags")))
        inner = c.para(self.label("flags_intro"), "small")
        for flag in vm.flags:
            inner += c.para(flag, "body")
        return c.titled(heading, [c.box(inner, t.colours["warn"])])

    def _actions(self, actions: tuple[SuggestionView, ...], empty: str, *, sources: bool = False) -> list:
        """A numbered list of suggestions: each with who leads it, when, its gain and its trigger."""
        c = self.c
        if not actions:
            return c.para(self.label(empty))
        entries = []
        for s in actions:
            entry = c.para(s.text, "body", style={"spaceAfter": 1})
            entry += c.para(s.meta, "small", style={"textColor": self.template.colours["primary"]})
            if sources:
                entry += c.para(s.source, "small")
            entries.append(entry)
        return [c.numbered(entries)]

    def _chart(self):
        c, vm, t = self.c, self.vm, self.template
        series = [
            ChartSeries(c.parts(s.label), s.values, t.series_colours[s.key], SERIES_STYLES[s.key])
            for s in vm.chart.series
        ]
        return grouped_bar_chart(
            [c.parts(name) for name in vm.chart.categories],
            series,
            width=t.frame_width,
            style=Style(c.styles.font, t.sizes["small"], t.colours["text"], t.colours["rule"]),
            missing=c.inline(self.label("not_answered"), " / "),
        )

    def _pillar_table(self):
        c, vm = self.c, self.vm
        return c.table(
            [self.label("pillar"), self.label("score"), self.label("level"), self.label("change")]
            + ([self.label("peer_position")] if vm.peer_count else []),
            [
                [p.name, p.score, p.level.name if p.level else "—", p.change or "—"]
                + ([p.peer_position] if vm.peer_count else [])
                for p in vm.pillars
            ],
            [0.3, 0.14, 0.16, 0.16, 0.24] if vm.peer_count else [0.4, 0.2, 0.2, 0.2],
            numeric=(1, 2, 3, 4),
        )

    # ------------------------------------------------------------ the rectification list

    def rectification(self) -> list:
        """Each action with who leads it, its deadline and its status; left out for a reader who
        may not see the list (`actions` None)."""
        c, vm = self.c, self.vm
        if vm.actions is None:
            return []
        heading = c.heading(self.label("rectification"), 1, outline=0)
        if not vm.actions:
            return c.titled(heading, c.para(self.label("no_actions")))
        rows = [
            [
                str(number),
                [*c.para(a.problem, "table", style={"spaceAfter": 2}), *self._measure(a)],
                a.owner,
                a.deadline,
                self._status(a),
            ]
            for number, a in enumerate(vm.actions, 1)
        ]
        table = c.table(
            ["", self.label("problem"), self.label("owner"), self.label("deadline"), self.label("status")],
            rows,
            [0.05, 0.53, 0.16, 0.14, 0.12],
            numeric=(0, 4),
        )
        return c.titled(heading, [table])

    def _measure(self, a) -> list:
        return self._labelled("measure", a.measure)

    def _labelled(self, key: str, text: str) -> list:
        """The branch's own words (one language) after a fixed label (in the report's languages)."""
        c = self.c
        return c.para(f"{c.inline(self.label(key), ' / ')}{'：' if self.lang != 'en' else ': '}{text}", "small")

    def _status(self, a):
        colour = self.template.colours["warn" if a.overdue else "text"]
        return self.c.para(a.status, "table", style={"textColor": colour, "alignment": TA_CENTER})

    # ------------------------------------------------------------ one section per pillar

    def pillars(self) -> list:
        flow: list = []
        for pillar in self.vm.pillars:
            flow += self.pillar_section(pillar)
        return flow

    def pillar_section(self, p) -> list:
        c, t = self.c, self.template
        labels = self.label
        level_colour = t.level_colours[p.level.id] if p.level else t.colours["muted"]
        peers = bool(self.vm.peer_count)
        strip = c.table(
            [labels("score"), labels("level"), labels("last_year"), labels("change")]
            + ([labels("peers"), labels("peer_position")] if peers else []),
            [
                [
                    c._para(p.score, "h2", style={"textColor": level_colour, "alignment": TA_CENTER, "bold_stroke": 0}),
                    c.cell(p.level.name if p.level else "—", align=TA_CENTER),
                    p.previous_score or "—",
                    p.change or "—",
                ]
                + ([p.peer_average, c.cell(p.peer_position, align=TA_CENTER)] if peers else [])
            ],
            [0.13, 0.14, 0.16, 0.17, 0.16, 0.24] if peers else [0.25, 0.25, 0.25, 0.25],
            numeric=(0, 1, 2, 3, 4, 5),
            zebra=False,
        )
        intro = c.para(p.description, "small")
        # The heading, its description and its scores move together: no page begins with a heading-less strip.
        flow = c.titled(c.heading(p.name, 1, number=str(p.number), outline=0) + intro, [strip, c.spacer(6)])
        if p.level_text is not None:
            flow.append(c.box(c.para(labels("level_meaning"), "small") + c.para(p.level_text, "body"), level_colour))
        if p.previous_score is None:
            flow += c.para(labels("no_previous"), "small", style={"spaceBefore": 4})

        flow += c.titled(
            c.heading(labels("items"), 2),
            [
                c.table(
                    ["", labels("question"), labels("answer"), labels("weight"), labels("score")],
                    [[r.id, r.question, r.answer, r.weight, r.score] for r in p.items],
                    [0.07, 0.53, 0.2, 0.09, 0.11],
                    numeric=(3, 4),
                )
            ],
        )
        for key, findings, colour, empty in (
            ("strengths", p.strengths, t.colours["good"], "no_strengths"),
            ("gaps", p.gaps, t.colours["warn"], "no_gaps"),
        ):
            body = (
                [c.findings([(f.item_id, f.text, f.score) for f in findings], colour)]
                if findings
                else c.para(labels(empty), "small")
            )
            flow += c.titled(c.heading(labels(key), 2), body)

        priorities = [s for s in self.vm.priorities if s.pillar_id == p.id]
        suggestions = self._actions((*priorities, *p.suggestions), "no_suggestions", sources=True)
        if p.further:
            suggestions += c.para(fill(labels("more_in_appendix"), count=str(len(p.further))), "small")
        flow += c.titled(c.heading(labels("suggestions"), 2), suggestions)
        return flow

    # ------------------------------------------------------------ the appendix

    def appendix(self) -> list:
        c, vm = self.c, self.vm
        labels = self.label
        further = [p for p in vm.pillars if p.further]
        sep = ", " if self.lang == "en" else "，"
        flow = c.heading(labels("appendix"), 1, outline=0)
        if further:
            flow += c.heading(labels("further_suggestions"), 2, outline=1)
            for p in further:
                flow += c.titled(
                    c.para(p.name, "body", style={"textColor": self.template.colours["primary"]}),
                    self._actions(p.further, "no_suggestions", sources=True),
                )
        flow += c.titled(
            c.heading(labels("method"), 2, outline=1),
            [f for key in ("method_items", "method_means", "method_gain") for f in c.para(labels(key))],
        )
        flow += c.titled(
            c.heading(labels("weights"), 2),
            [
                c.table(
                    [labels("pillar"), labels("weight"), labels("item_weights")],
                    [[p.name, p.weight, sep.join(f"{r.id}\u00a0×{r.weight}" for r in p.items)] for p in vm.pillars],
                    [0.26, 0.14, 0.6],
                    numeric=(1,),
                )
            ],
        )
        flow += c.titled(
            c.heading(labels("levels"), 2),
            [
                c.table(
                    [labels("level"), labels("range"), labels("description")],
                    [[lv.name, lv.range, lv.description] for lv in vm.levels],
                    [0.16, 0.14, 0.7],
                    numeric=(1,),
                )
            ],
        )
        evidence = []
        for e in vm.evidence:
            pillar = e.pillar.en if self.lang == "en" else e.pillar.zh
            entry = c.para(f"{e.item_id}\u00a0{pillar}", "small", style={"spaceAfter": 0})
            entry += c.para(e.question, "small", style={"spaceAfter": 1})
            entry += c.para(e.answer if e.answer is not None else labels("not_answered"), "body")
            evidence.append([entry])
        body = [c.rows(evidence)] if evidence else c.para(labels("no_evidence"))
        flow += c.titled(c.heading(labels("evidence"), 2, outline=1), body)
        files = [[f.attached_to, f.name, f.size, f.uploaded_on] for f in vm.files]
        header = [labels("attached_to"), labels("file_name"), labels("file_size"), labels("uploaded_on")]
        table = [c.table(header, files, [0.3, 0.42, 0.12, 0.16], numeric=(2, 3))] if files else []
        flow += c.titled(
            c.heading(labels("evidence_files"), 2, outline=1), table or c.para(labels("no_evidence_files"))
        )
        return flow


class RectificationListDocument(DiagnosticDocument):
    """The rectification list on its own: the report's title block, page frame and table style,
    then every action with its progress notes and, once closed, what was done."""

    def story(self) -> list:
        c, vm = self.c, self.vm
        flow = self.title_block("rectification", "rectification")
        if vm.last_year_actions:
            flow += c.para(vm.last_year_actions, "body", style={"spaceBefore": 6})
        flow.append(c.spacer(8))
        if not vm.actions:
            return flow + c.para(self.label("no_actions"))
        flow.append(c.numbered([self._entry(a) for a in vm.actions]))
        return flow

    def _entry(self, a) -> list:
        c, labels = self.c, self.label
        entry = c.para(a.problem, "body", style={"spaceAfter": 1})
        entry += self._measure(a)
        facts = [
            [c.cell(labels("owner"), "small"), a.owner],
            [c.cell(labels("deadline"), "small"), a.deadline],
            [c.cell(labels("status"), "small"), self._status(a)],
        ]
        entry.append(c.grid(facts, [0.2, 0.74], [("LEFTPADDING", (0, 0), (-1, -1), 0)]))
        if a.notes:
            entry += c.para(labels("progress_notes"), "small", style={"spaceBefore": 2})
            entry.append(
                c.grid(
                    [[c.cell(day, "small"), c.cell(text, "small")] for day, text in a.notes],
                    [0.2, 0.74],
                    [("LEFTPADDING", (0, 0), (-1, -1), 0)],
                )
            )
        if a.account:
            entry += self._labelled("account", a.account)
        return entry
