"""Every chart of the application as a reportlab.graphics Drawing: the diagnostic report's pillar
bars, and the comparison's box plots, lines, heatmap, bars and radar.

A Drawing is a platypus flowable for the PDFs, and the same object renders to SVG for the pages
(`to_svg`), so both show the very same chart. Nothing here knows a report or a cohort: charts take
plain sequences of strings and numbers, every label already in its language(s), and a `Style`
(font, size, text and grid colours).

The charts are drawn by hand rather than with ReportLab's chart classes: a bar carries its value,
a missing value is written out instead of drawn at 0, and the report's series differ in lightness
and outline as well as hue, so a black-and-white print keeps them apart; the chart classes needed
as much code to do the same.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from reportlab.graphics import renderSVG
from reportlab.graphics.shapes import Circle, Drawing, Line, Polygon, PolyLine, Rect, String
from reportlab.lib.colors import Color, HexColor, white
from reportlab.pdfbase.pdfmetrics import stringWidth

TEXT = HexColor("#333333")
GRID = HexColor("#cccccc")
PALETTE = tuple(HexColor(c) for c in ("#b3261e", "#185a9d", "#1e6b3a", "#8a5a00", "#6b3fa0", "#0f7c8c", "#555555"))
HEAT = HexColor("#185a9d")
TICKS = (0, 20, 40, 60, 80, 100)
RADAR_RINGS = (20, 40, 60, 80, 100)


@dataclass(frozen=True)
class Style:
    font: str
    font_size: float = 8
    text: Color = TEXT
    grid: Color = GRID


def _drawing(width: float, height: float, style: Style) -> Drawing:
    drawing = Drawing(width, height)
    # The renderers' default font is Helvetica, which has no CJK glyphs: start from ours.
    drawing.initialFontName, drawing.initialFontSize = style.font, style.font_size
    return drawing


def colour(i: int) -> Color:
    return PALETTE[i % len(PALETTE)]


def _text(drawing: Drawing, x, y, text, style: Style, *, size=None, anchor="start", colour_=None):
    drawing.add(
        String(
            x,
            y,
            text,
            fontName=style.font,
            fontSize=size or style.font_size,
            fillColor=colour_ or style.text,
            textAnchor=anchor,
        )
    )


def _fit(text: str, style: Style, width: float, size: float | None = None) -> str:
    """`text` cut with an ellipsis to fit `width`."""
    size = size or style.font_size
    if stringWidth(text, style.font, size) <= width:
        return text
    while text and stringWidth(text + "…", style.font, size) > width:
        text = text[:-1]
    return text + "…"


def _legend(drawing: Drawing, entries: Sequence[tuple[str, Color]], style: Style, y: float) -> None:
    """Swatches and labels, centred in rows at `y` (going down when they do not fit one row)."""
    size = style.font_size
    widths = [stringWidth(label, style.font, size) + 26 for label, _ in entries]
    rows, row, used = [], [], 0.0
    for entry, w in zip(entries, widths, strict=True):
        if row and used + w > drawing.width:
            rows.append((row, used))
            row, used = [], 0.0
        row.append((entry, w))
        used += w
    if row:
        rows.append((row, used))
    for n, (row, used) in enumerate(rows):
        x = (drawing.width - used) / 2
        yy = y - n * size * 1.6
        for (label, c), w in row:
            drawing.add(Rect(x, yy - 1, 14, 7, fillColor=c, strokeColor=None))
            _text(drawing, x + 18, yy, label, style)
            x += w


def legend_rows(labels: Sequence[str], style: Style, width: float) -> int:
    rows, used = 1, 0.0
    for label in labels:
        w = stringWidth(label, style.font, style.font_size) + 26
        if used and used + w > width:
            rows, used = rows + 1, 0.0
        used += w
    return rows


def _y_axis(drawing: Drawing, left, bottom, right, top, style: Style, unit: str = "") -> None:
    for tick in TICKS:
        y = bottom + (top - bottom) * tick / 100
        drawing.add(Line(left, y, right, y, strokeColor=style.grid, strokeWidth=0.5))
        _text(
            drawing,
            left - 4,
            y - style.font_size * 0.35,
            f"{tick}{unit}",
            style,
            size=style.font_size * 0.9,
            anchor="end",
        )


def box_plot(
    groups: Sequence[Sequence[str]],
    series: Sequence[str],
    boxes: Sequence[Sequence[object | None]],
    *,
    width: float,
    height: float,
    style: Style,
) -> Drawing:
    """Box plots of scores 0–100: one group per measure (label lines below the axis), one box
    per series (cycle) within each group; whiskers at min and max, a dot at the mean.
    `boxes[g][s]` is the summary of group g and series s (anything with minimum, q1, median, q3,
    maximum and mean, such as `comparison.queries.Box`), or None when it has no unit."""
    drawing = Drawing(width, height)
    size = style.font_size
    label_lines = max((len(g) for g in groups), default=1)
    legend_h = legend_rows(series, style, width) * size * 1.6 + 4
    left, right = size * 3.2, width - 6
    bottom = legend_h + label_lines * size * 1.25 + 8
    top = height - size
    _y_axis(drawing, left, bottom, right, top, style)
    slot = (right - left) / max(1, len(groups))
    box_w = min(26.0, slot * 0.8 / max(1, len(series)))

    def y_of(v):
        return bottom + (top - bottom) * max(0.0, min(100.0, v)) / 100

    for g, lines in enumerate(groups):
        centre = left + slot * (g + 0.5)
        start = centre - box_w * len(series) / 2
        for s in range(len(series)):
            b = boxes[g][s]
            if b is None:
                continue
            x = start + s * box_w + box_w * 0.1
            w = box_w * 0.8
            mid = x + w / 2
            c = colour(s)
            fill = Color(c.red, c.green, c.blue, alpha=0.18)
            drawing.add(Line(mid, y_of(b.minimum), mid, y_of(b.q1), strokeColor=c, strokeWidth=0.8))
            drawing.add(Line(mid, y_of(b.q3), mid, y_of(b.maximum), strokeColor=c, strokeWidth=0.8))
            for v in (b.minimum, b.maximum):
                drawing.add(Line(x + w * 0.25, y_of(v), x + w * 0.75, y_of(v), strokeColor=c, strokeWidth=0.8))
            drawing.add(
                Rect(
                    x, y_of(b.q1), w, max(0.5, y_of(b.q3) - y_of(b.q1)), fillColor=fill, strokeColor=c, strokeWidth=0.9
                )
            )
            drawing.add(Line(x, y_of(b.median), x + w, y_of(b.median), strokeColor=c, strokeWidth=1.6))
            drawing.add(Circle(mid, y_of(b.mean), 1.6, fillColor=white, strokeColor=c, strokeWidth=0.8))
        for k, text in enumerate(lines):
            _text(drawing, centre, bottom - (k + 1) * size * 1.25, _fit(text, style, slot - 2), style, anchor="middle")
    _legend(drawing, [(label, colour(i)) for i, label in enumerate(series)], style, legend_h - size * 1.2)
    return drawing


def line_chart(
    x_labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    width: float,
    height: float,
    style: Style,
) -> Drawing:
    """Lines of mean scores 0–100 across `x_labels` (cycles); a gap where a value is None."""
    drawing = Drawing(width, height)
    size = style.font_size
    legend_h = legend_rows([s[0] for s in series], style, width) * size * 1.6 + 4
    left, right = size * 3.2, width - size * 2
    bottom = legend_h + size * 2
    top = height - size
    _y_axis(drawing, left, bottom, right, top, style)
    n = len(x_labels)

    def x_of(i):
        return left + (right - left) * ((i + 0.5) / n if n else 0.5)

    def y_of(v):
        return bottom + (top - bottom) * max(0.0, min(100.0, v)) / 100

    for i, label in enumerate(x_labels):
        _text(drawing, x_of(i), bottom - size * 1.4, label, style, anchor="middle")
    for s, (_label, values) in enumerate(series):
        c = colour(s)
        points = [(x_of(i), y_of(v)) for i, v in enumerate(values) if v is not None]
        if len(points) > 1:
            drawing.add(
                PolyLine(
                    [v for p in points for v in p],
                    strokeColor=c,
                    strokeWidth=1.4,
                    strokeDashArray=[3, 2] if s % 2 else None,
                )
            )
        for x, y in points:
            drawing.add(Circle(x, y, 2, fillColor=c, strokeColor=None))
    _legend(drawing, [(label, colour(i)) for i, (label, _) in enumerate(series)], style, legend_h - size * 1.2)
    return drawing


def matrix_chart(
    rows: Sequence[str],
    columns: Sequence[str],
    counts: Sequence[Sequence[int]],
    *,
    row_title: str,
    column_title: str,
    width: float,
    height: float,
    style: Style,
) -> Drawing:
    """A heatmap of counts (e.g. level before × level after), each cell shaded by its share of
    the largest count and labelled with its count."""
    drawing = Drawing(width, height)
    size = style.font_size
    label_w = min(width * 0.3, max(stringWidth(r, style.font, size) for r in rows) + 8) if rows else 0
    left, top = label_w + size * 1.6, height - size * 3.2
    cell_w = (width - left - 4) / max(1, len(columns))
    cell_h = (top - 4) / max(1, len(rows))
    peak = max((v for row in counts for v in row), default=0) or 1
    _text(drawing, left + (width - left) / 2, height - size * 1.1, column_title, style, anchor="middle")
    for j, label in enumerate(columns):
        _text(
            drawing, left + cell_w * (j + 0.5), top + size * 0.6, _fit(label, style, cell_w - 2), style, anchor="middle"
        )
    drawing.add(String(size, top / 2, row_title, fontName=style.font, fontSize=size, fillColor=style.text))
    for i, label in enumerate(rows):
        y = top - cell_h * (i + 1)
        _text(drawing, left - 4, y + cell_h / 2 - size * 0.35, label, style, anchor="end")
        for j in range(len(columns)):
            value = counts[i][j]
            share = value / peak
            fill = Color(HEAT.red, HEAT.green, HEAT.blue, alpha=0.08 + 0.82 * share)
            drawing.add(Rect(left + cell_w * j, y, cell_w, cell_h, fillColor=fill, strokeColor=white, strokeWidth=1))
            _text(
                drawing,
                left + cell_w * (j + 0.5),
                y + cell_h / 2 - size * 0.35,
                str(value),
                style,
                anchor="middle",
                colour_=white if share > 0.55 else style.text,
            )
    return drawing


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    width: float,
    style: Style,
    unit: str = "%",
    bar_colour: Color = PALETTE[0],
) -> Drawing:
    """Horizontal bars of values 0–100, one row per label, the value written at the bar's end."""
    size = style.font_size
    row_h = size * 2
    height = row_h * len(labels) + size * 2.6
    drawing = Drawing(width, height)
    label_w = min(width * 0.42, max((stringWidth(x, style.font, size) for x in labels), default=0) + 6)
    left, right = label_w + 4, width - size * 4
    base = size * 2
    for tick in TICKS:
        x = left + (right - left) * tick / 100
        drawing.add(Line(x, base, x, height - 2, strokeColor=style.grid, strokeWidth=0.5))
        _text(drawing, x, base - size * 1.3, f"{tick}{unit}", style, size=size * 0.9, anchor="middle")
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = height - 2 - row_h * (i + 1)
        _text(drawing, left - 4, y + row_h * 0.5 - size * 0.35, _fit(label, style, label_w - 4), style, anchor="end")
        length = (right - left) * max(0.0, min(100.0, value)) / 100
        drawing.add(Rect(left, y + row_h * 0.2, max(0.5, length), row_h * 0.6, fillColor=bar_colour, strokeColor=None))
        _text(drawing, left + length + 3, y + row_h * 0.5 - size * 0.35, f"{value:.0f}{unit}", style)
    return drawing


