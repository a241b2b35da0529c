"""The JSON shapes of the API: plain dicts built from models and domain objects.

Bilingual texts are objects {"zh": ..., "en": ...}, so a client can show either language;
times are UTC in ISO 8601 with a "Z".
"""

from __future__ import annotations

from datetime import datetime
from functools import cache

from app.assessment.questionnaire import Item, Level, Questionnaire, Reference, Text, get_questionnaire
from app.assessment.scoring import Result, change_since
from app.assessment.suggestions import Suggestion

from ..comparison.queries import OVERALL
from ..models import Cycle, Organisation, SelfCheck, User


def text(value: Text | None) -> dict | None:
    return {"zh": value.zh, "en": value.en} if value is not None else None


def timestamp(value: datetime | None) -> str | None:
    return value.replace(microsecond=0).isoformat() + "Z" if value is not None else None


def reference(ref: Reference) -> dict:
    return {"source": ref.source, "passage": ref.passage, "quote": text(ref.quote)}


def level(lv: Level) -> dict:
    return {"id": lv.id, "min": lv.min, "name": text(lv.name), "description": text(lv.description)}


def level_ref(lv: Level | None) -> dict | None:
    return {"id": lv.id, "name": text(lv.name)} if lv is not None else None


def item(it: Item) -> dict:
    out = {
        "id": it.id,
        "pillar": it.pillar_id,
        "type": it.type,
        "weight": it.weight,
        "scored": it.scored,
        "text": text(it.text),
        "help": text(it.help),
        "ref": reference(it.ref),
        "lead": it.lead if it.scored else None,
        "not_applicable": it.allows_na,
    }
    if it.type == "scale":
        out["levels"] = [text(lv) for lv in it.levels]
    elif it.type == "count":
        out.update(thresholds=list(it.thresholds), max=it.max, unit=text(it.unit))
    elif it.type == "percent":
        counts = {"part": text(it.counts[0]), "whole": text(it.counts[1])} if it.counts else None
        out.update(zero_at=it.zero_at, full_at=it.full_at, counts=counts)
    return out


@cache
def questionnaire(version: str) -> dict:
    """The whole definition of a questionnaire version, built once per process."""
    q: Questionnaire = get_questionnaire(version)
    return {
        "version": q.version,
        "title": text(q.title),
        "sources": {key: text(value) for key, value in q.sources.items()},
        "leads": {key: text(value) for key, value in q.leads.items()},
        "timeframes": {key: text(value) for key, value in q.timeframes.items()},
        "levels": [level(lv) for lv in q.levels],
        "pillars": [
            {
                "id": p.id,
                "weight": p.weight,
                "name": text(p.name),
                "description": text(p.description),
                "levels": [text(t) for t in p.level_texts],
                "items": [item(it) for it in p.items],
            }
            for p in q.pillars
        ],
        "flags": [
            {
                "id": f.id,
                "when": [
                    {"item": c.item, "op": c.op, "value": list(c.value) if c.op == "mentions" else c.value}
                    for c in f.when
                ],
                "text": text(f.text),
            }
            for f in q.flags
        ],
        "suggestions": [
            {
                "id": s.id,
                "item": s.item,
                "pillar": s.pillar if s.pillar is not None else q.items[s.item].pillar_id,
                "below": s.below,
                "covers": list(s.covers),
                "lead": s.lead,
                "timeframe": s.timeframe,
                "text": text(s.text),
                "ref": reference(s.ref),
            }
            for s in q.suggestions
        ],
    }


def cycle(c: Cycle) -> dict:
    return {
        "year": c.year,
        "questionnaire_version": c.questionnaire_version,
        "opens_on": c.opens_on.isoformat(),
        "closes_on": c.closes_on.isoformat(),
        "open": c.is_open(),
    }


def organisation(org: Organisation) -> dict:
    return {
        "id": org.id,
        "code": org.code,
        "name": org.name,
        "kind": org.kind,
        "parent": org.parent.code if org.parent is not None else None,
    }


