"""Sessions that end on the server, idle and absolute timeouts, log-in throttling, security headers."""

from __future__ import annotations

import secrets
import time
from datetime import timedelta

from flask import Flask, abort, current_app, request, session
from flask.json.provider import DefaultJSONProvider
from flask_login import login_user, logout_user
from sqlalchemy import bindparam, func, select, update
from werkzeug.routing import IntegerConverter

from app.assessment.items import storable

from . import audit
from .database import write_transaction
from .extensions import db, login_manager
from .models import LoginFailure, LoginSession, User, utcnow

THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def init_app(app: Flask) -> None:
    login_manager.user_loader(load_user)
    app.before_request(refuse_nul_bytes)
    app.before_request(expire_idle_session)
    app.after_request(add_security_headers)


def start_session(user: User) -> None:
    """Log `user` in with a new session (a fresh cookie, a fresh server-side record)."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    record = LoginSession(id=secrets.token_urlsafe(32), user_id=user.id)
    with write_transaction():
        db.session.add(record)
        audit.record("login", user)
        db.session.commit()
    now = int(time.time())
    session.update(sid=record.id, created=now, seen=now)
    login_user(user)


def end_session(user: User | None) -> None:
    """Log out: the server-side record is ended, so a copy of the cookie is worthless."""
    sid = session.get("sid")
    if sid:
        db.session.execute(update(LoginSession).where(LoginSession.id == sid).values(ended_at=utcnow()))
    audit.record("logout", user)
    db.session.commit()
    logout_user()
    session.clear()


def load_user(user_id: str) -> User | None:
    """The user of a live session: the cookie's session must exist and not have ended."""
    sid = session.get("sid")
    if not sid or not user_id.isdigit():
        return None
    return db.session.scalar(LIVE_SESSION_USER, {"user_id": int(user_id), "sid": sid})


# built once: every request of a logged-in user runs it
LIVE_SESSION_USER = (
    select(User)
    .join(LoginSession, LoginSession.user_id == User.id)
    .where(User.id == bindparam("user_id"), LoginSession.id == bindparam("sid"), LoginSession.ended_at.is_(None))
)


def refuse_nul_bytes():
    """Query strings and forms: text that cannot be stored (`storable`, the rule answers follow
    too) is refused with 400 before any query. JSON answers meet the same rule in `Item.parse`."""
    values = list(request.args.values())
    if request.method == "POST" and request.mimetype != "application/json":
        values += request.form.values()
    if not all(storable(v) for v in values):
        abort(400)


class BoundedInt(IntegerConverter):
    """`<int:…>` of every route: a number beyond the database's integer columns matches no route
    (404), instead of reaching the driver, which cannot even bind it."""

    def __init__(self, map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits, min, max, signed)


class JSONProvider(DefaultJSONProvider):
    """Request bodies: JSON nested deeper than the parser can follow is unreadable (a 400 with the
    usual message, as for any broken JSON), not a server error."""

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


def expire_idle_session() -> None:
    """Forget a session idle for too long or too old; the next page asks to log in again and
    then returns to where the user was (their draft is saved on the server and in the browser)."""
    if "sid" not in session:
        return
    now = int(time.time())
    idle = current_app.config["SESSION_IDLE_MINUTES"] * 60
    absolute = current_app.config["SESSION_ABSOLUTE_HOURS"] * 3600
    if now - session.get("seen", 0) > idle or now - session.get("created", 0) > absolute:
        lang = session.get("lang")
        session.clear()
        if lang:
            session["lang"] = lang
    elif now - session["seen"] >= 60:  # refresh the cookie at most once a minute
        session["seen"] = now


def throttled(username: str, address: str) -> bool:
    """Too many recent failures for this account or from this address."""
    since = utcnow() - THROTTLE_WINDOW
    recent = select(func.count()).select_from(LoginFailure).where(LoginFailure.at >= since)
    by_account = db.session.scalar(recent.where(LoginFailure.username == username))
    by_address = db.session.scalar(recent.where(LoginFailure.address == address))
    return by_account >= MAX_FAILURES_PER_ACCOUNT or by_address >= MAX_FAILURES_PER_ADDRESS


def record_failure(username: str, address: str) -> None:
    with write_transaction():
        db.session.add(LoginFailure(username=username[:80], address=address[:64]))
        db.session.commit()


def add_security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if request.endpoint != "static" and "no-store" not in response.headers.get("Cache-Control", ""):
        # every page is someone's: results, drafts, overviews, a form's token; no cache keeps a copy
        # (send_file's "no-cache" would still let one keep it)
        response.headers["Cache-Control"] = "no-store"
    if current_app.config["SESSION_COOKIE_SECURE"]:  # served over HTTPS: browsers never try plain HTTP again
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response
