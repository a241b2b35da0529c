"""Fixed labels of the comparison charts, tables, exports and PDF, in both languages.

Each label is a message of the catalogs, evaluated once per language under `force_locale`,
so a page can use the reader's language and the PDF and the XLSX both.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.assessment.text import Text

from ..i18n import in_both_languages

LABELS = {
    "overall": _l("Overall"),
    "measure": _l("Measure"),
    "year": _l("Year"),
    "units": _l("Units"),
    "minimum": _l("Minimum"),
    "q1": _l("Lower quartile"),
    "median": _l("Median"),
    "q3": _l("Upper quartile"),
    "maximum": _l("Maximum"),
    "mean": _l("Mean"),
    "pillar": _l("Pillar"),
    "cohort_average": _l("Cohort average"),
    "distribution": _l("Distribution of scores per pillar"),
    "distribution_note": _l(
        "Boxes span the middle half of the units, the bar is the median, whiskers reach the "
        "lowest and highest score, the dot is the mean."
    ),
    "radar": _l("Cohort average and picked units"),
    "trend": _l("Average scores across cycles"),
    "movement": _l("Movement between levels, %(before)s → %(after)s"),
    "level_before": _l("Level in %(year)s"),
    "level_after": _l("Level in %(year)s"),
    "completion": _l("Completion rate per organisation, %(year)s"),
    "completion_note": _l("The %(count)s organisations with the lowest completion rate; the table lists all."),
    "organisation": _l("Organisation"),
    "branches": _l("Branches"),
    "submitted": _l("Submitted"),
    "drafts": _l("Drafts"),
    "rate": _l("Completion rate"),
    "weakest": _l("Weakest items, %(year)s"),
    "weakest_note": _l("Share of units whose item score is below level 2 (under 40)."),
    "rank": _l("Rank"),
    "item": _l("Item"),
    "share_below": _l("Units below level 2"),
    "mean_score": _l("Mean item score"),
    "suggestion": _l("Suggestion from the sources"),
    "source": _l("Source"),
    "title": _l("Cohort comparison of branch self-checks"),
    "selection": _l("Selection"),
    "cycles": _l("Cycles"),
    "scope": _l("Organisations"),
    "everything": _l("All organisations"),
    "generated": _l("Generated on %(date)s"),
    "no_data": _l("No submitted self-check in this selection."),
    "page_of": _l("Page %(page)s of %(pages)s"),
    # export columns
    "col_code": _l("Code of the branch"),
    "col_name": _l("Name of the branch"),
    "col_parent": _l("Code of the parent organisation"),
    "col_year": _l("Year of the self-check cycle"),
    "col_overall": _l("Overall score, 0–100"),
    "col_level": _l("Overall maturity level"),
    "col_pillar": _l("Score of the pillar “%(name)s”, 0–100"),
    "col_item": _l("Score of item %(id)s, 0–100: %(text)s"),
    "column": _l("Column"),
    "description_zh": _l("Description (Chinese)"),
    "description_en": _l("Description (English)"),
    "columns_sheet": _l("Columns"),
    "results_sheet": _l("Results"),
}


def texts() -> dict[str, Text]:
    """Every label in both languages (placeholders left for the caller to fill)."""
    return in_both_languages(lambda _gettext: {key: str(label) for key, label in LABELS.items()})


def say(text: Text, lang: str, sep: str = " / ") -> str:
    """`text` in `lang`; both languages joined by `sep` in "bilingual" mode (once if they are the same)."""
    if lang != "bilingual":
        return text(lang)
    return text.zh if text.zh == text.en else f"{text.zh}{sep}{text.en}"


def lines(text: Text, lang: str) -> list[str]:
    """`text` as label lines: one in a single language, one per language in "bilingual" mode."""
    if lang != "bilingual" or text.zh == text.en:
        return [text(lang if lang != "bilingual" else "zh")]
    return [text.zh, text.en]
