"""Changes to the organisation tree: create, rename, move, close and reopen an organisation.

Who may: an administrator everywhere; a leader strictly inside their own subtree (never their own
organisation, never a committee, never reopening). The rules of codes and kinds are those of
`app.organisations`, shared with `create-org` and the imports. Every change is audited.

A move rewrites the paths of the whole subtree in one UPDATE (a subtree is a path prefix), so
everyone's access follows at once; `access_changes` says beforehand whose access changes.
Closing keeps the organisation and its self-checks: it stops being a member of the cycles that
end after the day it closed (`Organisation.member_of`), its users' sessions end and they cannot
log in until an administrator reopens it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, literal, select, update

from .. import audit
from ..database import write_transaction
from ..extensions import db
from ..models import ORG_KINDS, LoginSession, Organisation, User, trainer_assignment, utcnow
from ..organisations import expected_path, organisation_problems, text_problem


class TreeError(Exception):
    """A change that the rules refuse; the message is in the user's language."""


def everywhere(user: User | None) -> bool:
    """An administrator, or the operator at the command line (no user)."""
    return user is None or user.role == "admin"


def can_manage(user: User | None, org: Organisation) -> bool:
    """Whether `user` may change `org`: admins any, leaders what lies strictly under their own."""
    if everywhere(user):
        return True
    return user.role == "leader" and org.id != user.organisation_id and user.organisation.contains(org)


def parents_for(user: User) -> list[Organisation]:
    """The open organisations under which `user` may create or place an organisation."""
    query = select(Organisation).where(Organisation.kind != "branch", Organisation.closed_on.is_(None))
    if user.role != "admin":
        query = query.where(Organisation.in_subtree(user.organisation.path))
    return list(db.session.scalars(query.order_by(Organisation.path)))


def _check_parent(actor: User | None, kind: str, parent: Organisation | None) -> None:
    if parent is None:
        if not everywhere(actor):
            raise TreeError(_l("Only an administrator can create a committee."))
        return
    if parent.closed:
        raise TreeError(_l("%(code)s is closed.", code=parent.code))
    if not everywhere(actor) and not actor.organisation.contains(parent):
        raise TreeError(_l("You can only work inside your own organisation."))
    if ORG_KINDS.index(kind) <= ORG_KINDS.index(parent.kind):
        raise TreeError(_l("This kind of organisation cannot sit under %(code)s.", code=parent.code))


def create(actor: User | None, code: str, kind: str, name: str, parent: Organisation | None) -> Organisation:
    """A new organisation under `parent` (None: a committee, administrators only)."""
    if kind == "committee" and not everywhere(actor):
        raise TreeError(_l("Only an administrator can create a committee."))
    _check_parent(actor, kind, parent)
    where = (parent.kind, parent.path) if parent else None
    if organisation_problems(code, kind, name, where):
        raise TreeError(_l("Check the code, the kind and the name."))
    if db.session.scalar(select(Organisation.id).where(Organisation.code == code)):
        raise TreeError(_l("An organisation with code %(code)s exists already.", code=code))
    with write_transaction():
        org = Organisation(code=code, kind=kind, name=name.strip(), parent=parent, path=expected_path(code, where))
        db.session.add(org)
        audit.record("org_create", actor, f"{org.path} {org.name}")
        db.session.commit()
    return org


def rename(actor: User | None, org: Organisation, name: str) -> None:
    if not can_manage(actor, org):
        raise TreeError(_l("You may not change this organisation."))
    if text_problem(name, "name", 200):
        raise TreeError(_l("Enter a name of at most 200 printable characters."))
    with write_transaction():
        old, org.name = org.name, name.strip()
        audit.record("org_rename", actor, f"{org.code}: {old} → {org.name}")
        db.session.commit()


@dataclass
class AccessChange:
    """A user who gains or loses the moved subtree."""

    user: User
    gains: bool


@dataclass
class MovePlan:
    org: Organisation
    parent: Organisation
    branches: list[Organisation] = field(default_factory=list)  # the branches of the moved subtree
    changes: list[AccessChange] = field(default_factory=list)


def plan_move(actor: User | None, org: Organisation, parent: Organisation) -> MovePlan:
    """Check a move of `org` under `parent` and say whose access it changes; changes nothing."""
    if not can_manage(actor, org):
        raise TreeError(_l("You may not change this organisation."))
    if org.kind == "committee":
        raise TreeError(_l("A committee stands at the root; it cannot be moved."))
    if org.contains(parent):
        raise TreeError(_l("An organisation cannot move under itself or under one of its own."))
    if parent.id == org.parent_id:
        raise TreeError(_l("%(code)s is already there.", code=org.code))
    _check_parent(actor, org.kind, parent)
    new_path = parent.path + org.code + "/"
    branches = db.session.scalars(
        select(Organisation)
        .where(Organisation.in_subtree(org.path), Organisation.kind == "branch")
        .order_by(Organisation.path)
    ).all()
    return MovePlan(org, parent, list(branches), _access_changes(org.path, new_path))