# ---------------------------------------------------------------- SVG for the page

_STYLE = re.compile(r' style="([^"]*)"')
_PROLOGUE = re.compile(r"^.*?(?=<svg)", re.S)
_TITLE = re.compile(r"<title>.*?</title>\s*<desc>.*?</desc>", re.S)


def _attributes(match: re.Match) -> str:
    """An inline style="a: b; c: d" as presentation attributes a="b" c="d": a strict CSP
    (style-src without 'unsafe-inline') blocks style attributes, never presentation attributes."""
    pairs = []
    for declaration in match.group(1).split(";"):
        name, _, value = declaration.partition(":")
        name, value = name.strip(), value.strip()
        if not name:
            continue
        if name == "clip-path":
            continue  # the whole-drawing clip of renderSVG; nothing is drawn outside anyway
        pairs.append(f' {name}="{escape(value, quote=True)}"')
    return "".join(pairs)


def to_svg(drawing: Drawing, title: str, ident: str) -> str:
    """The drawing as an inline <svg> element titled `title`, without prologue, inline styles
    or fixed size (it scales to its container; the viewBox keeps its proportions)."""
    svg = renderSVG.drawToString(drawing)
    svg = _PROLOGUE.sub("", svg, count=1)
    svg = _TITLE.sub(f'<title id="{ident}-title">{escape(title)}</title>', svg, count=1)
    svg = _STYLE.sub(_attributes, svg)
    svg = re.sub(r'<clipPath id="clip">.*?</clipPath>\s*', "", svg, count=1, flags=re.S)
    svg = svg.replace("<svg ", f'<svg role="img" aria-labelledby="{ident}-title" class="chart-svg" ', 1)
    return re.sub(r'^(<svg[^>]*?) width="[^"]*" height="[^"]*"', r"\1", svg, count=1)


