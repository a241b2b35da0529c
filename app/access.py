"""Who may see and change what. Every view asks here, for every object it loads."""

from __future__ import annotations

from flask import abort
from sqlalchemy import bindparam, or_, select

from .extensions import db
from .models import Organisation, SelfCheck, User


def visible_roots(user: User) -> list[Organisation]:
    """The organisations whose whole subtree `user` may read."""
    if user.role == "admin":
        return list(db.session.scalars(select(Organisation).where(Organisation.parent_id.is_(None))))
    if user.role == "trainer":
        return list(user.assigned)
    return [user.organisation]


def subtree_filter(user: User):
    """A SQL condition on Organisation selecting what `user` may read."""
    roots = visible_roots(user)
    if not roots:
        return Organisation.id.is_(None)
    return or_(*(Organisation.in_subtree(root.path) for root in roots))


def can_view_org(user: User, org: Organisation) -> bool:
    if user.role == "branch":
        return org.id == user.organisation_id
    return any(root.contains(org) for root in visible_roots(user))


def can_manage_account(actor: User, subject: User) -> bool:
    """Reset the password of, disable, enable or unlock `subject`: an administrator anyone but
    themselves; a leader the branch users and leaders of the branches in their subtree; nobody else."""
    if actor.id == subject.id:
        return False  # one's own account: the password page, never disabled by oneself
    if actor.role == "admin":
        return True
    return (
        actor.role == "leader"
        and subject.role in ("branch", "leader")
        and subject.organisation.kind == "branch"
        and actor.organisation.contains(subject.organisation)
    )


def can_edit(user: User, selfcheck: SelfCheck) -> bool:
    """Only the branch's own users fill in, and only a draft of an open cycle."""
    return (
        user.role == "branch"
        and selfcheck.organisation_id == user.organisation_id
        and not selfcheck.submitted
        and selfcheck.cycle.is_open()
    )


def can_reopen(user: User, selfcheck: SelfCheck) -> bool:
    return selfcheck.submitted and user.role in ("leader", "admin") and can_view_org(user, selfcheck.organisation)


# built once: `session.get` builds and keys a new statement on every call, and most pages call this
SELFCHECK_BY_ID = select(SelfCheck).where(SelfCheck.id == bindparam("id"))


def get_selfcheck_or_404(user: User, selfcheck_id: int) -> SelfCheck:
    """The self-check if `user` may read it; 404 otherwise, so ids cannot be probed."""
    selfcheck = db.session.scalar(SELFCHECK_BY_ID, {"id": selfcheck_id})
    if selfcheck is None:
        abort(404)
    if user.role == "branch":  # the common case, decided without loading the organisation
        if selfcheck.organisation_id != user.organisation_id:
            abort(404)
    elif not can_view_org(user, selfcheck.organisation):
        abort(404)
    return selfcheck
