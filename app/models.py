"""Database models: organisations, users, cycles, self-checks, their answers and rectification actions."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from flask_login import UserMixin
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    bindparam,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from app.assessment.rectification import DONE as ACTION_DONE
from app.assessment.rectification import PLANNED as ACTION_PLANNED

from . import passwords
from .extensions import db

ORG_KINDS = ("committee", "general_branch", "branch")
ROLES = ("branch", "leader", "trainer", "admin")
DRAFT, SUBMITTED = "draft", "submitted"
APPROVED, RETURNED = "approved", "returned"  # a leader's review decisions (通过, 退回)
PENDING = "pending"  # submitted, awaiting the review: the state of a self-check without a decision since


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Organisation(db.Model):
    """A node of the tree committee → general branch → branch.

    `path` holds the codes from the root ("/DW/ZB1/B01/"), so a subtree is one indexed
    prefix query.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    path: Mapped[str] = mapped_column(String(400), index=True)

    # closed (dissolved or merged): keeps its history, is no member of cycles ending after this day
    closed_on: Mapped[date | None] = mapped_column(Date)

    parent: Mapped[Organisation | None] = relationship(remote_side=[id])

    @property
    def closed(self) -> bool:
        return self.closed_on is not None

    @staticmethod
    def member_of(cycle: Cycle):
        """SQL: the organisation takes part in `cycle`: open, or closed only after the cycle ended."""
        return Organisation.closed_on.is_(None) | (Organisation.closed_on > cycle.closes_on)

    def contains(self, other: Organisation) -> bool:
        return other.path.startswith(self.path)

    @property
    def committee_path(self) -> str:
        """The path of the Party committee at the root of this organisation's tree ("/CG/")."""
        return "/" + self.path.strip("/").split("/")[0] + "/"

    @staticmethod
    def in_subtree(root_path: str | None = None, *, param: str | None = None):
        """SQL: the organisation lies in the subtree rooted at `root_path` (itself included).

        The indexed prefix query; LIKE's wildcards in a code ("_", "%") are escaped, so they
        match only themselves. For a statement built once, name a bound `param` instead and
        give it the root's path when the statement runs.
        """
        return Organisation.path.like(bindparam(param, root_path, type_=_SubtreePattern()), escape="/")


