"""Error pages: 403, 404 and 405 as a page (or the API's JSON under /api/), and an expired form token."""

from __future__ import annotations

from flask import Flask, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from .api.errors import http_error_response


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
        return http_error_response(error)
    return (render_template("error.html", error=error), error.code) if error.code != 405 else error


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, csrf_expired)
    for code in (403, 404, 405):
        app.register_error_handler(code, error_page)
