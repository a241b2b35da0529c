"""Charts as reportlab.graphics Drawings.

A Drawing is a platypus flowable, and the same object renders to SVG with
`reportlab.graphics.renderSVG.drawToString(drawing)` or to PDF with `renderPDF`. Nothing
here knows the view-model: charts take plain sequences of strings and numbers.

The pillar chart is drawn by hand rather than with ReportLab's HorizontalBarChart: each
bar carries its value, a missing value is written out instead of drawn at 0, and the
three series differ in lightness and outline as well as hue, so a black-and-white print
keeps them apart; the chart classes needed as much code to do the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib.colors import Color, HexColor, white
from reportlab.pdfbase.pdfmetrics import stringWidth

TICKS = (0, 20, 40, 60, 80, 100)
TEXT = HexColor("#333333")
GRID = HexColor("#cccccc")


@dataclass(frozen=True)
class ChartSeries:
    label: Sequence[str]  # its lines (one per language)
    values: Sequence[float | None]  # 0–100 per category; None: no value, written out, never drawn
    colour: Color
    style: str = "solid"  # solid (dark fill), light (pale fill, dark edge) or outline (white fill)


def _fill(series: ChartSeries) -> tuple[Color, Color]:
    c = series.colour
    if series.style == "solid":
        return c, c
    if series.style == "light":
        return Color(1 - 0.35 * (1 - c.red), 1 - 0.35 * (1 - c.green), 1 - 0.35 * (1 - c.blue)), c
    return white, c


def bar_chart(
    categories: Sequence[Sequence[str]],
    series: Sequence[ChartSeries],
    *,
    width: float,
    font: str,
    font_size: float = 9,
    missing: str = "—",
    text_colour: Color = TEXT,
    grid_colour: Color = GRID,
) -> Drawing:
    """Horizontal bars, 0–100: one group per category (its label lines on the left), one bar
    per series with its value at the end, the legend on top and the scale below."""
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
    drawing = Drawing(width, height)
    # The renderers' default font is Helvetica, which has no CJK glyphs: start from ours.
    drawing.initialFontName, drawing.initialFontSize = font, font_size

    top = height - legend_height
    bottom = scale_height
    for tick in TICKS:
        x = plot_x + plot_width * tick / 100
        drawing.add(Line(x, bottom, x, top, strokeColor=grid_colour, strokeWidth=0.5))
        drawing.add(
            String(
                x,
                bottom - line,
                str(tick),
                fontName=font,
                fontSize=font_size,
                fillColor=text_colour,
                textAnchor="middle",
            )
        )

    for i, lines in enumerate(categories):
        group_top = top - i * (group + gap) - gap / 2
        for k, text in enumerate(lines):
            drawing.add(
                String(
                    0,
                    group_top - (k + 1) * line + (line - font_size) / 2 + 1,
                    text,
                    fontName=font,
                    fontSize=font_size,
                    fillColor=text_colour,
                )
            )
        for j, s in enumerate(series):
            y = group_top - (j + 1) * bar
            value = s.values[i]
            if value is None:
                drawing.add(
                    String(plot_x + 4, y + bar * 0.22, missing, fontName=font, fontSize=font_size, fillColor=s.colour)
                )
                continue
            fill, edge = _fill(s)
            length = plot_width * max(0.0, min(100.0, value)) / 100
            drawing.add(Rect(plot_x, y + 1, length, bar - 2, fillColor=fill, strokeColor=edge, strokeWidth=0.8))
            drawing.add(
                String(
                    plot_x + length + 3,
                    y + bar * 0.22,
                    f"{value:.1f}",
                    fontName=font,
                    fontSize=font_size,
                    fillColor=text_colour,
                )
            )

    x = plot_x
    for s in series:
        fill, edge = _fill(s)
        y = height - line * 1.1
        drawing.add(Rect(x, y, 16, font_size * 0.9, fillColor=fill, strokeColor=edge, strokeWidth=0.8))
        for k, text in enumerate(s.label):
            drawing.add(
                String(x + 20, y + 1 - k * line, text, fontName=font, fontSize=font_size, fillColor=text_colour)
            )
        x += 20 + max(stringWidth(t, font, font_size) for t in s.label) + 14
    return drawing
