"""A self-check's answers, read in one query and scored by the domain: what the pages, the
rectification list, the evidence and the reports all start from."""

from __future__ import annotations

import json

from sqlalchemy import bindparam, select

from app.assessment.questionnaire import Questionnaire, get_questionnaire
from app.assessment.scoring import Result, score_selfcheck

from .extensions import db
from .models import Answer, SelfCheck


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
