"""Writes to self-checks. Views call these; each call is one transaction."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from app.assessment.questionnaire import AnswerError, Questionnaire, get_questionnaire
from app.assessment.scoring import Result, score_selfcheck

from .. import audit
from ..database import write_transaction
from ..extensions import db
from ..models import DRAFT, SUBMITTED, Answer, Cycle, Organisation, PillarScore, Reopening, SelfCheck, User, utcnow


class NotEditable(Exception):
    """The self-check is submitted or its cycle is closed."""


class Incomplete(Exception):
    def __init__(self, missing):
        super().__init__(", ".join(missing))
        self.missing = missing


def questionnaire_of(selfcheck: SelfCheck) -> Questionnaire:
    return get_questionnaire(selfcheck.cycle.questionnaire_version)


ANSWERS = select(Answer.item_id, Answer.value).where(
    Answer.selfcheck_id == bindparam("selfcheck_id"), Answer.value != "null"
)


def typed_answers(selfcheck: SelfCheck) -> dict:
    """Item id → typed value of every answered item, read in one query."""
    rows = db.session.execute(ANSWERS, {"selfcheck_id": selfcheck.id})
    return {item_id: json.loads(value) for item_id, value in rows}


def result_of(selfcheck: SelfCheck, answers: dict | None = None) -> Result:
    """The self-check scored; `answers` saves reading them again when the caller has just read them."""
    return score_selfcheck(questionnaire_of(selfcheck), typed_answers(selfcheck) if answers is None else answers)


@dataclass(frozen=True)
class Progress:
    per_pillar: dict  # pillar id → (answered, items)
    answered: int
    total: int


def progress_of(questionnaire: Questionnaire, answers: dict) -> Progress:
    """How many items are answered, per pillar and in all (no scoring needed)."""
    per_pillar = {p.id: (sum(1 for i in p.items if i.id in answers), len(p.items)) for p in questionnaire.pillars}
    return Progress(per_pillar, sum(a for a, _ in per_pillar.values()), sum(n for _, n in per_pillar.values()))


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
        selfcheck = SelfCheck(organisation_id=org.id, cycle_id=cycle.id, status=DRAFT, revision=0)
        db.session.add(selfcheck)
        db.session.commit()
    return selfcheck


@dataclass(frozen=True)
class SaveOutcome:
    saved: list[str]  # item ids written (or cleared)
    errors: dict  # item id → AnswerError; those answers were left as they were
    stale: list[str]  # item ids skipped: a save with a newer ordering number got there first
    answered: int  # how many items of the self-check now have an answer
    conflicts: dict = field(default_factory=dict)  # item id → Conflict: changed meanwhile by someone else


@dataclass(frozen=True)
class Conflict:
    theirs: object  # the typed value stored now (None: no answer)
    by: str | None  # who wrote it
    at: datetime | None


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
            "updated_at": stmt.excluded.updated_at,
            "updated_by_id": stmt.excluded.updated_by_id,
        },
        # an older ordering number never overwrites a newer one, even between two requests in flight
        where=(Answer.seq.is_(None) | (Answer.seq < stmt.excluded.seq)) if ordered else None,
    )
    _UPSERTS[dialect, ordered] = stmt
    return stmt


# The statements of a save, built once: autosave runs them hundreds of times a second.
CURRENT_ANSWERS = (
    select(Answer.item_id, Answer.value, Answer.seq, Answer.updated_at, User.name)
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
    seq: int | None = None,
    base: dict | None = None,
    enforce_window: bool = True,
) -> SaveOutcome:
    """Save every valid answer of `raw` (item id → raw value), in one transaction.

    Invalid answers are reported and left as they were; the valid ones are kept, so a
    mistake in one field never costs the others. An empty value clears the answer.

    `seq` is the save's ordering number (the pages send the time they were typed, the
    API whatever increasing number its client keeps): an answer last written with a
    higher number is not overwritten, and is reported as stale.

    `base` (item id → the raw value the writer last saw) detects two people editing one
    draft: where the stored answer is no longer what the writer saw, and differs from what
    they write, nothing is overwritten and the other version is returned as a conflict.

    A save with neither (an import, a page without script) always applies.
    `enforce_window=False` lets an administrator type up paper forms after the cycle closed.
    """
    if selfcheck.submitted or (enforce_window and not selfcheck.cycle.is_open()):
        raise NotEditable()
    questionnaire = questionnaire_of(selfcheck)
    values, errors = questionnaire.parse_answers(raw)
    selfcheck_id, user_id = selfcheck.id, (user.id if user else None)
    with write_transaction():
        stale, conflicts = [], {}
        if values and (seq is not None or base):
            current = db.session.execute(CURRENT_ANSWERS, {"selfcheck_id": selfcheck_id, "items": list(values)}).all()
            for item_id, stored, stored_seq, at, by in current:
                if seq is not None and stored_seq is not None and stored_seq >= seq:
                    stale.append(item_id)
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
    return SaveOutcome(sorted(values), errors, sorted(stale), answered, conflicts)


_UNPARSABLE = object()


def _parsed_or_marker(item, raw):
    try:
        return item.parse(raw)
    except AnswerError:
        return _UNPARSABLE


def submit(selfcheck: SelfCheck, user: User | None, *, enforce_window: bool = True) -> Result:
    """Score a complete draft, store its scores and make it read-only.

    The status change is a conditional UPDATE, so a double-clicked submit submits once.
    """
    if enforce_window and not selfcheck.cycle.is_open():
        raise NotEditable()
    result = result_of(selfcheck)
    if not result.complete:
        raise Incomplete(result.missing)
    changed = db.session.execute(
        update(SelfCheck)
        .where(SelfCheck.id == selfcheck.id, SelfCheck.status == DRAFT)
        .values(
            status=SUBMITTED,
            submitted_at=utcnow(),
            submitted_by_id=user.id if user else None,
            score=result.score,
            level=result.level.id,
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


def reopen(selfcheck: SelfCheck, user: User, reason: str) -> None:
    """Send a submitted self-check back to draft, recording who, when and why.

    Only while its cycle is open (NotEditable otherwise): a draft of a closed cycle could be
    neither changed nor resubmitted, and would drop out of that year's comparisons and of the
    next year's change. To correct a closed year, extend its cycle first (`open-cycle`).
    """
    if not selfcheck.cycle.is_open():
        raise NotEditable()
    db.session.add(Reopening(selfcheck_id=selfcheck.id, user_id=user.id, reason=reason))
    audit.record("reopen", user, f"{selfcheck.organisation.code} {selfcheck.cycle.year}: {reason}")
    selfcheck.status = DRAFT
    selfcheck.score = None
    selfcheck.level = None
    selfcheck.submitted_at = None
    selfcheck.revision += 1
    db.session.commit()
