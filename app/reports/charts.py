"""Charts as reportlab.graphics Drawings.

A Drawing is a platypus flowable, and the same object renders to SVG with
`reportlab.graphics.renderSVG.drawToString(drawing)` or to PDF with `renderPDF`, so the
web page can later show the very chart the PDF prints. Nothing here knows the view-model:
charts take plain sequences of strings and numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.graphics.shapes import Circle, Drawing, Line, Polygon, PolyLine, Rect, String
from reportlab.lib.colors import Color, HexColor
from reportlab.pdfbase.pdfmetrics import stringWidth

RINGS = (20, 40, 60, 80, 100)
TEXT = HexColor("#333333")
GRID = HexColor("#cccccc")


@dataclass(frozen=True)
class ChartSeries:
    label: str
    values: Sequence[float | None]  # 0–100 per axis; None is drawn at 0
    colour: Color
    dashed: bool = False
    filled: bool = False


def radar_chart(
    axes: Sequence[Sequence[str]],
    series: Sequence[ChartSeries],
    *,
    width: float,
    height: float,
    font: str,
    font_size: float = 8,
    text_colour: Color = TEXT,
    grid_colour: Color = GRID,
) -> Drawing:
    """A radar (spider) chart: one spoke per axis, scores 0–100, with a legend below.

    Each axis label is a list of lines (one per language). The plot is a circle of
    `height` less the legend; labels stand outside it, so `width` should leave room
    for them left and right.
    """
    n = len(axes)
    legend_height = font_size * 2.2
    line = font_size * 1.2
    label_lines = max(len(a) for a in axes)
    radius = (height - legend_height - 2 * (label_lines * line + 4)) / 2
    cx, cy = width / 2, legend_height + (height - legend_height) / 2
    drawing = Drawing(width, height)
    # The renderers' default font is Helvetica, which has no CJK glyphs: start from ours.
    drawing.initialFontName, drawing.initialFontSize = font, font_size

    def point(i: int, value: float) -> tuple[float, float]:
        angle = math.pi / 2 - 2 * math.pi * i / n
        r = radius * max(0.0, min(100.0, value)) / 100
        return cx + r * math.cos(angle), cy + r * math.sin(angle)

    for ring in RINGS:
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
