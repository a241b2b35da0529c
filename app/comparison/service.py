"""The comparison as the page and the cohort PDF show it: aggregates, the unit table and figures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flask import current_app

from app.assessment.questionnaire import Text

from ..reports.fonts import report_font
from . import figures, queries
from .charts import Style
from .figures import Figure
from .labels import texts

PAGE_CHART_WIDTH = 560
PAGE_FONT_SIZE = 9
MAX_PICKS = 5


def labels() -> dict[str, Text]:
    """The labels in both languages, evaluated once per app."""
    found = current_app.extensions.get("comparison_labels")
    if found is None:
        found = current_app.extensions["comparison_labels"] = texts()
    return found


@dataclass
class Comparison:
    cohort: queries.Cohort
    figures: list[Figure]
    radar: Figure | None


def comparison(
    selection: queries.Selection,
    picks: Sequence[str],
    lang: str,
    *,
    width: float = PAGE_CHART_WIDTH,
    font_size: float = PAGE_FONT_SIZE,
) -> Comparison:
    """The aggregates and figures of `selection` in `lang`; figures are kept with the cached aggregates."""
    cohort = queries.cohort(selection)
    t = labels()
    style = Style(report_font(), font_size)
    key = (lang, width, font_size)
    found = cohort.figures.get(key)
    if found is None:
        found = cohort.figures[key] = figures.cohort_figures(cohort, t, lang, style, width)
    picked = queries.picked_units(selection, list(dict.fromkeys(picks))[:MAX_PICKS])
    if picked:
        radar = figures.radar(cohort, picked, t, lang, style, width)
    else:  # the cohort alone: kept with the aggregates like the other figures
        radar = cohort.figures.get(("radar", *key))
        if radar is None:
            radar = cohort.figures[("radar", *key)] = figures.radar(cohort, [], t, lang, style, width)
    return Comparison(cohort, found, radar)
