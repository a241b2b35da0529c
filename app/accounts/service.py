"""Writes of account administration: own and temporary passwords, disabling, unlocking, roles.

Every function that writes takes the write lock (`write_transaction`), records its audit event in
the same transaction, and hashes any password before the lock is taken (hashing is the slow part).
`by` is who acts: a user, or None for the command line.
"""

from __future__ import annotations

import json
import secrets
from datetime import timedelta

from sqlalchemy import delete, select, update

from .. import audit, passwords
from ..database import write_transaction
from ..extensions import db
from ..models import ApiToken, LoginFailure, LoginSession, Organisation, PasswordHandout, User, utcnow

# no 0/O, 1/l/I: a password read off paper is typed right the first time
TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
HANDOUT_MINUTES = 60


def temporary_password() -> str:
    """Twelve random characters in three groups ("k7mq-3xwp-r9tf"): 59 bits, typed easily on a phone."""
    groups = ("".join(secrets.choice(TEMPORARY_ALPHABET) for _ in range(4)) for _ in range(3))
    return "-".join(groups)


def issue_temporary_password(user: User) -> str:
    """Give `user` a new temporary password, which they must change at their next log-in; the
    password, to be shown once. Only sets the fields: the caller commits, in its own write
    transaction, with the change that needed the password (a creation, a reset)."""
    password = temporary_password()
    user.set_password(password)
    user.must_change_password = True
    return password


def change_own_password(user: User, new_password: str, current_session: str | None) -> None:
    """`user` chose `new_password` (already checked against the policy): their other sessions end."""
    new_hash = passwords.hash_password(new_password)
    with write_transaction():
        user.password_hash = new_hash
        user.must_change_password = False
        end_sessions(user, keep=current_session)
        audit.record("password_change", user, subject=user)
        db.session.commit()


def set_password(user: User, new_password: str, by: User | None) -> None:
    """An administrator (the command line) sets `user`'s password: their sessions end."""
    new_hash = passwords.hash_password(new_password)
    with write_transaction():
        user.password_hash = new_hash
        user.must_change_password = False
        end_sessions(user)
        audit.record("password_reset", by, user.username, subject=user)
        db.session.commit()


def reset_password(user: User, by: User | None) -> str:
    """Replace `user`'s password by a temporary one, end their sessions; the temporary password."""
    password = issue_temporary_password(user)
    with write_transaction():
        end_sessions(user)
        audit.record("password_reset", by, user.username, subject=user)
        db.session.commit()
    return password


def create_user(
    by: User | None, username: str, name: str, role: str, organisation: Organisation, assigned=(), password=None
) -> tuple[User, str]:
    """A new account (checked against `organisations.user_problems` by the caller) with a temporary
    password, or with `password` when the command line gives one; (the user, its password).
    A trainer with no assignment reads their own organisation."""
    user = User(username=username, name=name, role=role, organisation=organisation, assigned=list(assigned))
    if role == "trainer" and not user.assigned:
        user.assigned.append(organisation)
    if password is None:
        password = issue_temporary_password(user)
    else:
        user.set_password(password)
    with write_transaction():
        db.session.add(user)
        db.session.flush()
        audit.record("user_create", by, f"{username} {role} {organisation.code}", subject=user)
        db.session.commit()
    return user, password


def end_sessions(user: User, keep: str | None = None) -> int:
    """End every live session of `user` but `keep` (inside the caller's write transaction); how many."""
    query = update(LoginSession).where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
    if keep:
        query = query.where(LoginSession.id != keep)
    return db.session.execute(query.values(ended_at=utcnow())).rowcount


def disable(user: User, by: User | None) -> None:
    """Disable `user` at once: their sessions end, their API tokens are revoked, they cannot log in."""
    now = utcnow()
    with write_transaction():
        user.disabled_at = now
        end_sessions(user)
        db.session.execute(
            update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)).values(revoked_at=now)
        )
        audit.record("user_disable", by, user.username, subject=user)
        db.session.commit()


def enable(user: User, by: User | None) -> None:
    """Let a disabled `user` log in again (their revoked tokens stay revoked)."""
    with write_transaction():
        user.disabled_at = None
        audit.record("user_enable", by, user.username, subject=user)
        db.session.commit()


def unlock(user: User, by: User | None) -> int:
    """Forget every failed log-in of `user`, so that no delay holds them back; how many."""
    with write_transaction():
        count = db.session.execute(delete(LoginFailure).where(LoginFailure.username == user.username)).rowcount
        audit.record("user_unlock", by, user.username, subject=user)
        db.session.commit()
    return count


def update_user(
    user: User, by: User | None, *, role: str, organisation: Organisation, assigned: list[Organisation]
) -> list[str]:
    """Change `user`'s role, organisation and (for a trainer) assignments; what changed, for the
    audit log. A changed role or organisation ends their sessions: what they may see has changed."""
    changes = []
    if role != user.role:
        changes.append(f"role {user.role}→{role}")
    if organisation.id != user.organisation_id:
        changes.append(f"organisation {user.organisation.code}→{organisation.code}")
    assigned = assigned if role == "trainer" else []
    if {o.id for o in assigned} != {o.id for o in user.assigned}:
        changes.append("assigned " + (",".join(sorted(o.code for o in assigned)) or "—"))
    if not changes:
        return changes
    with write_transaction():
        if role != user.role or organisation.id != user.organisation_id:
            end_sessions(user)
        user.role, user.organisation, user.assigned = role, organisation, list(assigned)
        audit.record("user_update", by, f"{user.username}: {'; '.join(changes)}", subject=user)
        db.session.commit()
    return changes


def make_handout(by: User, rows: list[tuple[str, str, str, str]]) -> str:
    """Keep just-issued temporary passwords for one download by `by`; the handout's id."""
    handout = PasswordHandout(id=secrets.token_urlsafe(32), issued_by_id=by.id, rows=json.dumps(rows))
    with write_transaction():
        db.session.add(handout)
        db.session.commit()
    return handout.id


def take_handout(handout_id: str, by: User) -> list[list[str]] | None:
    """The rows of `by`'s handout, deleted as they are read: a second download finds nothing.
    None for an unknown, someone else's or expired handout."""
    fresh_since = utcnow() - timedelta(minutes=HANDOUT_MINUTES)
    with write_transaction():
        handout = db.session.scalar(
            select(PasswordHandout).where(PasswordHandout.id == handout_id, PasswordHandout.issued_by_id == by.id)
        )
        if handout is None:
            db.session.commit()
            return None
        rows = json.loads(handout.rows) if handout.created_at >= fresh_since else None
        db.session.delete(handout)
        db.session.commit()
    return rows


def forget_old_handouts() -> int:
    """Delete handouts nobody downloaded within HANDOUT_MINUTES (inside the caller's transaction)."""
    cutoff = utcnow() - timedelta(minutes=HANDOUT_MINUTES)
    return db.session.execute(delete(PasswordHandout).where(PasswordHandout.created_at < cutoff)).rowcount
