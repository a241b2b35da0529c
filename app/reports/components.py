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
from reportlab.lib.textsplit import getCharWidths
from reportlab.platypus import Flowable, FrameBreak, Paragraph, Spacer, Table, TableStyle
from reportlab.platypus.paraparser import ParaFrag

from app.assessment.questionnaire import Text

from ..patches import LINE_DRAWERS
from .fonts import report_font
from .linebreak import break_lines
from .template import ReportTemplate

CJK = re.compile(r"[\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]")
SPACES = re.compile(r"[ \t\r\n]+")

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

    def breakLinesCJK(self, maxWidths):  # noqa: N802, N803 (ReportLab's names)
        """A plain paragraph's lines broken by the rules of Chinese typesetting (see `linebreak`).

        Markup with several styles, bullets and the pieces of a split paragraph take ReportLab's path.
        """
        frags = self.frags
        if len(frags) != 1 or self.bulletText or getattr(self, "_splitpara", 0) or not hasattr(frags[0], "text"):
            return super().breakLinesCJK(maxWidths)
        frag = frags[0]
        widths = maxWidths if isinstance(maxWidths, list | tuple) else [maxWidths]
        self.height = 0
        lines = break_lines(frag.text, getCharWidths(frag.text, frag.fontName, frag.fontSize), widths)
        return frag.clone(
            kind=0,
            lines=[(extra, [line]) for extra, line in lines],
            ascent=frag.fontSize,
            descent=-0.2 * frag.fontSize,
        )

    def drawOn(self, canvas, x, y, _sW=0):  # noqa: N802 (ReportLab's name)
        """Draw a plain paragraph (one style, left or centred) straight onto the canvas.

        ReportLab draws a paragraph inside two nested graphics states (the flowable's, moved
        to its place, and the paragraph's own); a report draws some five hundred paragraphs,
        and this takes a tenth off its rendering time. The lines are set by ReportLab's own
        line functions, so the text lands exactly where ReportLab puts it. Anything else
        (markup with several styles, bullets, backgrounds, links) takes ReportLab's path.

        A style with `bold_stroke` (headings) is set in a synthetic bold: each glyph filled and
        stroked with that line width, the embedded face made heavier (it has no bold face).
        """
        lines, style = self.__dict__.get("blPara"), self.style
        draw_line = LINE_DRAWERS.get(style.alignment)
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
        stroke = getattr(style, "bold_stroke", 0)
        if stroke:
            canvas.setStrokeColor(lines.textColor)
            canvas.setLineWidth(stroke)
            text.setTextRenderMode(2)  # fill, then stroke
        for extra_space, words in lines.lines:
            draw_line(text, 0, extra_space, words)
        canvas.drawText(text)
        canvas.restoreState()


def has_cjk(text: str) -> bool:
    return CJK.search(text) is not None


