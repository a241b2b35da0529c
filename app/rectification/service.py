"""Writes and reads of rectification actions. Views and the API call these; each write is one
transaction under `write_transaction`.

Who may do what is asked of `app.access` (`can_read_actions`, `can_edit_actions`) by the caller;
the service guards what holds for everyone: actions are planned from a result (a submitted
self-check, or a draft with every item answered) and changed only while the self-check's cycle
is open, whatever became of the self-check meanwhile (submitted, reopened, approved): the work
of rectification goes on after the self-check itself is done. Once the cycle closes the list is
read-only, and what is unfinished is accounted for in the next cycle's self-check
(`account_for`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, selectinload

from app.assessment import rectification as rules

from .. import audit
from ..answers import result_of
from ..database import write_transaction
from ..extensions import db
from ..models import ActionNote, Cycle, RectificationAction, SelfCheck, User, utcnow


class NotEditable(Exception):
    """The self-check's cycle is closed: its actions can no longer be changed."""


class AlreadyAccounted(Exception):
    """Last year's action has been accounted for already (in another tab, by another member)."""


class NoResult(Exception):
    """The self-check has no result to plan from yet: a draft with unanswered items."""


@dataclass(frozen=True)
class Plan:
    """What a form or the API gives for an action: the problem, the measure, who leads it and by when."""

    problem: str
    measure: str
    owner_name: str
    owner_role: str
    deadline: date


def today() -> date:
    return date.today()


def actions_of(selfcheck: SelfCheck) -> list[RectificationAction]:
    """The self-check's actions, with their notes, in the order they were added."""
    return list(
        db.session.scalars(
            select(RectificationAction)
            .where(RectificationAction.selfcheck_id == selfcheck.id)
            .options(selectinload(RectificationAction.notes))
            .order_by(RectificationAction.id)
        )
    )


def get_action(selfcheck: SelfCheck, action_id: int) -> RectificationAction | None:
    action = db.session.get(RectificationAction, action_id)
    return action if action is not None and action.selfcheck_id == selfcheck.id else None


def editable(selfcheck: SelfCheck) -> bool:
    """The actions of `selfcheck` may change: its cycle is open."""
    return selfcheck.cycle.is_open()


def plannable(selfcheck: SelfCheck, result=None) -> bool:
    """New actions may be planned: the cycle is open and the self-check has a result."""
    if not editable(selfcheck):
        return False
    return rules.can_plan(result or result_of(selfcheck), selfcheck.submitted)


def _guard(selfcheck: SelfCheck) -> None:
    if not editable(selfcheck):
        raise NotEditable()


def _target(action: RectificationAction) -> str:
    selfcheck = action.selfcheck
    return f"{selfcheck.organisation.code} {selfcheck.cycle.year} action {action.id}"


def create_action(
    selfcheck: SelfCheck, user: User, plan: Plan, candidate: rules.Candidate | None = None
) -> RectificationAction:
    """Add an action to the self-check's list; `candidate` is what triggered it (None: the branch's own)."""
    _guard(selfcheck)
    if not rules.can_plan(result_of(selfcheck), selfcheck.submitted):
        raise NoResult()
    with write_transaction():
        action = RectificationAction(
            selfcheck_id=selfcheck.id,
            origin=candidate.origin if candidate else None,
            origin_ref=candidate.ref if candidate else None,
            item_id=candidate.item_id if candidate else None,
            status=rules.PLANNED,
            created_by_id=user.id,
            updated_by_id=user.id,
            **plan.__dict__,
        )
        db.session.add(action)
        db.session.flush()
        audit.record("action_create", user, _target(action))
        db.session.commit()
    return action


def update_action(action: RectificationAction, user: User, plan: Plan, status: str | None = None) -> None:
    """Change what an action says; `status` planned or in progress (reopens a done action: its
    account is kept until it is closed again). Closing goes through `close_action`."""
    _guard(action.selfcheck)
    if status is not None and status not in (rules.PLANNED, rules.IN_PROGRESS):
        raise ValueError(status)
    with write_transaction():
        for key, value in plan.__dict__.items():
            setattr(action, key, value)
        if status is not None:
            action.status = status
            action.closed_at = None
        action.updated_by_id, action.updated_at = user.id, utcnow()
        db.session.commit()


def add_note(action: RectificationAction, user: User, noted_on: date, text: str) -> None:
    """A dated progress note; an action still planned is in progress from its first note."""
    _guard(action.selfcheck)
    with write_transaction():
        action.notes.append(ActionNote(noted_on=noted_on, text=text, created_by_id=user.id))
        if action.status == rules.PLANNED:
            action.status = rules.IN_PROGRESS
        action.updated_by_id, action.updated_at = user.id, utcnow()
        db.session.commit()