@dataclass(frozen=True)
class RadarSeries:
    label: str
    values: Sequence[float | None]  # 0–100 per axis; None is drawn at 0
    colour: Color
    dashed: bool = False
    filled: bool = False


def radar_chart(
    axes: Sequence[Sequence[str]],
    series: Sequence[RadarSeries],
    *,
    width: float,
    height: float,
    style: Style,
) -> Drawing:
    """A radar (spider) chart: one spoke per axis, scores 0–100, with a legend below.

    Each axis label is a list of lines (one per language). The plot is a circle of
    `height` less the legend; labels stand outside it, so `width` should leave room
    for them left and right.
    """
    n = len(axes)
    font, font_size, text_colour, grid_colour = style.font, style.font_size, style.text, style.grid
    legend_height = font_size * 2.2
    line = font_size * 1.2
    label_lines = max(len(a) for a in axes)
    radius = (height - legend_height - 2 * (label_lines * line + 4)) / 2
    cx, cy = width / 2, legend_height + (height - legend_height) / 2
    drawing = _drawing(width, height, style)

    def point(i: int, value: float) -> tuple[float, float]:
        angle = math.pi / 2 - 2 * math.pi * i / n
        r = radius * max(0.0, min(100.0, value)) / 100
        return cx + r * math.cos(angle), cy + r * math.sin(angle)

    for ring in RADAR_RINGS:
        corners = [c for i in range(n) for c in point(i, ring)]
        drawing.add(Polygon(corners, fillColor=None, strokeColor=grid_colour, strokeWidth=0.5))
        x, y = point(0, ring)
        drawing.add(
            String(
                x + 3, y - font_size * 0.35, str(ring), fontName=font, fontSize=font_size * 0.75, fillColor=text_colour
            )
        )
    for i in range(n):
        x, y = point(i, 100)
        drawing.add(Line(cx, cy, x, y, strokeColor=grid_colour, strokeWidth=0.5))

    for s in series:
        points = [c for i, v in enumerate(s.values) for c in point(i, v or 0.0)]
        fill = Color(s.colour.red, s.colour.green, s.colour.blue, alpha=0.14) if s.filled else None
        dash = [3, 2] if s.dashed else None
        drawing.add(Polygon(points, fillColor=fill, strokeColor=s.colour, strokeWidth=1.4, strokeDashArray=dash))
        for i, v in enumerate(s.values):
            x, y = point(i, v or 0.0)
            drawing.add(Circle(x, y, 1.8, fillColor=s.colour, strokeColor=None))

    for i, lines in enumerate(axes):
        angle = math.pi / 2 - 2 * math.pi * i / n
        cos, sin = math.cos(angle), math.sin(angle)
        x, y = point(i, 100)
        anchor = "start" if cos > 0.3 else "end" if cos < -0.3 else "middle"
        x += 6 * cos
        block = len(lines) * line
        if sin > 0.3:
            top = y + 4 + block
        elif sin < -0.3:
            top = y - 4
        else:
            top = y + block / 2
        for k, text in enumerate(lines):
            size = font_size if k == 0 else font_size * 0.9
            drawing.add(
                String(
                    x,
                    top - (k + 1) * line + (line - size) / 2,
                    text,
                    fontName=font,
                    fontSize=size,
                    fillColor=text_colour,
                    textAnchor=anchor,
                )
            )

    # Legend: one swatch and label per series, centred in a row below the plot.
    entries = [(s, stringWidth(s.label, font, font_size)) for s in series]
    total = sum(w + 26 for _, w in entries)
    x = (width - total) / 2
    for s, w in entries:
        y = font_size * 0.4
        if s.filled:
            fill = Color(s.colour.red, s.colour.green, s.colour.blue, alpha=0.14)
            drawing.add(Rect(x, y - 3, 16, 9, fillColor=fill, strokeColor=None))
        drawing.add(
            PolyLine(
                [x, y + 1.5, x + 16, y + 1.5],
                strokeColor=s.colour,
                strokeWidth=1.4,
                strokeDashArray=[3, 2] if s.dashed else None,
            )
        )
        drawing.add(
            String(x + 20, y - font_size * 0.1, s.label, fontName=font, fontSize=font_size, fillColor=text_colour)
        )
        x += w + 26
    return drawing


