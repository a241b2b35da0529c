"""Writes to self-checks. Views call these; each call is one transaction."""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from app.assessment.items import AnswerError, Item
from app.assessment.questionnaire import Questionnaire
from app.assessment.scoring import Result, raised_flags

from .. import audit
from ..answers import questionnaire_of, result_of, typed_answers  # noqa: F401 (the pages and the API read them here too)
from ..database import write_transaction
from ..extensions import db
from ..models import DRAFT, SUBMITTED, Answer, Cycle, Organisation, PillarScore, SelfCheck, User, utcnow


class NotEditable(Exception):
    """The self-check is submitted or its cycle is closed."""


class Incomplete(Exception):
    def __init__(self, missing):
        super().__init__(", ".join(missing))
        self.missing = missing


class Unconfirmed(Exception):
    """Consistency flags are open that the submitter did not confirm."""

    def __init__(self, flags):
        super().__init__(", ".join(flags))
        self.flags = flags


@dataclass(frozen=True)
class Progress:
    per_pillar: dict  # pillar id → (answered, items)
    answered: int
    total: int


def progress_of(questionnaire: Questionnaire, answers: dict) -> Progress:
    """How many items are answered, per pillar and in all (no scoring needed)."""
    per_pillar = {p.id: (sum(1 for i in p.items if i.id in answers), len(p.items)) for p in questionnaire.pillars}
    return Progress(per_pillar, sum(a for a, _ in per_pillar.values()), sum(n for _, n in per_pillar.values()))


def first_unanswered(questionnaire: Questionnaire, answers: dict) -> Item | None:
    """The first item that needs an answer and has none, in the questionnaire's order (where "continue" leads)."""
    return next((i for p in questionnaire.pillars for i in p.items if not i.optional and i.id not in answers), None)


def open_flags(questionnaire: Questionnaire, answers: dict) -> list[str]:
    """The ids of the consistency flags the answers raise now: the result's flags, known while
    filling in. Only the flags' conditions are checked, not the whole scoring: every pillar
    page and every save of an item a flag looks at asks."""
    return [flag.id for flag in raised_flags(questionnaire, answers)]


@cache
def flagged_items(questionnaire: Questionnaire) -> frozenset[str]:
    """The items some consistency flag looks at: a save of any other item changes no flag."""
    return frozenset(c.item for flag in questionnaire.flags for c in flag.when)


def previous_selfcheck(selfcheck: SelfCheck) -> SelfCheck | None:
    """The same branch's submitted self-check of the latest earlier cycle."""
    return submitted_before(selfcheck.organisation_id, selfcheck.cycle.year)


SUBMITTED_BEFORE = (
    select(SelfCheck)
    .join(Cycle)
    .where(
        SelfCheck.organisation_id == bindparam("organisation_id"),
        SelfCheck.status == SUBMITTED,
        Cycle.year < bindparam("year"),
    )
    .order_by(Cycle.year.desc())
    .limit(1)
)


def submitted_before(organisation_id: int, year: int) -> SelfCheck | None:
    """The branch's submitted self-check of the latest cycle before `year`."""
    return db.session.scalar(SUBMITTED_BEFORE, {"organisation_id": organisation_id, "year": year})


def start_selfcheck(org: Organisation, cycle: Cycle) -> SelfCheck:
    """The branch's self-check of `cycle`, created as an empty draft if it has none."""
    selfcheck = db.session.scalar(
        select(SelfCheck).where(SelfCheck.organisation_id == org.id, SelfCheck.cycle_id == cycle.id)
    )
    if selfcheck is None:
        with write_transaction():
            selfcheck = SelfCheck(organisation_id=org.id, cycle_id=cycle.id, status=DRAFT, revision=0)
            db.session.add(selfcheck)
            db.session.commit()
    return selfcheck


@dataclass(frozen=True)
class SaveOutcome:
    saved: list[str]  # item ids written (or cleared)
    errors: dict  # item id → AnswerError; those answers were left as they were
    stale: list[str]  # item ids skipped: a newer save of the same writer got there first
    answered: int  # how many items of the self-check now have an answer
    conflicts: dict = field(default_factory=dict)  # item id → Conflict: changed meanwhile by someone else
    newer: dict = field(default_factory=dict)  # item id → Conflict: what the stale items hold now
    newer_seq: int | None = None  # the highest `seq` of this writer among the stale items


