"""The comparison as the page and the cohort PDF show it: aggregates, the unit table and figures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from app.assessment.questionnaire import Text

from ..access import can_view_org, visible_roots
from ..charts import Style
from ..extensions import db
from ..models import Organisation
from ..reports.fonts import report_font
from . import figures, queries
from .figures import Figure
from .labels import texts

PAGE_CHART_WIDTH = 560
PAGE_FONT_SIZE = 12
# Phones get their own drawings, narrow with larger text: the page's, scaled down to a phone's
# width, had labels of about 5 px.
PHONE_CHART_WIDTH = 320
PHONE_FONT_SIZE = 12
MAX_PICKS = 5


def selection_for(user, code: str, years: list[int]) -> tuple[queries.Selection, Organisation | None]:
    """The selection of `years` under the organisation `code` (or all), within what `user` may read.

    Raises LookupError when `code` names nothing `user` may see.
    """
    org = None
    if code:
        org = db.session.scalar(select(Organisation).where(Organisation.code == code))
        if org is None or not can_view_org(user, org):
            raise LookupError(code)
    return queries.make_selection(visible_roots(user), org, years), org


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
    phone: Comparison | None = None  # the same figures drawn for a phone's width, on the page


def comparison(
    selection: queries.Selection,
    picks: Sequence[str],
    lang: str,
    *,
    width: float = PAGE_CHART_WIDTH,
    font_size: float = PAGE_FONT_SIZE,
    phone: bool = False,
) -> Comparison:
    """The aggregates and figures of `selection` in `lang`; figures are kept with the cached aggregates.

    With `phone`, the figures are drawn a second time for a phone's width (see PHONE_CHART_WIDTH).
    """
    cohort = queries.cohort(selection)
    picked = queries.picked_units(selection, list(dict.fromkeys(picks))[:MAX_PICKS])
    result = _drawn(cohort, picked, lang, width, font_size)
    if phone:
        result.phone = _drawn(cohort, picked, lang, PHONE_CHART_WIDTH, PHONE_FONT_SIZE, suffix="-phone")
    return result


def _drawn(cohort, picked, lang: str, width: float, font_size: float, suffix: str = "") -> Comparison:
    """The figures at one size; `suffix` keeps the ids of a second size apart on the same page."""
    t = labels()
    style = Style(report_font(), font_size)
    key = (lang, width, font_size)

    def named(fig):
        if fig is not None:
            fig.ident += suffix
        return fig

    found = cohort.figures.get(key)
    if found is None:
        found = cohort.figures[key] = [named(f) for f in figures.cohort_figures(cohort, t, lang, style, width)]
    if picked:
        radar = named(figures.radar(cohort, picked, t, lang, style, width))
    else:  # the cohort alone: kept with the aggregates like the other figures
        radar = cohort.figures.get(("radar", *key))
        if radar is None:
            radar = cohort.figures[("radar", *key)] = named(figures.radar(cohort, [], t, lang, style, width))
    return Comparison(cohort, found, radar)
