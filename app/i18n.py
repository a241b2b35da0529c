"""Language in pages: the request's catalog and language, and the templates' gettext and filters."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, g
from flask_babel import force_locale, format_date, format_datetime, format_decimal, get_locale, get_translations
from markupsafe import Markup

from app.assessment.text import LANGUAGES, Text

from .patches import babel_locale


def _request_catalog() -> tuple:
    """(locale, catalog, "zh" or "en") of the request, cached in `g` for as long as the locale
    stays the same (`force_locale` swaps the locale object, which renews the cache)."""
    request_g = g._get_current_object()  # called dozens of times a page: one proxy look-up
    locale = babel_locale(request_g)
    cached = getattr(request_g, "_catalog", None)
    if locale is None or cached is None or cached[0] is not locale:
        translations = get_translations()
        cached = request_g._catalog = (babel_locale(request_g), translations, str(get_locale())[:2])
    return cached


def request_translations():
    """The request's catalog."""
    return _request_catalog()[1]


def current_lang() -> str:
    """The request's language, "zh" or "en", for picking a side of the questionnaire's bilingual texts."""
    return _request_catalog()[2]


def in_both_languages(collect: Callable[[Callable[..., str]], dict[str, str]]) -> dict[str, Text]:
    """Run `collect(gettext)` under each language's locale; its strings as bilingual Texts (the
    labels of reports, comparison pages, exports and PDFs).

    `gettext` works as Flask-Babel's but on a catalog looked up once per language, not once
    per string (a report has some eighty labels, in two languages); lazy strings turned into
    `str` inside `collect` are translated in its language too.
    """
    results = {}
    for lang in LANGUAGES:
        with force_locale(lang):
            catalog = get_translations()

            def gettext(text: str, catalog=catalog, **variables) -> str:
                translated = catalog.ugettext(text)
                return translated % variables if variables else translated

            results[lang] = collect(gettext)
    return {key: Text(results["zh"][key], results["en"][key]) for key in results["zh"]}


def template_gettext(message: str, **variables) -> Markup:
    """`_()` and `gettext()` in templates, as Jinja's "newstyle" gettext does it: the translation
    is a format string whose variables are escaped (every template is HTML, autoescaped)."""
    text = Markup(request_translations().ugettext(message))
    return text % variables if variables or "%" in text else text  # formatting nothing is slow


def template_ngettext(singular: str, plural: str, num: int, **variables) -> Markup:
    variables.setdefault("num", num)
    return Markup(request_translations().ungettext(singular, plural, num)) % variables


def template_pgettext(context: str, message: str, **variables) -> Markup:
    """`pgettext()` in templates: one English word that needs two words in Chinese."""
    text = Markup(request_translations().upgettext(context, message))
    return text % variables if variables else text


def init_app(app: Flask) -> None:
    @app.context_processor
    def template_helpers():
        lang = current_lang()
        return {"lang": lang, "other_languages": [lg for lg in app.config["LANGUAGES"] if lg != lang]}

    @app.template_filter("tr")
    def translate_text(text):
        """Pick the current language of a bilingual questionnaire text."""
        return text(current_lang()) if text is not None else ""

    app.jinja_env.globals["answer"] = lambda item, value: item.answer_text(value)(current_lang())

    # A page calls gettext dozens of times: plain functions on the request's catalog, in place of
    # the i18n extension's `_` alias and the context-passing wrappers of installed callables.
    app.jinja_env.globals.update(
        _=template_gettext, gettext=template_gettext, ngettext=template_ngettext, pgettext=template_pgettext
    )

    @app.template_filter("inner_quotes")
    def inner_quotes(text: str) -> str:
        """A quotation set inside Chinese double quotes takes single quotes itself: “…‘…’…”."""
        return text.replace("“", "‘").replace("”", "’")

    @app.template_filter("score")
    def format_score(value):
        return "—" if value is None else format_decimal(value, format="#,##0.0")

    @app.template_filter("signed")
    def format_signed(value):
        if value is None:
            return "—"
        return ("+" if value > 0 else "") + format_decimal(value, format="#,##0.0")

    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["datetime"] = lambda v: format_datetime(v, "medium") if v else "—"
