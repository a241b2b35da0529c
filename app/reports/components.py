"""Reusable flowables of the report: styled paragraphs in one or both languages, headings,
tables, lists, call-outs. Each takes view-model values (`Text` pairs or plain strings) and
the template's styles; none knows which section it is in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from reportlab.lib.colors import Color
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Paragraph, Spacer, Table, TableStyle
from reportlab.platypus.paragraph import _centerDrawParaLine, _leftDrawParaLine
from reportlab.platypus.paraparser import ParaFrag

from app.assessment.questionnaire import Text

from .template import ReportTemplate

CJK = re.compile(r"[\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]")
KINDS = ("title", "subtitle", "h1", "h2", "body", "small", "table", "table_head")

Content = Text | str


class Para(Paragraph):
    """A Paragraph whose line breaks are worked out once per process for each text, style and width.

    Breaking lines (per glyph, for Chinese) is the costliest step of setting a paragraph,
    and it depends on nothing but the text, the style and the width. Most of a report is
    questionnaire text that every report sets again in the same styles and columns, and
    tables wrap each cell several times (to measure the rows, to draw, to split across
    pages), so the breaks are kept and shared. Pieces of a paragraph split across pages
    (made by ReportLab without a source text) are wrapped as usual.
    """

    _breaks: dict[tuple, tuple] = {}
    MAX_BREAKS = 4_000  # about 3 KB each; the questionnaire texts of all three modes take some 3,000

    def __init__(self, text: str, style: ParagraphStyle, frags=None, **kwargs):
        super().__init__(text, style, frags=frags, **kwargs)
        self._source = text

    def wrap(self, availWidth, availHeight):  # noqa: N803 (ReportLab's names)
        source = getattr(self, "_source", None)
        if source is None:
            return super().wrap(availWidth, availHeight)
        key = (self.style, source, availWidth)
        known = self._breaks.get(key)
        if known is None:
            super().wrap(availWidth, availHeight)
            if len(self._breaks) >= self.MAX_BREAKS:
                self._breaks.clear()
            known = self._breaks[key] = (self.blPara, self._wrapWidths, self.width, self.height)
        else:
            self.blPara, self._wrapWidths, self.width, self.height = known
        return self.width, self.height

    def drawOn(self, canvas, x, y, _sW=0):  # noqa: N802 (ReportLab's name)
        """Draw a plain paragraph (one style, left or centred) straight onto the canvas.

        ReportLab draws a paragraph inside two nested graphics states (the flowable's, moved
        to its place, and the paragraph's own); a report draws some five hundred paragraphs,
        and this takes a tenth off its rendering time. The lines are set by ReportLab's own
        line functions, so the text lands exactly where ReportLab puts it. Anything else
        (markup with several styles, bullets, backgrounds, links) takes ReportLab's path.
        """
        lines, style = self.__dict__.get("blPara"), self.style
        draw_line = _LINE_DRAWERS.get(style.alignment)
        if (
            lines is None
            or lines.kind != 0
            or draw_line is None
            or self.bulletText
            or style.backColor
            or style.borderWidth
            or style.firstLineIndent
            or getattr(lines, "us_lines", None)
            or getattr(lines, "link", None)
        ):
            return super().drawOn(canvas, x, y, _sW)
        canvas.saveState()
        canvas.setFillColor(lines.textColor)
        text = canvas.beginText(self._hAlignAdjust(x, _sW) + style.leftIndent, y + self.height - lines.fontSize)
        text.setFont(lines.fontName, lines.fontSize, style.leading)
        for extra_space, words in lines.lines:
            draw_line(text, 0, extra_space, words)
        canvas.drawText(text)
        canvas.restoreState()


_LINE_DRAWERS = {TA_LEFT: _leftDrawParaLine, TA_CENTER: _centerDrawParaLine}


def has_cjk(text: str) -> bool:
    return CJK.search(text) is not None


class Styles:
    """The template's paragraph styles, in a CJK-wrapping and a Latin-wrapping variant.

    Chinese has no spaces, so ReportLab must be told it may break between any two
    characters (`wordWrap="CJK"`); English wraps at spaces. The "secondary" variant sets
    the English under the Chinese in bilingual mode: smaller and muted.
    """

    def __init__(self, template: ReportTemplate, font: str):
        self.template = template
        self.font = font
        sizes, colours = template.sizes, template.colours
        base = {
            "title": (sizes["title"], colours["primary"], 0, 4),
            "subtitle": (sizes["subtitle"], colours["text"], 0, 2),
            "h1": (sizes["h1"], colours["primary"], 10, 6),
            "h2": (sizes["h2"], colours["primary"], 9, 3),
            "body": (sizes["body"], colours["text"], 0, 4),
            "small": (sizes["small"], colours["muted"], 0, 2),
            "table": (sizes["table"], colours["text"], 0, 0),
            "table_head": (sizes["table"], colours["text"], 0, 0),
        }
        self._styles: dict[tuple[str, bool, bool], ParagraphStyle] = {}
        for kind, (size, colour, before, after) in base.items():
            for cjk in (True, False):
                for secondary in (False, True):
                    if secondary:  # English under Chinese: smaller, and muted below headings
                        size_2 = size * (0.6 if kind == "title" else template.secondary)
                        colour_2 = colour if kind in ("title", "h1", "h2") else colours["muted"]
                    self._styles[kind, cjk, secondary] = ParagraphStyle(
                        f"{kind}-{'cjk' if cjk else 'latin'}{'-2' if secondary else ''}",
                        fontName=font,
                        fontSize=size_2 if secondary else size,
                        leading=(size_2 if secondary else size) * template.leading,
                        textColor=colour_2 if secondary else colour,
                        spaceBefore=0 if secondary else before,
                        spaceAfter=after if not secondary or kind in ("body", "small") else 0,
                        wordWrap="CJK" if cjk else None,
                        keepWithNext=0,
                        alignment=TA_LEFT,
                        allowWidows=0,
                    )

        self._derived: dict[tuple, ParagraphStyle] = {}
        self._fragments: dict[tuple, ParaFrag] = {}

    def get(self, kind: str, text: str, secondary: bool = False, overrides: dict | None = None) -> ParagraphStyle:
        """The style of `kind` for `text`, with `overrides` (e.g. textColor, alignment); made once."""
        key = (kind, has_cjk(text), secondary)
        if not overrides:
            return self._styles[key]
        derived_key = (*key, tuple(sorted(overrides.items())))
        style = self._derived.get(derived_key)
        if style is None:
            base = self._styles[key]
            style = self._derived.setdefault(derived_key, ParagraphStyle(f"{base.name}+", parent=base, **overrides))
        return style

    def fragment(self, style: ParagraphStyle, text: str) -> ParaFrag:
        """Plain text as the one fragment ReportLab's markup parser would make of it.

        Parsing is a good part of the cost of a paragraph, and nearly every paragraph of a
        report is plain text: the parser runs once per style, on a sample, and its
        fragment is copied with the real text. (Whitespace is collapsed as the parser would.)
        """
        key = (style.fontName, style.fontSize, style.textColor, style.textTransform)
        proto = self._fragments.get(key)
        if proto is None:
            proto = self._fragments.setdefault(key, Paragraph("x", style).frags[0])
        return proto.clone(text=" ".join(text.split()))


class Components:
    """Flowable factories for one language mode: "zh", "en" or "bilingual"."""

    def __init__(self, template: ReportTemplate, styles: Styles, lang: str):
        self.template = template
        self.styles = styles
        self.lang = lang
        self.colours = template.colours
        self.width = template.frame_width

    # ------------------------------------------------------------ text

    def parts(self, text: Content) -> list[str]:
        """The strings to set for `text` in this mode: one, or Chinese then English.

        A label not translated yet reads the same in both languages and is set once.
        """
        if isinstance(text, str):
            return [text]
        if self.lang == "bilingual":
            return [text.zh] if text.zh == text.en else [text.zh, text.en]
        return [text(self.lang)]

    def inline(self, text: Content, sep: str = " · ") -> str:
        return sep.join(self.parts(text))

    def para(self, text: Content, kind: str = "body", *, markup: bool = False, style: dict | None = None) -> list:
        """A paragraph; in bilingual mode the Chinese, then the English (or side by side)."""
        parts = self.parts(text)
        flowables = [self._para(p, kind, secondary=i > 0, markup=markup, style=style) for i, p in enumerate(parts)]
        if len(flowables) == 2 and self.template.bilingual == "columns":
            return [
                self.grid(
                    [flowables],
                    ["50%", "50%"],
                    [
                        ("LEFTPADDING", (0, 0), (0, -1), 0),
                        ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
                        ("TOPPADDING", (0, 0), (-1, -1), 0),
                    ],
                )
            ]
        return flowables

    def _para(self, text: str, kind: str, *, secondary=False, markup=False, style: dict | None = None) -> Paragraph:
        base = self.styles.get(kind, text, secondary, style)
        if markup:
            return Para(text, base)
        return Para(text, base, frags=[self.styles.fragment(base, text)])

    def heading(self, text: Content, level: int = 1, number: str | None = None) -> list:
        """A heading on one line: "领导示范 · Leadership example" in bilingual mode."""
        kind = "h1" if level == 1 else "h2"
        label = self.inline(text)
        if number:
            label = f"{number}  {label}"
        return [CondPageBreak(120 if level == 1 else 60), self._para(label, kind)]

    def cell(self, text: Content, kind: str = "table", *, align=None) -> list[Paragraph] | Paragraph:
        """A table cell: one paragraph, or the Chinese above the English in muted type."""
        parts = self.parts(text)
        style = {"alignment": align} if align is not None else None
        if len(parts) == 1:
            return self._para(parts[0], kind, style=style)
        return [self._para(p, kind, secondary=i > 0, style=style) for i, p in enumerate(parts)]

    def head_cell(self, text: Content, align=None) -> list[Paragraph] | Paragraph:
        return self.cell(text, "table_head", align=align)

    # ------------------------------------------------------------ blocks

    def spacer(self, height: float = 6) -> Spacer:
        return Spacer(1, height)

    def table(
        self,
        header: Sequence[Content] | None,
        rows: Sequence[Sequence],
        widths: Sequence[float],
        *,
        numeric: Sequence[int] = (),
        zebra: bool = True,
    ) -> Table:
        """A table; `widths` are fractions of the frame, `numeric` the columns set centred."""
        data = []
        if header is not None:
            data.append([self.head_cell(h, TA_CENTER if i in numeric else None) for i, h in enumerate(header)])
        for row in rows:
            data.append([self._table_cell(cell, i in numeric) for i, cell in enumerate(row)])
        commands = [
            *(("ALIGN", (i, 0), (i, -1), "CENTER") for i in numeric),
            ("LINEBELOW", (0, 0), (-1, -1), 0.4, self.colours["rule"]),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ("LEFTPADDING", (0, 0), (-1, -1), 4),
            ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ]
        if header is not None:
            commands += [
                ("BACKGROUND", (0, 0), (-1, 0), self.colours["table_header"]),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, self.colours["primary"]),
                ("VALIGN", (0, 0), (-1, 0), "MIDDLE"),
            ]
        if zebra:
            start = 1 if header is not None else 0
            commands += [("BACKGROUND", (0, r), (-1, r), self.colours["shade"]) for r in range(start + 1, len(data), 2)]
        return self.grid(data, widths, commands, repeat_rows=1 if header is not None else 0)

    def grid(self, data: list, widths: Sequence[float], commands: list, repeat_rows: int = 0) -> Table:
        """A Table whose plain-string cells are set in the report font.

        `widths` are fractions of the frame, or percentages ("50%") of wherever the table stands.
        """
        size = self.template.sizes["table"]
        widths = [w if isinstance(w, str) else w * self.width for w in widths]
        table = Table(data, colWidths=widths, repeatRows=repeat_rows)
        table.setStyle(
            TableStyle(
                [
                    # Every cell, even one holding a paragraph, sets the cell font: never let it be Helvetica.
                    ("FONT", (0, 0), (-1, -1), self.styles.font, size, size * self.template.leading),
                    ("TEXTCOLOR", (0, 0), (-1, -1), self.colours["text"]),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    *commands,
                ]
            )
        )
        return table

    def _table_cell(self, cell, numeric: bool):
        """A short string (a score, an id, "是") is drawn as it is: no paragraph to parse and wrap."""
        if isinstance(cell, Flowable | list):
            return cell
        if isinstance(cell, Text) and len(parts := self.parts(cell)) == 1:
            cell = parts[0]
        if isinstance(cell, str) and len(cell) <= (4 if has_cjk(cell) else 16):
            return cell
        return self.cell(cell, align=TA_CENTER if numeric else None)

    def key_values(self, pairs: Sequence[tuple[Content, Content]], label_width: float = 0.3) -> Table:
        """Label–value rows without a header, as on the cover."""
        rows = [[self.cell(k, "small"), self.cell(v, "body")] for k, v in pairs]
        return self.grid(
            rows,
            [label_width, 1 - label_width],
            [
                ("LINEBELOW", (0, 0), (-1, -1), 0.4, self.colours["rule"]),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ],
        )

    def box(self, flowables: list, colour: Color, *, background: Color | None = None, width: float = 1.0) -> Table:
        """Flowables in a box with a coloured bar on the left: call-outs, score panels."""
        return self.grid(
            [[flowables]],
            [width],
            [
                ("LINEBEFORE", (0, 0), (0, -1), 3, colour),
                ("BACKGROUND", (0, 0), (-1, -1), background or self.colours["shade"]),
                ("LEFTPADDING", (0, 0), (-1, -1), 10),
                ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ],
        )

    def numbered(self, entries: Sequence[list], marker_colour: Color | None = None, markers=None) -> Table:
        """A list: each entry (a list of flowables) beside its marker ("1", "2", … or given)."""
        size = self.template.sizes["body"]
        rows = [[markers[i] if markers else f"{i + 1}", entry] for i, entry in enumerate(entries)]
        return self.grid(
            rows,
            [0.06, 0.94],
            [
                ("FONT", (0, 0), (0, -1), self.styles.font, size, size * self.template.leading),
                ("TEXTCOLOR", (0, 0), (0, -1), marker_colour or self.colours["primary"]),
                ("ALIGN", (0, 0), (0, -1), "CENTER"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 2),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            ],
        )

    def findings(self, rows: Sequence[tuple[str, Content, str]], colour: Color) -> Table:
        """Strengths or gaps: item id, the statement, the item's score."""
        data = [[item_id, self.cell(text, "table"), score] for item_id, text, score in rows]
        return self.grid(
            data,
            [0.07, 0.82, 0.11],
            [
                ("TEXTCOLOR", (0, 0), (0, -1), colour),
                ("TEXTCOLOR", (2, 0), (2, -1), colour),
                ("ALIGN", (2, 0), (2, -1), "CENTER"),
                ("LINEBEFORE", (0, 0), (0, -1), 2, colour),
                ("LINEBELOW", (0, 0), (-1, -1), 0.4, self.colours["rule"]),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ],
        )

    def keep(self, flowables: list) -> KeepTogether:
        return KeepTogether(flowables)