def user(u: User) -> dict:
    return {
        "username": u.username,
        "name": u.name,
        "role": u.role,
        "locale": u.locale,
        "organisation": organisation(u.organisation),
    }


def selfcheck_summary(sc: SelfCheck) -> dict:
    """What a list shows: scores and levels are those stored at submission (null for drafts)."""
    return {
        "id": sc.id,
        "year": sc.cycle.year,
        "organisation": organisation(sc.organisation),
        "status": sc.status,
        "score": sc.score,
        "level": sc.level,
        "revision": sc.revision,
        "updated_at": timestamp(sc.updated_at),
        "submitted_at": timestamp(sc.submitted_at),
    }


def selfcheck(sc: SelfCheck, answers: dict, *, editable: bool) -> dict:
    q = get_questionnaire(sc.cycle.questionnaire_version)
    return {
        **selfcheck_summary(sc),
        "questionnaire_version": sc.cycle.questionnaire_version,
        "editable": editable,
        "answered": len(answers),
        "total": len(q.items),
        "answers": answers,
    }


def peer_position(positions: dict) -> dict | None:
    """Measure → PeerPosition (see `app.comparison.peers`) as JSON; None when there is no position."""
    if not positions:
        return None

    def one(p):
        return {"score": p.score, "percentile": p.percentile, "quartile": p.quartile, "peers": p.peers}

    return {
        "overall": one(positions[OVERALL]) if OVERALL in positions else None,
        "pillars": {measure: one(p) for measure, p in positions.items() if measure != OVERALL},
    }


def suggestion(s: Suggestion, shown: str) -> dict:
    return {
        "id": s.rule.id,
        "pillar": s.pillar_id,
        "item": s.item_id,
        "score": s.score,
        "target": s.target,
        "gain": s.gain,
        "priority": shown == "priority",
        "shown": shown,
        "lead": s.lead,
        "timeframe": text(s.timeframe),
        "trigger": s.trigger,
        "text": text(s.rule.text),
        "ref": reference(s.rule.ref),
    }


def result(
    sc: SelfCheck, res: Result, previous: SelfCheck | None, previous_res: Result | None, positions: dict
) -> dict:
    change = None
    if previous is not None and previous_res is not None:
        diff = change_since(res, previous_res)
        change = {
            "year": previous.cycle.year,
            "selfcheck_id": previous.id,
            "score": previous_res.score,
            "overall": diff.get("overall"),
            "pillars": {p.pillar.id: diff.get(p.pillar.id) for p in res.pillars},
        }
    suggestions = [suggestion(s, "priority") for s in res.priorities]
    for p in res.pillars:
        suggestions += [suggestion(s, "pillar") for s in res.other_suggestions(p.pillar.id)]
        suggestions += [suggestion(s, "more") for s in res.further_suggestions(p.pillar.id)]
    return {
        "selfcheck_id": sc.id,
        "year": sc.cycle.year,
        "organisation": organisation(sc.organisation),
        "status": sc.status,
        "provisional": not sc.submitted,
        "complete": res.complete,
        "score": res.score,
        "level": level_ref(res.level),
        "pillars": [
            {
                "id": p.pillar.id,
                "name": text(p.pillar.name),
                "score": p.score,
                "level": level_ref(p.level),
                "level_text": text(p.level_text),
                "missing": list(p.missing),
                "items": [
                    {
                        "id": r.item.id,
                        "value": r.value,
                        "score": r.score,
                        "answered": r.answered,
                        "not_applicable": r.not_applicable,
                    }
                    for r in p.items
                ],
            }
            for p in res.pillars
        ],
        "missing": list(res.missing),
        "flags": [{"id": f.id, "text": text(f.text)} for f in res.flags],
        "suggestions": suggestions,
        "change_since_last_year": change,
        "peer_position": peer_position(positions),
    }
