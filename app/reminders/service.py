"""Who is behind, sending reminders, and the branch's side: its reminders and dismissing one.

A reminder is one row per branch and sending; it shows on the branch's home page while the
branch has not submitted the cycle's self-check and has not dismissed it. When mail is
configured (MAIL_SERVER), one background job mails every reminder of a sending (`mail`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, select

from .. import audit
from ..access import subtree_filter
from ..database import write_transaction
from ..extensions import db
from ..models import SUBMITTED, Cycle, Organisation, Reminder, SelfCheck, User, utcnow

SENDERS = ("leader", "admin")


@dataclass
class Behind:
    """A branch that has not submitted: "not_started" or "draft"."""

    org: Organisation
    status: str
    last_reminded: object = None


def open_cycle(today: date | None = None) -> Cycle | None:
    """The cycle open today, whose deadline is still ahead (or today)."""
    today = today or date.today()
    return db.session.scalar(
        select(Cycle).where(Cycle.opens_on <= today, Cycle.closes_on >= today).order_by(Cycle.year.desc()).limit(1)
    )


def behind(user: User, cycle: Cycle) -> list[Behind]:
    """The branches under `user`, taking part in `cycle`, that have not submitted it."""
    rows = db.session.execute(
        select(Organisation, SelfCheck.status)
        .outerjoin(SelfCheck, and_(SelfCheck.organisation_id == Organisation.id, SelfCheck.cycle_id == cycle.id))
        .where(
            Organisation.kind == "branch",
            subtree_filter(user),
            Organisation.member_of(cycle),
            (SelfCheck.status.is_(None)) | (SelfCheck.status != SUBMITTED),
        )
        .order_by(Organisation.path)
    ).all()
    last = dict(
        db.session.execute(
            select(Reminder.organisation_id, db.func.max(Reminder.sent_at))
            .where(Reminder.cycle_id == cycle.id)
            .group_by(Reminder.organisation_id)
        ).all()
    )
    return [Behind(org, "draft" if status else "not_started", last.get(org.id)) for org, status in rows]


def send(user: User, cycle: Cycle, org_ids: list[int]) -> list[Reminder]:
    """Remind the branches of `org_ids` that are behind and under `user`; the reminders (the page
    then has them mailed, as a job, when mail is configured)."""
    chosen = set(org_ids)
    targets = [b.org for b in behind(user, cycle) if b.org.id in chosen]
    if not targets:
        return []
    with write_transaction():
        reminders = [Reminder(organisation_id=o.id, cycle_id=cycle.id, sent_by_id=user.id) for o in targets]
        db.session.add_all(reminders)
        audit.record("reminder", user, f"{cycle.year}: " + " ".join(o.code for o in targets))
        db.session.commit()
    return reminders


def active_for(org_id: int, cycle: Cycle) -> list[Reminder]:
    """The reminders a branch's home page shows: not dismissed, while its self-check is not submitted."""
    submitted = select(SelfCheck.id).where(
        SelfCheck.organisation_id == org_id, SelfCheck.cycle_id == cycle.id, SelfCheck.status == SUBMITTED
    )
    if db.session.scalar(submitted):
        return []
    return list(
        db.session.scalars(
            select(Reminder)
            .where(Reminder.organisation_id == org_id, Reminder.cycle_id == cycle.id, Reminder.dismissed_at.is_(None))
            .order_by(Reminder.sent_at.desc())
        )
    )


def dismiss(user: User, reminder: Reminder) -> None:
    """A branch user dismisses one of their branch's reminders."""
    with write_transaction():
        reminder.dismissed_at = utcnow()
        db.session.commit()