def _ancestor_ids(path: str) -> set[int]:
    codes = path.strip("/").split("/")[:-1]
    return set(db.session.scalars(select(Organisation.id).where(Organisation.code.in_(codes)))) if codes else set()


def _access_changes(old_path: str, new_path: str) -> list[AccessChange]:
    """Leaders and trainers who read the subtree at `old_path` but not at `new_path`, or the reverse
    (administrators read everything; the subtree's own users keep what is theirs)."""
    before, after = _ancestor_ids(old_path), _ancestor_ids(new_path)
    moved = before ^ after
    if not moved:
        return []
    leaders = db.session.scalars(select(User).where(User.role == "leader", User.organisation_id.in_(moved)))
    trainers = db.session.scalars(
        select(User)
        .join(trainer_assignment, trainer_assignment.c.user_id == User.id)
        .where(User.role == "trainer", trainer_assignment.c.organisation_id.in_(moved))
    )
    changes = []
    for user in sorted({u.id: u for u in [*leaders, *trainers]}.values(), key=lambda u: u.username):
        roots = {user.organisation_id} if user.role == "leader" else {o.id for o in user.assigned}
        had, has = bool(roots & before), bool(roots & after)
        if had != has:
            changes.append(AccessChange(user, gains=has))
    return changes


def move(actor: User | None, org: Organisation, parent: Organisation) -> MovePlan:
    """Move `org` and its subtree under `parent`."""
    plan = plan_move(actor, org, parent)
    old_path, new_path = org.path, parent.path + org.code + "/"
    with write_transaction():
        db.session.execute(
            update(Organisation)
            .where(Organisation.in_subtree(old_path))
            .values(path=literal(new_path) + func.substr(Organisation.path, len(old_path) + 1)),
            execution_options={"synchronize_session": False},
        )
        db.session.execute(update(Organisation).where(Organisation.id == org.id).values(parent_id=parent.id))
        audit.record("org_move", actor, f"{old_path} → {new_path}")
        db.session.commit()
    db.session.expire_all()
    return plan


def subtree_open(org: Organisation) -> list[Organisation]:
    """The open organisations of `org`'s subtree, itself first: what closing it closes."""
    return list(
        db.session.scalars(
            select(Organisation)
            .where(Organisation.in_subtree(org.path), Organisation.closed_on.is_(None))
            .order_by(Organisation.path)
        )
    )


def close(actor: User | None, org: Organisation, today: date | None = None) -> int:
    """Close `org` and the open organisations under it: their users' sessions end. How many closed."""
    if not can_manage(actor, org):
        raise TreeError(_l("You may not change this organisation."))
    if org.closed:
        raise TreeError(_l("%(code)s is closed already.", code=org.code))
    closing = subtree_open(org)
    ids = [o.id for o in closing]
    with write_transaction():
        db.session.execute(
            update(Organisation).where(Organisation.id.in_(ids)).values(closed_on=today or date.today()),
            execution_options={"synchronize_session": False},
        )
        users = select(User.id).where(User.organisation_id.in_(ids))
        db.session.execute(
            update(LoginSession)
            .where(LoginSession.user_id.in_(users), LoginSession.ended_at.is_(None))
            .values(ended_at=utcnow())
        )
        audit.record("org_close", actor, f"{org.path} ({len(ids)})")
        db.session.commit()
    db.session.expire_all()
    return len(ids)


def reopen(actor: User | None, org: Organisation) -> int:
    """Undo a closing (administrators): `org` and what was closed with it, the same day, open again."""
    if not everywhere(actor):
        raise TreeError(_l("Only an administrator can reopen an organisation."))
    if not org.closed:
        raise TreeError(_l("%(code)s is open.", code=org.code))
    if org.parent is not None and org.parent.closed:
        raise TreeError(_l("Reopen %(code)s first.", code=org.parent.code))
    with write_transaction():
        count = db.session.execute(
            update(Organisation)
            .where(Organisation.in_subtree(org.path), Organisation.closed_on == org.closed_on)
            .values(closed_on=None),
            execution_options={"synchronize_session": False},
        ).rowcount
        audit.record("org_reopen", actor, f"{org.path} ({count})")
        db.session.commit()
    db.session.expire_all()
    return count