class _SubtreePattern(TypeDecorator):
    """A path bound as the LIKE pattern of its subtree: wildcards escaped with "/", "%" appended."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return value.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"


trainer_assignment = Table(
    "trainer_assignment",
    db.metadata,
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    Column("organisation_id", ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True),
)


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    locale: Mapped[str | None] = mapped_column(String(10))
    email: Mapped[str | None] = mapped_column(String(254))  # where reminders go, when mail is configured
    # a temporary password given by an administrator: the user must choose their own before anything else
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime)  # a disabled account cannot log in

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    assigned: Mapped[list[Organisation]] = relationship(secondary=trainer_assignment)

    def set_password(self, password: str) -> None:
        self.password_hash = passwords.hash_password(password)

    def check_password(self, password: str) -> bool:
        return passwords.verify_password(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login: a disabled account is refused by `login_user`
        return self.disabled_at is None


class Cycle(db.Model):
    """One year of self-checks, answered against one questionnaire version."""

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(unique=True)
    questionnaire_version: Mapped[str] = mapped_column(String(40))
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)

    def is_open(self, today: date | None = None) -> bool:
        today = today or date.today()
        return self.opens_on <= today <= self.closes_on

    def days_left(self, today: date | None = None) -> int | None:
        """Days from today to the deadline (0 on the last day); None when the cycle is not open."""
        today = today or date.today()
        return (self.closes_on - today).days if self.is_open(today) else None


class SelfCheck(db.Model):
    """One branch's self-check for one cycle: a draft until submitted, then read-only."""

    __table_args__ = (UniqueConstraint("organisation_id", "cycle_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=DRAFT)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # Stored at submission, so overviews and comparisons aggregate in SQL.
    score: Mapped[float | None] = mapped_column(Float)
    level: Mapped[str | None] = mapped_column(String(20))
    # the latest review decision since the last submission (None: not reviewed yet); a resubmission clears it
    review_state: Mapped[str | None] = mapped_column(String(20))

    organisation: Mapped[Organisation] = relationship()
    cycle: Mapped[Cycle] = relationship(lazy="joined")
    answers: Mapped[list[Answer]] = relationship(back_populates="selfcheck", cascade="all, delete-orphan")
    pillar_scores: Mapped[list[PillarScore]] = relationship(cascade="all, delete-orphan")
    reviews: Mapped[list[Review]] = relationship(cascade="all, delete-orphan", order_by="Review.at, Review.id")
    evidence: Mapped[list[Evidence]] = relationship(
        back_populates="selfcheck", cascade="all, delete-orphan", order_by="Evidence.uploaded_at"
    )

    @property
    def submitted(self) -> bool:
        return self.status == SUBMITTED

    @property
    def review_status(self) -> str | None:
        """None (a draft never returned), "pending", "approved" or "returned"."""
        if self.submitted:
            return self.review_state or PENDING
        return self.review_state  # RETURNED, or None


class Answer(db.Model):
    """One item's answer, stored as JSON of the typed value (null once cleared), with its 0–100 score.

    `writer` names who numbered the save that wrote it last (a page load or an API token) and
    `seq` is that save's number; they order the saves of one writer (see `service.save_answers`).
    """

    __table_args__ = (UniqueConstraint("selfcheck_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    selfcheck_id: Mapped[int] = mapped_column(ForeignKey("self_check.id", ondelete="CASCADE"))
    item_id: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(Text)
    score: Mapped[float | None] = mapped_column(Float)
    seq: Mapped[int | None] = mapped_column(BigInteger)
    writer: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    selfcheck: Mapped[SelfCheck] = relationship(back_populates="answers")

    @property
    def typed_value(self):
        return json.loads(self.value)


class PillarScore(db.Model):
    __table_args__ = (UniqueConstraint("selfcheck_id", "pillar"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    selfcheck_id: Mapped[int] = mapped_column(ForeignKey("self_check.id", ondelete="CASCADE"))
    pillar: Mapped[str] = mapped_column(String(40))
    score: Mapped[float] = mapped_column(Float)
    level: Mapped[str] = mapped_column(String(20))


class Review(db.Model):
    """A leader's decision on a submitted self-check: approved (通过), or returned (退回) to the
    branch as a draft with its answers kept, with an overall comment and optional comments on
    items. The rows of a self-check, in order, are the history of its review.

    Returning is what "reopening" was before issue 17: the reopenings became returned reviews.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    selfcheck_id: Mapped[int] = mapped_column(ForeignKey("self_check.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decision: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[User] = relationship()
    comments: Mapped[list[ReviewComment]] = relationship(cascade="all, delete-orphan", order_by="ReviewComment.id")


class ReviewComment(db.Model):
    """A reviewer's comment on one item or on one rectification action of the self-check."""

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("review.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[str | None] = mapped_column(String(20))
    action_id: Mapped[int | None] = mapped_column(ForeignKey("rectification_action.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)


class Evidence(db.Model):
    """A file (佐证材料) attached to an item or to a rectification action of a self-check.

    `name` is the uploader's file name, cleaned for display and downloads; the content is kept
    under `key`, a generated name, in the configured store (app/evidence/storage.py).
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    selfcheck_id: Mapped[int] = mapped_column(ForeignKey("self_check.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[str | None] = mapped_column(String(20))
    action_id: Mapped[int | None] = mapped_column(ForeignKey("rectification_action.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))  # pdf, jpg, png, docx, xlsx: read from the content
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(64), unique=True)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    selfcheck: Mapped[SelfCheck] = relationship(back_populates="evidence")
    uploaded_by: Mapped[User | None] = relationship()


class EvidenceBlob(db.Model):
    """The content of an evidence file kept in the database (the default store)."""

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class LoginSession(db.Model):
    """A logged-in session. The cookie names it; logging out ends it here, on the server."""

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)


class LoginFailure(db.Model):
    """A failed log-in, counted per account and per address to throttle guessing."""

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    # an attempt whose password is being checked: counted for its account, not yet for its address
    checking: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class AuditEvent(db.Model):
    """Who did what, when, from where: logins, submissions, reopenings, downloads, exports, and
    the administration of accounts, whose `subject` is the account acted upon."""

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(40), index=True)
    target: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(64), default="")
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    subject: Mapped[User | None] = relationship(foreign_keys=[subject_id])


class PasswordHandout(db.Model):
    """Temporary passwords just issued to several accounts, kept for one download of their
    printable list by the administrator who issued them; deleted by that download, or by
    `flask prune` after HANDOUT_MINUTES."""

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    issued_by_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    rows: Mapped[str] = mapped_column(Text)  # JSON: [[username, name, organisation, password], …]


class ApiToken(db.Model):
    """A personal API token. Only its public prefix and the SHA-256 of the whole token are stored."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship()

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= utcnow()

    @property
    def active(self) -> bool:
        return self.revoked_at is None and not self.expired


class Job(db.Model):
    """A piece of batch work (a ZIP of reports, a cohort PDF, a large export) run in the background.

    The table is the queue (app/jobs/runner.py). The result is kept as a file under instance/jobs/
    for its owner to download. `error` is "interrupted" (its process stopped, again and again),
    "timeout", or what went wrong.
    """

    __table_args__ = (Index("ix_job_status_created_at", "status", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[str] = mapped_column(Text, default="{}")
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="queued")  # queued, running, done, failed
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    result_name: Mapped[str | None] = mapped_column(String(200))
    result_type: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)  # of the current attempt
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime)  # the running process says it is alive
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship()

    @property
    def percent(self) -> int:
        if self.status == "done":
            return 100
        return int(self.done * 100 / self.total) if self.total else 0


class RectificationAction(db.Model):
    """One rectification measure (整改措施) of a self-check's rectification list (整改清单).

    `origin` says what turned into it (a consistency flag, a top action, a suggestion, a low item;
    None for a problem the branch wrote itself) and `origin_ref` names it (flag id, suggestion rule
    id, item id); `item_id` is the questionnaire item it concerns, if any. Overdue is not a status:
    it follows from the deadline (`app.rectification.rules`). `continues_id` links an action to the
    action of an earlier cycle it accounts for (next year's self-check).
    """

    __tablename__ = "rectification_action"

    id: Mapped[int] = mapped_column(primary_key=True)
    selfcheck_id: Mapped[int] = mapped_column(ForeignKey("self_check.id", ondelete="CASCADE"), index=True)
    origin: Mapped[str | None] = mapped_column(String(20))  # flag, priority, suggestion, item
    origin_ref: Mapped[str | None] = mapped_column(String(60))
    item_id: Mapped[str | None] = mapped_column(String(20))
    problem: Mapped[str] = mapped_column(Text)
    measure: Mapped[str] = mapped_column(Text)
    owner_name: Mapped[str] = mapped_column(String(100))
    owner_role: Mapped[str] = mapped_column(String(100), default="")
    deadline: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default=ACTION_PLANNED)  # planned, in_progress, done
    account: Mapped[str | None] = mapped_column(Text)  # what was done, written when closing
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    continues_id: Mapped[int | None] = mapped_column(
        ForeignKey("rectification_action.id", ondelete="SET NULL"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    selfcheck: Mapped[SelfCheck] = relationship()
    continues: Mapped[RectificationAction | None] = relationship(remote_side=[id])
    notes: Mapped[list[ActionNote]] = relationship(
        back_populates="action", cascade="all, delete-orphan", order_by="(ActionNote.noted_on, ActionNote.id)"
    )

    @property
    def done(self) -> bool:
        return self.status == ACTION_DONE


class ActionNote(db.Model):
    """A dated progress note on a rectification action."""

    __tablename__ = "action_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("rectification_action.id", ondelete="CASCADE"), index=True)
    noted_on: Mapped[date] = mapped_column(Date)  # the day the progress happened
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    action: Mapped[RectificationAction] = relationship(back_populates="notes")
    created_by: Mapped[User | None] = relationship()


class PrefilledAnswer(db.Model):
    """Last year's answer offered for an item of a new self-check, until the user confirms or changes it.

    Kept apart from `Answer` so that nothing counts it (progress, scoring, submission) before the
    user confirms it; confirming writes it as an answer and deletes it.
    """

    __tablename__ = "prefilled_answer"
    __table_args__ = (UniqueConstraint("selfcheck_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    selfcheck_id: Mapped[int] = mapped_column(ForeignKey("self_check.id", ondelete="CASCADE"))
    item_id: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(Text)  # JSON of the typed value, as in `Answer.value`
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    @property
    def typed_value(self):
        return json.loads(self.value)


class QuestionnaireFile(db.Model):
    """A questionnaire version uploaded by an administrator: its YAML text, validated as the files
    of app/assessment/questionnaires/ are. Kept in the database so every app server reads the same.
    `chosen` is set for good once a cycle chooses it; from then on the version cannot change."""

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(40), unique=True)
    filename: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    chosen: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    uploaded_by: Mapped[User | None] = relationship()


class Reminder(db.Model):
    """A leader's reminder to a branch that has not submitted: shown on its home page until it
    submits or dismisses it, and mailed to its users when mail is configured."""

    __table_args__ = (Index("ix_reminder_organisation_cycle", "organisation_id", "cycle_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"))
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    sent_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    dismissed_at: Mapped[datetime | None] = mapped_column(DateTime)

    organisation: Mapped[Organisation] = relationship()
    cycle: Mapped[Cycle] = relationship()
    sent_by: Mapped[User | None] = relationship()


class MailDelivery(db.Model):
    """One attempt to mail a reminder to one user: to which address, when, and what the server said."""

    id: Mapped[int] = mapped_column(primary_key=True)
    reminder_id: Mapped[int] = mapped_column(ForeignKey("reminder.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    address: Mapped[str] = mapped_column(String(254))
    attempt: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    result: Mapped[str] = mapped_column(String(500))  # "sent", or the error
