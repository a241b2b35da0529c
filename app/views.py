"""Application-wide pages and template helpers: the home redirect, the language switch."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, flash, g, jsonify, redirect, render_template, request, session, url_for
from flask_babel import format_date, format_datetime, format_decimal, get_locale, get_translations
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError
from markupsafe import Markup
from sqlalchemy import text

from .extensions import db


def safe_next(target: str | None, default: str) -> str:
    """A local path to go back to; anything pointing elsewhere falls back to `default`."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def _request_catalog() -> tuple:
    """(locale, catalog, "zh" or "en") of the request, cached in `g` for as long as the locale
    stays the same (`force_locale` swaps the locale object, which renews the cache)."""
    request_g = g._get_current_object()  # called dozens of times a page: one proxy look-up
    locale = getattr(getattr(request_g, "_flask_babel", None), "babel_locale", None)
    cached = getattr(request_g, "_catalog", None)
    if locale is None or cached is None or cached[0] is not locale:
        translations = get_translations()
        cached = request_g._catalog = (request_g._flask_babel.babel_locale, translations, str(get_locale())[:2])
    return cached


def request_translations():
    """The request's catalog."""
    return _request_catalog()[1]


def current_lang() -> str:
    """The request's language, "zh" or "en", for picking a side of the questionnaire's bilingual texts."""
    return _request_catalog()[2]


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


def home_url(user) -> str:
    """Where a user starts: a branch fills in its self-check, everyone else sees the overview."""
    return url_for("selfcheck.home" if user.role == "branch" else "results.overview")


def init_app(app: Flask) -> None:
    @app.route("/")
    @login_required
    def index():
        return redirect(home_url(current_user))

    @app.route("/health")
    def health():
        """For load balancers and monitors: the database (and the queue, when configured) answer."""
        from .jobs.runner import queue_alive

        checks = {}
        try:
            db.session.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception:
            checks["database"] = "unavailable"
        finally:
            db.session.rollback()
        queue = queue_alive(app)
        if queue is not None:
            checks["queue"] = "ok" if queue else "unavailable"
        healthy = all(v == "ok" for v in checks.values())
        return jsonify(status="ok" if healthy else "unavailable", **checks), 200 if healthy else 503

    @app.route("/language/<lang>", methods=["POST"])
    def set_language(lang):
        if lang in app.config["LANGUAGES"]:
            session["lang"] = lang
            if current_user.is_authenticated:
                current_user.locale = lang
                db.session.commit()
        return redirect(safe_next(request.form.get("next"), url_for("index")))

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

    @app.errorhandler(CSRFError)
    def csrf_expired(error):
        """An old form token (usually an ended session): say so; the browser keeps the answers."""
        message = _("Your session has ended. Log in again; your answers are kept in this browser.")
        if request.is_json or request.accept_mimetypes.best == "application/json":
            return jsonify(error="csrf", message=message), 400
        flash(message, "error")
        rule = request.url_rule
        return redirect(request.path if rule is not None and "GET" in rule.methods else url_for("index"))

    def error_page(error):
        if request.path.startswith("/api/"):  # no route of the API matched: its JSON, not a page
            from .api.errors import http_error_response

            return http_error_response(error)
        return (render_template("error.html", error=error), error.code) if error.code != 405 else error

    for code in (403, 404, 405):
        app.register_error_handler(code, error_page)