def close_action(action: RectificationAction, user: User, account: str) -> None:
    """Mark an action done, with a short account of what was done."""
    _guard(action.selfcheck)
    with write_transaction():
        action.status, action.account = rules.DONE, account
        action.closed_at = action.updated_at = utcnow()
        action.updated_by_id = user.id
        audit.record("action_close", user, _target(action))
        db.session.commit()


def delete_action(action: RectificationAction, user: User) -> None:
    """Remove an action and its notes from the list (a mistake, a duplicate)."""
    _guard(action.selfcheck)
    with write_transaction():
        audit.record("action_delete", user, _target(action))
        db.session.delete(action)
        db.session.commit()


@dataclass(frozen=True)
class Summary:
    """What the branch home and the result page show of the list."""

    actions: list[RectificationAction]
    pending: int  # last year's unfinished actions not yet accounted for
    tally: tuple[int, int] | None  # last year's rectification: (done, total)
    today: date


def summary(selfcheck: SelfCheck) -> Summary:
    pairs = last_year(selfcheck)
    return Summary(
        actions=actions_of(selfcheck),
        pending=len(_pending(pairs)),
        tally=_tally(pairs),
        today=today(),
    )


# ------------------------------------------------------------------ next year

EARLIER = (
    select(SelfCheck)
    .join(Cycle)
    .where(SelfCheck.organisation_id == bindparam("organisation_id"), Cycle.year < bindparam("year"))
    .order_by(Cycle.year.desc())
    .limit(1)
)


def earlier_selfcheck(selfcheck: SelfCheck) -> SelfCheck | None:
    """The branch's self-check of the latest earlier cycle, submitted or not: its actions are last year's."""
    return db.session.scalar(EARLIER, {"organisation_id": selfcheck.organisation_id, "year": selfcheck.cycle.year})


def last_year(selfcheck: SelfCheck) -> list[tuple[RectificationAction, RectificationAction | None]]:
    """Last year's actions, each with this self-check's action that continues it (None if none does)."""
    earlier = earlier_selfcheck(selfcheck)
    if earlier is None:
        return []
    follow = aliased(RectificationAction)
    rows = db.session.execute(
        select(RectificationAction, follow)
        .outerjoin(follow, (follow.continues_id == RectificationAction.id) & (follow.selfcheck_id == selfcheck.id))
        .where(RectificationAction.selfcheck_id == earlier.id)
        .order_by(RectificationAction.id)
    )
    return [(old, new) for old, new in rows]


def to_account_for(selfcheck: SelfCheck) -> list[RectificationAction]:
    """Last year's unfinished actions this self-check has not accounted for yet."""
    return _pending(last_year(selfcheck))


def last_year_tally(selfcheck: SelfCheck) -> tuple[int, int] | None:
    """Last year's rectification as (done, total); None when last year planned no action."""
    return _tally(last_year(selfcheck))


def _pending(pairs) -> list[RectificationAction]:
    return [old for old, new in pairs if not old.done and new is None]


def _tally(pairs) -> tuple[int, int] | None:
    return rules.tally([(old.status, new.status if new else None) for old, new in pairs]) if pairs else None


def account_for(
    old: RectificationAction,
    selfcheck: SelfCheck,
    user: User,
    *,
    done: bool,
    account: str,
    deadline: date | None = None,
) -> RectificationAction:
    """Say what became of one of last year's unfinished actions, in this year's self-check.

    It becomes an action of this year's list that continues the old one: closed with `account`
    when it was `done`, else carried on to the new `deadline`, `account` (if any) as its first
    progress note. Last year's list itself stays as it was.
    """
    _guard(selfcheck)
    if done == (deadline is not None) or (done and not account):
        raise ValueError("done needs an account; not done needs a new deadline")
    now = utcnow()
    with write_transaction():
        action = RectificationAction(
            selfcheck_id=selfcheck.id,
            continues_id=old.id,
            origin=old.origin,
            origin_ref=old.origin_ref,
            item_id=old.item_id,
            problem=old.problem,
            measure=old.measure,
            owner_name=old.owner_name,
            owner_role=old.owner_role,
            deadline=old.deadline if done else deadline,
            status=rules.DONE if done else rules.IN_PROGRESS,
            account=account if done else None,
            closed_at=now if done else None,
            created_by_id=user.id,
            updated_by_id=user.id,
        )
        if not done and account:
            action.notes.append(ActionNote(noted_on=today(), text=account, created_by_id=user.id))
        db.session.add(action)
        try:
            db.session.flush()
        except IntegrityError:  # the unique continues_id: someone accounted for it meanwhile
            db.session.rollback()
            raise AlreadyAccounted() from None
        audit.record("action_account", user, _target(action) + f" continues {old.id}" + (" done" if done else ""))
        db.session.commit()
    return action
