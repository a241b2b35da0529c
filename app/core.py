"""The application's own routes: the home redirect, the health check, the language switch;
and where a user is sent (`home_url`, `safe_next`)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, jsonify, redirect, request, session, url_for
from flask_login import current_user, login_required
from sqlalchemy import text

from .database import write_transaction
from .extensions import db
from .jobs.runner import queue_alive


def safe_next(target: str | None, default: str) -> str:
    """A local path to go back to; anything pointing elsewhere falls back to `default`."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


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
                with write_transaction():
                    current_user.locale = lang
                    db.session.commit()
        return redirect(safe_next(request.form.get("next"), url_for("index")))