@dataclass(frozen=True)
class Conflict:
    theirs: object  # the typed value stored now (None: no answer)
    by: str | None  # who wrote it
    at: datetime | None


# A `seq` counts the saves of one writer. A larger number (a clock reading in milliseconds,
# say) is refused: it would pin the writer's answers against every later save of its own.
MAX_SEQ = 2**31 - 1


def page_writer(page_id: str) -> str:
    """The writer of the saves of one page load (the page's random id)."""
    return f"page:{page_id}"


def token_writer(token_id: int) -> str:
    """The writer of the saves made with one API token."""
    return f"token:{token_id}"


def user_writer(user_id: int) -> str:
    """The writer of numbered saves sent without a page id (a script on a user's session)."""
    return f"user:{user_id}"


_UPSERTS: dict = {}


def _upsert(ordered: bool):
    """The answer upsert, run with a list of rows as executemany parameters.

    Built once per dialect and kind: a multi-row `.values(rows)` statement has no cache
    key, so SQLAlchemy compiled it again on every save.
    """
    dialect = db.session.get_bind().dialect.name
    stmt = _UPSERTS.get((dialect, ordered))
    if stmt is not None:
        return stmt
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(Answer.__table__)
    stmt = stmt.on_conflict_do_update(
        index_elements=["selfcheck_id", "item_id"],
        set_={
            "value": stmt.excluded.value,
            "score": stmt.excluded.score,
            "seq": Answer.seq if not ordered else stmt.excluded.seq,
            "writer": Answer.writer if not ordered else stmt.excluded.writer,
            "updated_at": stmt.excluded.updated_at,
            "updated_by_id": stmt.excluded.updated_by_id,
        },
        # an older number of the same writer never overwrites a newer one, even between two requests in flight
        where=(
            Answer.writer.is_distinct_from(stmt.excluded.writer)
            | Answer.seq.is_(None)
            | (Answer.seq < stmt.excluded.seq)
        )
        if ordered
        else None,
    )
    _UPSERTS[dialect, ordered] = stmt
    return stmt


# The statements of a save, built once: autosave runs them hundreds of times a second.
CURRENT_ANSWERS = (
    select(Answer.item_id, Answer.value, Answer.writer, Answer.seq, Answer.updated_at, User.name)
    .outerjoin(User, User.id == Answer.updated_by_id)
    .where(Answer.selfcheck_id == bindparam("selfcheck_id"), Answer.item_id.in_(bindparam("items", expanding=True)))
)
NEXT_REVISION = (
    update(SelfCheck)
    .where(SelfCheck.id == bindparam("selfcheck_id"), SelfCheck.status == DRAFT)
    .values(revision=SelfCheck.revision + 1, updated_at=bindparam("now"))
)
ANSWERED = select(func.count()).where(Answer.selfcheck_id == bindparam("selfcheck_id"), Answer.value != "null")