# ---------------------------------------------------------------- the diagnostic report's pillar chart


@dataclass(frozen=True)
class ChartSeries:
    label: Sequence[str]  # its lines (one per language)
    values: Sequence[float | None]  # 0–100 per category; None: no value, written out, never drawn
    colour: Color
    look: str = "solid"  # solid (dark fill), light (pale fill, dark edge) or outline (white fill)


def _fill(series: ChartSeries) -> tuple[Color, Color]:
    c = series.colour
    if series.look == "solid":
        return c, c
    if series.look == "light":
        return Color(1 - 0.35 * (1 - c.red), 1 - 0.35 * (1 - c.green), 1 - 0.35 * (1 - c.blue)), c
    return white, c


def grouped_bar_chart(
    categories: Sequence[Sequence[str]],
    series: Sequence[ChartSeries],
    *,
    width: float,
    style: Style,
    missing: str = "—",
) -> Drawing:
    """Horizontal bars, 0–100: one group per category (its label lines on the left), one bar
    per series with its value at the end, the legend on top and the scale below."""
    font, font_size = style.font, style.font_size
    bar = font_size * 1.25
    gap = font_size * 1.1
    line = font_size * 1.2
    label_width = min(width * 0.3, max(stringWidth(t, font, font_size) for c in categories for t in c) + 8)
    value_room = stringWidth("100.0", font, font_size) + 6
    plot_x, plot_width = label_width, width - label_width - value_room
    group = max(len(series) * bar, max(len(c) for c in categories) * line)
    legend_lines = max(len(s.label) for s in series)
    legend_height, scale_height = line * (legend_lines + 0.8), line * 1.6
    height = legend_height + len(categories) * (group + gap) + scale_height
    drawing = _drawing(width, height, style)

    top = height - legend_height
    bottom = scale_height
    for tick in TICKS:
        x = plot_x + plot_width * tick / 100
        drawing.add(Line(x, bottom, x, top, strokeColor=style.grid, strokeWidth=0.5))
        _text(drawing, x, bottom - line, str(tick), style, anchor="middle")

    for i, lines in enumerate(categories):
        group_top = top - i * (group + gap) - gap / 2
        for k, text in enumerate(lines):
            _text(drawing, 0, group_top - (k + 1) * line + (line - font_size) / 2 + 1, text, style)
        for j, s in enumerate(series):
            y = group_top - (j + 1) * bar
            value = s.values[i]
            if value is None:
                _text(drawing, plot_x + 4, y + bar * 0.22, missing, style, colour_=s.colour)
                continue
            fill, edge = _fill(s)
            length = plot_width * max(0.0, min(100.0, value)) / 100
            drawing.add(Rect(plot_x, y + 1, length, bar - 2, fillColor=fill, strokeColor=edge, strokeWidth=0.8))
            _text(drawing, plot_x + length + 3, y + bar * 0.22, f"{value:.1f}", style)

    x = plot_x
    for s in series:
        fill, edge = _fill(s)
        y = height - line * 1.1
        drawing.add(Rect(x, y, 16, font_size * 0.9, fillColor=fill, strokeColor=edge, strokeWidth=0.8))
        for k, text in enumerate(s.label):
            _text(drawing, x + 20, y + 1 - k * line, text, style)
        x += 20 + max(stringWidth(t, font, font_size) for t in s.label) + 14
    return drawing
