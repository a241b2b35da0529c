"""Sessions that end on the server, idle and absolute timeouts, log-in throttling, security headers."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

from flask import Flask, abort, current_app, request, session
from flask.json.provider import DefaultJSONProvider
from flask_login import login_user, logout_user
from sqlalchemy import and_, bindparam, case, delete, func, or_, select, text, update
from werkzeug.routing import IntegerConverter

from app.assessment.items import storable

from . import audit, passwords
from .database import write_transaction
from .extensions import db, login_manager
from .models import LoginFailure, LoginSession, User, utcnow

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


def start_session(user: User, password: str | None = None) -> None:
    """Log `user` in with a new session (a fresh cookie, a fresh server-side record).

    After a password log-in (`password`): the failures of this account from this address are
    forgotten, and a hash of an older kind is replaced (`passwords.needs_rehash`).
    """
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    record = LoginSession(id=secrets.token_urlsafe(32), user_id=user.id)
    new_hash = passwords.hash_password(password) if password and passwords.needs_rehash(user.password_hash) else None
    with write_transaction():
        db.session.add(record)
        if password is not None:
            db.session.execute(
                delete(LoginFailure).where(
                    LoginFailure.username == user.username, LoginFailure.address == (request.remote_addr or "")[:64]
                )
            )
        if new_hash:  # hashed before the lock is taken: hashing is the slow part
            user.password_hash = new_hash
        audit.record("login", user)
        db.session.commit()
    now = int(time.time())
    session.update(sid=record.id, created=now, seen=now)
    if user.must_change_password:
        session["must_change"] = True  # `accounts.require_own_password` sends them to change it
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
    .where(
        User.id == bindparam("user_id"),
        LoginSession.id == bindparam("sid"),
        LoginSession.ended_at.is_(None),
        User.disabled_at.is_(None),
    )
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


@dataclass(frozen=True)
class Throttle:
    """After `free` failures, each attempt waits 1, 2, 4, … seconds after the latest failure, at most `cap`."""

    free: int
    cap: float  # seconds

    def delay(self, failures: int) -> float:
        return 0.0 if failures < self.free else float(min(2 ** min(failures - self.free, 30), self.cap))


# Log-in throttling counts the failures of the last THROTTLE_WINDOW in three scopes and delays
# the next attempt, never locks anyone out. One account from one address: an attacker there
# soon waits a quarter of an hour between guesses, while its owner logging in from elsewhere is
# not slowed by them. One account from anywhere (many addresses guessing together): at most one
# guess a minute, which is also the longest its owner can be made to wait. One address, many
# accounts (guessing common passwords across users): loosest, since a whole office can share
# one address, and each failure there holds back everyone in it: a minute at most.
# A successful log-in forgets its own account and address's failures; `accounts.service.unlock` all
# of an account's.
THROTTLE_WINDOW = timedelta(days=1)
PER_ACCOUNT_AND_ADDRESS = Throttle(free=3, cap=15 * 60)
PER_ACCOUNT = Throttle(free=10, cap=60)
PER_ADDRESS = Throttle(free=100, cap=60)
LOGIN_LOCK = 0x10C1A7E5  # PostgreSQL advisory lock: attempts are counted one at a time, as on SQLite


def begin_attempt(username: str, address: str) -> tuple[LoginFailure | None, float]:
    """Count a log-in attempt before its password is checked: (the attempt, recorded as a failure
    being checked, which `failed` confirms and `start_session` forgets; 0), or (None, the seconds
    to wait).

    Counting and recording happen in one locked transaction, so simultaneous attempts cannot
    all see the same count: eight wrong passwords sent at once reach three password checks.
    Attempts still being checked count for their account, not for their address: a thousand
    people logging in at once from one office are not failures of that office.
    """
    username, address = username[:80], address[:64]
    now = utcnow()
    with write_transaction():
        if db.session.get_bind().dialect.name == "postgresql":
            db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOGIN_LOCK})
        account = LoginFailure.username == username
        at_address = and_(LoginFailure.address == address, LoginFailure.checking.is_(False))
        pair = and_(account, LoginFailure.address == address)
        counts = db.session.execute(
            select(
                *(func.count(case((scope, 1))) for scope in (pair, account, at_address)),
                *(func.max(case((scope, LoginFailure.at))) for scope in (pair, account, at_address)),
            ).where(LoginFailure.at >= now - THROTTLE_WINDOW, or_(account, LoginFailure.address == address))
        ).one()
        throttles = (PER_ACCOUNT_AND_ADDRESS, PER_ACCOUNT, PER_ADDRESS)
        wait = max(
            (last + timedelta(seconds=throttle.delay(n)) - now).total_seconds() if last else 0.0
            for throttle, n, last in zip(throttles, counts[:3], counts[3:], strict=True)
        )
        attempt = None
        if wait <= 0:
            attempt = LoginFailure(username=username, address=address, at=now, checking=True)
            db.session.add(attempt)
        db.session.commit()
    return attempt, max(wait, 0.0)


def failed(attempt: LoginFailure) -> None:
    """The password was wrong: the attempt now counts for its address too."""
    with write_transaction():
        db.session.execute(update(LoginFailure).where(LoginFailure.id == attempt.id).values(checking=False))
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