class Styles:
    """The template's paragraph styles, in a CJK-wrapping and a Latin-wrapping variant.

    Chinese has no spaces, so ReportLab must be told it may break between characters
    (`wordWrap="CJK"`, by the rules of `linebreak`); English wraps at spaces. The
    "secondary" variant sets the English under the Chinese in bilingual mode: a little
    smaller and muted. Titles and headings are set in the synthetic bold (`bold_stroke`).
    """

    BOLD = ("title", "h1", "h2")

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
                    if secondary:  # English under Chinese: a little smaller (not below 9 pt), muted below headings
                        size_2 = size * 0.7 if kind == "title" else max(size * template.secondary, min(size, 9))
                        colour_2 = colour if kind in ("title", "h1", "h2") else colours["muted"]
                    self._styles[kind, cjk, secondary] = ParagraphStyle(
                        f"{kind}-{'cjk' if cjk else 'latin'}{'-2' if secondary else ''}",
                        fontName=font,
                        bold_stroke=(size_2 if secondary else size) * template.bold if kind in self.BOLD else 0,
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
        fragment is copied with the real text. (Whitespace is collapsed as the parser would,
        but a no-break space stays: it glues an id to its figure.)
        """
        key = (style.fontName, style.fontSize, style.textColor, style.textTransform)
        proto = self._fragments.get(key)
        if proto is None:
            proto = self._fragments.setdefault(key, Paragraph("x", style).frags[0])
        return proto.clone(text=" ".join(SPACES.split(text.strip(" \t\r\n"))))


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

    def heading(self, text: Content, level: int = 1, number: str | None = None, outline: int | None = None) -> list:
        """A heading in bold: the Chinese, then the English below it in bilingual mode.

        With `outline` (the outline level), the heading is also a bookmark of the PDF.
        """
        kind = "h1" if level == 1 else "h2"
        parts = self.parts(text)
        flow: list = []
        if outline is not None:
            flow.append(Bookmark(" · ".join(parts) if number is None else f"{number} {' · '.join(parts)}", outline))
        for i, part in enumerate(parts):
            flow.append(self._para(f"{number}  {part}" if number and i == 0 else part, kind, secondary=i > 0))
        return flow

    def titled(self, heading: list, flow: list) -> list:
        """`flow` under `heading`, which never stands alone at the foot of a page."""
        if not flow:
            return heading
        return [KeepWithNext(heading, flow[0]), *flow[1:]]

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

    def numbered(self, entries: Sequence[list]) -> Table:
        """A numbered list: each entry (a list of flowables) beside its number."""
        size = self.template.sizes["body"]
        rows = [[f"{i + 1}", entry] for i, entry in enumerate(entries)]
        return self.grid(
            rows,
            [0.06, 0.94],
            [
                ("FONT", (0, 0), (0, -1), self.styles.font, size, size * self.template.leading),
                ("TEXTCOLOR", (0, 0), (0, -1), self.colours["primary"]),
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

    def rows(self, entries: Sequence[list]) -> Table:
        """Entries one below the other, each kept whole: a page may break between them, not inside one."""
        return self.grid(
            entries,
            [1.0],
            [
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ],
        )


class KeepWithNext(Flowable):
    """A heading and the flowable that follows it, so that the heading never ends a page.

    Placed whole where it fits; otherwise the heading goes with as much of the following
    flowable as fits below it (a table's first rows, a paragraph's first lines, as that
    flowable splits itself), and to the next page when not even a piece of it fits.
    """

    def __init__(self, heading: list, following: Flowable):
        super().__init__()
        self.heading = heading
        self.following = following

    def wrap(self, availWidth, availHeight):  # noqa: N803 (ReportLab's names)
        return availWidth, 0xFFFFFF  # never drawn itself: the frame always asks it to split

    def split(self, availWidth, availHeight):  # noqa: N803
        canvas, at_top = self.canv, getattr(getattr(self, "_frame", None), "_atTop", False)
        heading = 0
        for f in self.heading:  # as the frame places them: space before each (none at the top), height, space after
            height = f.wrapOn(canvas, availWidth, availHeight)[1]
            heading += (0 if at_top else f.getSpaceBefore()) + height + f.getSpaceAfter()
            at_top = at_top and not height
        room = availHeight - heading - self.following.getSpaceBefore()
        if room > 0:
            if self.following.wrapOn(canvas, availWidth, room)[1] <= room:
                return [*self.heading, self.following]
            pieces = self.following.splitOn(canvas, availWidth, room)
            if pieces:
                return [*self.heading, *pieces]
        if at_top:  # nothing more fits on a fresh page either
            return [*self.heading, self.following]
        return [FrameBreak(), *self.heading, self.following]


class Bookmark(Flowable):
    """An entry of the PDF's outline (bookmarks), pointing at where it stands."""

    def __init__(self, title: str, level: int = 0):
        super().__init__()
        self.title = title
        self.level = level
        self.width = self.height = 0

    def wrap(self, availWidth, availHeight):  # noqa: N803
        return 0, 0

    def draw(self):
        key = f"outline-{id(self)}"
        self.canv.bookmarkHorizontal(key, 0, 0)
        self.canv.addOutlineEntry(self.title, key, self.level)


class BreakIfFilled(Flowable):
    """A page break, unless the page so far is less than `fraction` full (what follows then
    fills it instead of leaving it nearly empty), or is a later page than `last_page`."""

    def __init__(self, fraction: float, last_page: int | None = None):
        super().__init__()
        self.fraction = fraction
        self.last_page = last_page

    def wrap(self, availWidth, availHeight):  # noqa: N803
        frame = getattr(self, "_frame", None)
        late = self.last_page is not None and self.canv.getPageNumber() > self.last_page
        if frame is not None and not late and availHeight < frame._height * (1 - self.fraction):
            frame.add_generated_content(FrameBreak)
        return 0, 0

    def draw(self):
        pass


_styles: dict[tuple[str, str], Styles] = {}


def components_for(template: ReportTemplate, lang: str) -> Components:
    """The flowable factories of `template` in `lang`; its styles are made once per process."""
    font = report_font()
    styles = _styles.get((template.name, font))
    if styles is None:
        styles = _styles.setdefault((template.name, font), Styles(template, font))
    return Components(template, styles, lang)
