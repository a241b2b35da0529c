"""Writes and reads of the review (审核). Views and the API call these; each write is one transaction.

Returning a self-check is the one way a submitted self-check becomes a draft again (it was
called reopening before issue 17): the answers are kept, the branch changes what the comments
ask and submits again, which clears the decision and makes the review pending once more.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from .. import audit
from ..database import write_transaction
from ..extensions import db
from ..models import (
    APPROVED,
    DRAFT,
    RETURNED,
    SUBMITTED,
    RectificationAction,
    Review,
    ReviewComment,
    SelfCheck,
    User,
    utcnow,
)

DECISIONS = (APPROVED, RETURNED)
MAX_COMMENT = 2000


class NotReviewable(Exception):
    """The self-check is not submitted (any more), or it is returned while its cycle is closed."""


def review(
    selfcheck: SelfCheck,
    user: User,
    decision: str,
    comment: str = "",
    item_comments: dict[str, str] | None = None,
    action_comments: dict[int, str] | None = None,
) -> Review:
    """Record a decision on a submitted self-check, with an overall comment and comments on items
    and on rectification actions (those of another self-check are ignored).

    A return needs the cycle open (NotReviewable otherwise): a draft of a closed cycle could be
    neither changed nor resubmitted, and would drop out of that year's comparisons. To correct a
    closed year, extend its cycle first (`open-cycle`). An approval may come at any time.
    The status change is a conditional UPDATE: of two leaders deciding at once, one decides.
    """
    assert decision in DECISIONS, decision
    if not selfcheck.submitted or (decision == RETURNED and not selfcheck.cycle.is_open()):
        raise NotReviewable()
    values = {"review_state": decision}
    if decision == RETURNED:
        values.update(
            status=DRAFT,
            score=None,
            level=None,
            submitted_at=None,
            revision=SelfCheck.revision + 1,
            updated_at=utcnow(),
        )
    with write_transaction():
        changed = db.session.execute(
            update(SelfCheck).where(SelfCheck.id == selfcheck.id, SelfCheck.status == SUBMITTED).values(**values)
        ).rowcount
        if not changed:
            db.session.rollback()
            raise NotReviewable()
        row = Review(selfcheck_id=selfcheck.id, user_id=user.id, decision=decision, comment=comment, at=utcnow())
        row.comments = [ReviewComment(item_id=k, text=v) for k, v in (item_comments or {}).items() if v]
        own = {a.id for a in actions_of(selfcheck)}
        row.comments += [
            ReviewComment(action_id=k, text=v) for k, v in (action_comments or {}).items() if v and k in own
        ]
        db.session.add(row)
        audit.record(
            "approve" if decision == APPROVED else "return",
            user,
            f"{selfcheck.organisation.code} {selfcheck.cycle.year}: {comment}",
        )
        db.session.commit()
    db.session.refresh(selfcheck)
    return row


@dataclass(frozen=True)
class OpenReturn:
    """A return the branch still has to answer: shown on its pages until it resubmits."""

    by: str
    at: object
    comment: str
    items: dict  # item id → the reviewer's comment
    actions: list  # (the action's problem, the reviewer's comment)


def open_return(selfcheck: SelfCheck) -> OpenReturn | None:
    """The latest return of a draft that has not been submitted since, with its comments."""
    if selfcheck.submitted or selfcheck.review_state != RETURNED:
        return None
    latest = db.session.scalar(
        select(Review)
        .options(selectinload(Review.comments), selectinload(Review.user))
        .where(Review.selfcheck_id == selfcheck.id, Review.decision == RETURNED)
        .order_by(Review.at.desc(), Review.id.desc())
        .limit(1)
    )
    if latest is None:
        return None
    items = {c.item_id: c.text for c in latest.comments if c.item_id}
    problems = {a.id: a.problem for a in actions_of(selfcheck)}
    actions = [(problems[c.action_id], c.text) for c in latest.comments if c.action_id in problems]
    return OpenReturn(latest.user.name, latest.at, latest.comment, items, actions)


def actions_of(selfcheck: SelfCheck) -> list[RectificationAction]:
    """The self-check's rectification actions, in the order they were planned (what a reviewer may comment on)."""
    return list(
        db.session.scalars(
            select(RectificationAction)
            .where(RectificationAction.selfcheck_id == selfcheck.id)
            .order_by(RectificationAction.id)
        )
    )


def history(selfcheck: SelfCheck) -> list[Review]:
    """Every decision on the self-check, oldest first, with who took it and the item comments."""
    return list(
        db.session.scalars(
            select(Review)
            .options(selectinload(Review.comments), selectinload(Review.user))
            .where(Review.selfcheck_id == selfcheck.id)
            .order_by(Review.at, Review.id)
        )
    )
