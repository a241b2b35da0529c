"""Application-wide pages and template helpers: the home redirect, the language switch."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import format_date, format_datetime, format_decimal, get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError

from .extensions import db


def safe_next(target: str | None, default: str) -> str:
    """A local path to go back to; anything pointing elsewhere falls back to `default`."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def init_app(app: Flask) -> None:
    @app.route("/")
    @login_required
    def index():
        if current_user.role == "branch":
            return redirect(url_for("selfcheck.home"))
        return redirect(url_for("results.overview"))

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
        lang = str(get_locale() or "zh")[:2]
        return {"lang": lang, "other_languages": [lg for lg in app.config["LANGUAGES"] if lg != lang]}

    @app.template_filter("tr")
    def translate_text(text):
        """Pick the current language of a bilingual questionnaire text."""
        return text(str(get_locale() or "zh")[:2]) if text is not None else ""

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

    for code in (403, 404):
        app.register_error_handler(code, lambda e: (render_template("error.html", error=e), e.code))