def save_answers(
    selfcheck: SelfCheck,
    raw: dict,
    user: User | None,
    *,
    writer: str | None = None,
    seq: int | None = None,
    base: dict | None = None,
    enforce_window: bool = True,
) -> SaveOutcome:
    """Save every valid answer of `raw` (item id → raw value), in one transaction.

    Invalid answers are reported and left as they were; the valid ones are kept, so a
    mistake in one field never costs the others. An empty value clears the answer; a value
    that cannot be read is an error, never a clearing.

    `writer` names who numbers the saves (one page load, one API token: see `page_writer`,
    `token_writer`) and `seq` is this save's number, counted by the writer: an answer the
    same writer last wrote with a higher number is not overwritten, and is reported as stale
    (with what it holds now in `newer`). Numbers of different writers are never compared.

    `base` (item id → the raw value the writer last saw) decides between writers: where the
    stored answer is no longer what the writer saw, and differs from what they write,
    nothing is overwritten and the other version is returned as a conflict.

    A save with neither (an import, a page without script) always applies.
    `enforce_window=False` lets an administrator type up paper forms after the cycle closed.
    """
    if seq is not None and writer is None:
        raise ValueError("a save's seq needs the writer that counts it")
    if selfcheck.submitted or (enforce_window and not selfcheck.cycle.is_open()):
        raise NotEditable()
    questionnaire = questionnaire_of(selfcheck)
    values, errors = questionnaire.parse_answers(raw)
    selfcheck_id, user_id = selfcheck.id, (user.id if user else None)
    with write_transaction():
        stale, conflicts, newer, newer_seq = [], {}, {}, None
        if values and (seq is not None or base):
            current = db.session.execute(CURRENT_ANSWERS, {"selfcheck_id": selfcheck_id, "items": list(values)}).all()
            for item_id, stored, stored_writer, stored_seq, at, by in current:
                if seq is not None and stored_writer == writer and stored_seq is not None and stored_seq >= seq:
                    stale.append(item_id)
                    newer[item_id] = Conflict(json.loads(stored), by, at)
                    newer_seq = max(newer_seq or 0, stored_seq)
                elif base is not None and item_id in base:
                    theirs = json.loads(stored)
                    seen = _parsed_or_marker(questionnaire.items[item_id], base[item_id])
                    if theirs not in (seen, values[item_id]):
                        conflicts[item_id] = Conflict(theirs, by, at)
            values = {k: v for k, v in values.items() if k not in stale and k not in conflicts}
        now = utcnow()
        rows = [
            {
                "selfcheck_id": selfcheck_id,
                "item_id": item_id,
                # a cleared answer keeps its row (as JSON null) so that its ordering number survives
                "value": json.dumps(value, ensure_ascii=False),
                "score": questionnaire.items[item_id].score(value),
                "seq": seq,
                "writer": writer if seq is not None else None,
                "updated_at": now,
                "updated_by_id": user_id,
            }
            for item_id, value in values.items()
        ]
        if rows:
            # the guard of the whole save: still a draft now that the write lock is held
            still_draft = db.session.execute(NEXT_REVISION, {"selfcheck_id": selfcheck_id, "now": now}).rowcount
            if not still_draft:
                db.session.rollback()
                raise NotEditable()
            db.session.execute(_upsert(ordered=seq is not None), rows)
        answered = db.session.scalar(ANSWERED, {"selfcheck_id": selfcheck_id})
        db.session.commit()
    return SaveOutcome(sorted(values), errors, sorted(stale), answered, conflicts, newer, newer_seq)


_UNPARSABLE = object()


def _parsed_or_marker(item, raw):
    try:
        return item.parse(raw)
    except AnswerError:
        return _UNPARSABLE


def submit(
    selfcheck: SelfCheck,
    user: User | None,
    *,
    enforce_window: bool = True,
    confirmed_flags: Collection[str] | None = None,
) -> Result:
    """Score a complete draft, store its scores and make it read-only.

    With `confirmed_flags` (the pages pass the flags the submitter confirmed), a consistency
    flag open now but not confirmed stops the submission: a flag asks, it never blocks.
    The status change is a conditional UPDATE, so a double-clicked submit submits once.
    """
    if enforce_window and not selfcheck.cycle.is_open():
        raise NotEditable()
    result = result_of(selfcheck)
    if not result.complete:
        raise Incomplete(result.missing)
    unconfirmed = [flag.id for flag in result.flags if confirmed_flags is not None and flag.id not in confirmed_flags]
    if unconfirmed:
        raise Unconfirmed(unconfirmed)
    with write_transaction():
        changed = db.session.execute(
            update(SelfCheck)
            .where(SelfCheck.id == selfcheck.id, SelfCheck.status == DRAFT)
            .values(
                status=SUBMITTED,
                submitted_at=utcnow(),
                submitted_by_id=user.id if user else None,
                score=result.score,
                level=result.level.id,
                review_state=None,  # a resubmission is reviewed afresh
            )
        ).rowcount
        if changed:
            audit.record("submit", user, f"{selfcheck.organisation.code} {selfcheck.cycle.year}")
            db.session.execute(PillarScore.__table__.delete().where(PillarScore.selfcheck_id == selfcheck.id))
            db.session.add_all(
                PillarScore(selfcheck_id=selfcheck.id, pillar=p.pillar.id, score=p.score, level=p.level.id)
                for p in result.pillars
            )
        db.session.commit()
    db.session.refresh(selfcheck)
    return result
