"""The party-branch self-check application."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, g, request, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.assessment.questionnaire import available_versions, get_questionnaire

from . import database, patches, security
from .config import Config, database_url, secret_key
from .extensions import babel, csrf, db, login_manager, migrate
from .reports.fonts import require_report_font


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.url_map.converters["int"] = security.BoundedInt  # before any route is added
    app.json = security.JSONProvider(app)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_object(Config)
    app.config.from_pyfile("config.py", silent=True)  # instance/config.py: settings kept out of the repository
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(app.instance_path)
    if config:
        app.config.update(config)
    if app.config.get("TRUSTED_PROXIES"):
        # behind N reverse proxies: believe their X-Forwarded-For/-Proto (log-in throttling uses the address)
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}  # servers restart; files do not
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret_key(app.instance_path)

    patches.init_app(app)  # another version of a patched library stops the app here
    # A malformed questionnaire stops the app here, naming the file and the item.
    for version in available_versions():
        get_questionnaire(version)
    require_report_font(app)

    db.init_app(app)
    database.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    from .evidence import raise_upload_limit

    app.before_request(raise_upload_limit)  # before CSRF protection reads the form
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.session_protection = "basic"

    from . import cli, core, errors, i18n
    from .accounts.routes import bp as accounts_bp
    from .admin.routes import bp as admin_bp
    from .api.account import bp as account_bp
    from .api.routes import bp as api_bp
    from .auth.routes import bp as auth_bp
    from .comparison.routes import bp as comparison_bp
    from .evidence.routes import bp as evidence_bp
    from .jobs import kinds as job_kinds
    from .jobs.routes import bp as jobs_bp
    from .rectification.routes import bp as rectification_bp
    from .reminders.routes import bp as reminders_bp
    from .reports.routes import bp as reports_bp
    from .results.routes import bp as results_bp
    from .selfcheck.routes import bp as selfcheck_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(selfcheck_bp)
    app.register_blueprint(results_bp)
    app.register_blueprint(evidence_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(rectification_bp)
    app.register_blueprint(comparison_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(account_bp)
    app.register_blueprint(jobs_bp)
    app.register_blueprint(reminders_bp)
    job_kinds.init_app(app)
    core.init_app(app)
    errors.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    cli.init_app(app)
    return app


def select_locale() -> str:
    """The user's explicit choice, else their saved preference, else the browser's; outside a
    request (the command line; jobs choose theirs with `force_locale`), English."""
    from flask import current_app, has_request_context

    if not has_request_context():
        return "en"
    languages = current_app.config["LANGUAGES"]
    api_user = g.get("api_user")  # the API authenticates by token and ignores the session
    if api_user is not None:
        if api_user.locale in languages:
            return api_user.locale
    else:
        chosen = session.get("lang")
        if chosen in languages:
            return chosen
        if current_user and current_user.is_authenticated and current_user.locale in languages:
            return current_user.locale
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]
