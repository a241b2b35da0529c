"""Last year's answers offered in a new self-check, pillar by pillar, until the user confirms or changes them.

An offered answer is a `PrefilledAnswer`, never an `Answer`: progress, scoring, submission and the
API count only answers, so nothing counts it before the user confirms it. Confirming (or changing
it) is an ordinary save of the item, through autosave or the page's form like any other answer;
from then on the item has an answer, and its offer is no longer shown. The autosave path is
untouched: an offer is looked up only where a pillar page is drawn.
"""

from __future__ import annotations

import json

from sqlalchemy import and_, bindparam, exists, select

from app.assessment.items import AnswerError

from ..database import write_transaction
from ..extensions import db
from ..models import Answer, PrefilledAnswer, SelfCheck
from . import service

PENDING = select(PrefilledAnswer.item_id, PrefilledAnswer.value).where(
    PrefilledAnswer.selfcheck_id == bindparam("selfcheck_id"),
    ~exists().where(
        and_(Answer.selfcheck_id == PrefilledAnswer.selfcheck_id, Answer.item_id == PrefilledAnswer.item_id)
    ),
)


def pending(selfcheck: SelfCheck) -> dict:
    """Item id → the typed value offered, for the items that have no answer yet (saved, or cleared)."""
    rows = db.session.execute(PENDING, {"selfcheck_id": selfcheck.id})
    return {item_id: json.loads(value) for item_id, value in rows}


def offerable(selfcheck: SelfCheck, pillar_id: str, surely_taken: set | None = None) -> dict:
    """Last year's answers this pillar could offer now: items without an answer or an offer, whose
    value this year's questionnaire still reads. The questionnaire may have changed between the two
    cycles (an item once yes/no may now be two counts): an answer goes over as the text last year's
    item writes it, and only if this year's item reads that text. `surely_taken`: items the caller
    knows to be answered or offered (the pillar page, on every load): when they are the whole
    pillar, nothing is read."""
    questionnaire = service.questionnaire_of(selfcheck)
    if surely_taken is not None and all(item.id in surely_taken for item in questionnaire.pillar(pillar_id).items):
        return {}
    previous = service.previous_selfcheck(selfcheck)
    if previous is None:
        return {}
    taken = {
        item_id
        for model in (Answer, PrefilledAnswer)
        for item_id in db.session.scalars(select(model.item_id).where(model.selfcheck_id == selfcheck.id))
    }
    earlier = service.questionnaire_of(previous)
    before = service.typed_answers(previous)
    offers = {}
    for item in questionnaire.pillar(pillar_id).items:
        if item.id in taken or item.id not in before or item.id not in earlier.items:
            continue
        try:  # last year's answer as last year's item wrote it, read by this year's item
            value = item.parse(earlier.items[item.id].form_value(before[item.id]))
        except AnswerError:
            continue
        if value is not None:
            offers[item.id] = value
    return offers


def prefill_pillar(selfcheck: SelfCheck, pillar_id: str) -> int:
    """Offer last year's answers for a pillar's unanswered items; how many were offered."""
    if selfcheck.submitted or not selfcheck.cycle.is_open():
        raise service.NotEditable()
    offers = offerable(selfcheck, pillar_id)
    if not offers:
        return 0
    with write_transaction():
        db.session.add_all(
            PrefilledAnswer(selfcheck_id=selfcheck.id, item_id=item_id, value=json.dumps(value, ensure_ascii=False))
            for item_id, value in offers.items()
        )
        db.session.commit()
    return len(offers)


def unconfirmed(posted: dict, form) -> list[str]:
    """The items a page posted with last year's offered value still in them and not confirmed:
    the page marks each offer with a hidden `prefilled:<item>` (the value offered) and a
    `confirm:<item>` box. Those are left out of the save."""
    offered = {key[len("prefilled:") :]: value for key, value in form.items() if key.startswith("prefilled:")}
    return [item for item, value in offered.items() if posted.get(item) == value and f"confirm:{item}" not in form]
