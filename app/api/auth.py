"""Personal API tokens: issued once, stored as a prefix and a SHA-256 hash, checked on every request.

A token reads `sck_<prefix>_<secret>`: the 12-hex-digit prefix is public and finds the row,
the 256-bit secret is never stored. A hash this strong needs no slow key derivation, since
nobody can guess a 256-bit random value, and it keeps every request fast.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from flask import g, request
from flask_babel import gettext as _
from sqlalchemy import select, update

from ..database import write_transaction
from ..extensions import db
from ..models import ApiToken, User, utcnow
from .errors import ApiError

SCHEME = "sck"
TOKEN_FORMAT = re.compile(rf"^{SCHEME}_([0-9a-f]{{12}})_[A-Za-z0-9_-]{{43}}$")
LAST_USED_PRECISION = timedelta(minutes=1)  # write "last used" at most once a minute per token


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, name: str, days: int | None = None) -> tuple[ApiToken, str]:
    """Create a token for `user`, valid for `days` (or until revoked); the plain token is returned once."""
    prefix = secrets.token_hex(6)
    token = f"{SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
    now = utcnow()
    record = ApiToken(
        user_id=user.id,
        name=name,
        prefix=prefix,
        token_hash=hash_token(token),
        created_at=now,
        expires_at=now + timedelta(days=days) if days else None,
    )
    with write_transaction():
        db.session.add(record)
        db.session.commit()
    return record, token


def revoke_token(record: ApiToken) -> None:
    if record.revoked_at is None:
        with write_transaction():
            record.revoked_at = utcnow()
            db.session.commit()


def user_tokens(user: User) -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())))


def unauthorized(code: str, message: str) -> ApiError:
    return ApiError(401, code, message)


def authenticate() -> ApiToken:
    """The token of the request's `Authorization: Bearer <token>`; ApiError 401 otherwise."""
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise unauthorized("authentication_required", _("Send a personal API token: Authorization: Bearer <token>."))
    match = TOKEN_FORMAT.match(token)
    record = db.session.scalar(select(ApiToken).where(ApiToken.prefix == match.group(1))) if match else None
    if record is None or not hmac.compare_digest(record.token_hash, hash_token(token)):
        raise unauthorized("invalid_token", _("This API token is not valid."))
    if record.revoked_at is not None:
        raise unauthorized("token_revoked", _("This API token has been revoked."))
    if record.expired:
        raise unauthorized("token_expired", _("This API token has expired."))
    if not record.user.is_active:  # disabling revokes every token; one issued since is refused too
        raise unauthorized("account_disabled", _("This account is disabled."))
    if record.user.organisation.closed:
        raise unauthorized("organisation_closed", _("Your organisation has been closed."))
    note_use(record)
    return record


def note_use(record: ApiToken) -> None:
    """Record when the token was last used, at most once a minute, in a write transaction of its
    own: the request's reads so far took no lock, and on SQLite a read cannot turn into a write
    once another process has written."""
    now = utcnow()
    if record.last_used_at is not None and now - record.last_used_at < LAST_USED_PRECISION:
        return
    with write_transaction():
        db.session.execute(update(ApiToken).where(ApiToken.id == record.id).values(last_used_at=now))
        db.session.commit()


def api_user() -> User:
    """The user the current API request is authenticated as."""
    return g.api_user


def api_token_id() -> int:
    """The id of the token the current API request is authenticated with."""
    return g.api_token_id
