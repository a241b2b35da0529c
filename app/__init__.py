"""The party-branch self-check application."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, request, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.assessment.questionnaire import available_versions, get_questionnaire

from .config import Config, database_url, secret_key
from .extensions import babel, csrf, db, login_manager, migrate
from .reports.fonts import require_report_font


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_object(Config)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(app.instance_path)
    if config:
        app.config.update(config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret_key(app.instance_path)

    # A malformed questionnaire stops the app here, naming the file and the item.
    for version in available_versions():
        get_questionnaire(version)
    require_report_font(app)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.session_protection = "basic"

    from . import cli, views
    from .auth.routes import bp as auth_bp
    from .reports.routes import bp as reports_bp
    from .results.routes import bp as results_bp
    from .selfcheck.routes import bp as selfcheck_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(selfcheck_bp)
    app.register_blueprint(results_bp)
    app.register_blueprint(reports_bp)
    views.init_app(app)
    cli.init_app(app)
    return app


def select_locale() -> str:
    """The user's explicit choice, else their saved preference, else the browser's."""
    from flask import current_app

    languages = current_app.config["LANGUAGES"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


@login_manager.user_loader
def load_user(user_id: str):
    from .models import User

    return db.session.get(User, int(user_id))


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    """WAL and a busy timeout, so several server processes can write one SQLite file."""
    import sqlite3

    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Let SQLAlchemy's "begin" event below emit BEGIN itself.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn):
    """Requests that write (and commands) take SQLite's write lock when their transaction starts.

    A deferred transaction that reads and then writes cannot wait for the lock: SQLite
    answers "database is locked" at once if another process wrote in between. Taking
    the lock up front lets the busy timeout do its work instead.
    """
    if conn.dialect.name != "sqlite":
        return
    from flask import has_request_context

    writing = not has_request_context() or request.method not in ("GET", "HEAD", "OPTIONS")
    conn.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")
