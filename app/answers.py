"""An answer as people read it: the one formatting of answers for the pages and the report.

The words (yes, no, not applicable, not answered) come from the message catalogs; units,
scale points and the labels of two-count percentages from the questionnaire.
"""

from __future__ import annotations

from flask import g
from flask_babel import force_locale, get_translations

from app.assessment.questionnaire import NOT_APPLICABLE, SCALE_POINTS, Item

N_ = str  # marks a message for extraction; it is translated where it is shown

WORDS = {
    None: N_("Not answered"),
    NOT_APPLICABLE: N_("Not applicable"),
    True: N_("Yes"),
    False: N_("No"),
}


def _catalog(lang: str):
    """The catalog of `lang`, looked up once per application context."""
    catalogs = g.setdefault("_answer_catalogs", {})
    if lang not in catalogs:
        with force_locale(lang):
            catalogs[lang] = get_translations()
    return catalogs[lang]


def percent_text(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") + "%"


def answer_text(item: Item, value, lang: str) -> str:
    """`value` (a typed answer of `item`, or None) in `lang`, "zh" or "en"."""
    if value is None or value == NOT_APPLICABLE or item.type == "yesno":
        return _catalog(lang).ugettext(WORDS[value])
    if item.type == "scale":
        return f"{value} / {SCALE_POINTS}"
    if item.type == "count":
        return f"{value} {item.unit(lang)}"
    if item.type == "percent":
        if item.counts is None:
            return percent_text(value)
        part, whole = item.counts
        share = percent_text(item.percent(value))
        if lang == "zh":
            return f"{part.zh} {value[0]}，{whole.zh} {value[1]}（{share}）"
        return f"{part.en} {value[0]}, {whole.en} {value[1]} ({share})"
    return str(value)
