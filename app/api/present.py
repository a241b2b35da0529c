"""The API's responses built from models and domain objects (`schemas.py` says what each holds).

Bilingual texts are objects {"zh": ..., "en": ...}, so a client can show either language;
times are UTC in ISO 8601 with a "Z".
"""

from __future__ import annotations

from datetime import datetime
from functools import cache

from app.assessment import questionnaire as q
from app.assessment import rectification
from app.assessment.scoring import OVERALL, Result, change_since
from app.assessment.suggestions import Suggestion

from .. import models
from . import schemas as s


def text(value: q.Text | None) -> s.Text | None:
    return s.Text(zh=value.zh, en=value.en) if value is not None else None


def timestamp(value: datetime | None) -> str | None:
    return value.replace(microsecond=0).isoformat() + "Z" if value is not None else None


def reference(ref: q.Reference) -> s.Reference:
    return s.Reference(source=ref.source, passage=ref.passage, quote=text(ref.quote))


def level(lv: q.Level) -> s.Level:
    return s.Level(id=lv.id, min=lv.min, name=text(lv.name), description=text(lv.description))


def level_ref(lv: q.Level | None) -> s.LevelRef | None:
    return s.LevelRef(id=lv.id, name=text(lv.name)) if lv is not None else None


def item(it) -> s.Item:
    """An item: what every type has, and its type's own fields (`Item.fields`)."""
    return s.Item(
        id=it.id,
        pillar=it.pillar_id,
        type=it.type,
        weight=it.weight,
        scored=it.scored,
        text=text(it.text),
        help=text(it.help),
        ref=reference(it.ref),
        lead=it.lead if it.scored else None,
        not_applicable=it.allows_na,
        **it.fields(),
    )


@cache
def questionnaire(version: str) -> dict:
    """The whole definition of a questionnaire version as JSON, built once per process."""
    definition = q.get_questionnaire(version)
    return s.Questionnaire(
        version=definition.version,
        title=text(definition.title),
        sources={key: text(value) for key, value in definition.sources.items()},
        leads={key: text(value) for key, value in definition.leads.items()},
        timeframes={key: text(value) for key, value in definition.timeframes.items()},
        levels=[level(lv) for lv in definition.levels],
        pillars=[
            s.Pillar(
                id=p.id,
                weight=p.weight,
                name=text(p.name),
                description=text(p.description),
                levels=[text(t) for t in p.level_texts],
                items=[item(it) for it in p.items],
            )
            for p in definition.pillars
        ],
        flags=[
            s.Flag(
                id=f.id,
                when=[
                    s.Condition(item=c.item, op=c.op, value=list(c.value) if c.op == "mentions" else c.value)
                    for c in f.when
                ],
                text=text(f.text),
            )
            for f in definition.flags
        ],
        suggestions=[
            s.SuggestionRule(
                id=rule.id,
                item=rule.item,
                pillar=rule.pillar if rule.pillar is not None else definition.items[rule.item].pillar_id,
                below=rule.below,
                covers=list(rule.covers),
                lead=rule.lead,
                timeframe=rule.timeframe,
                text=text(rule.text),
                ref=reference(rule.ref),
            )
            for rule in definition.suggestions
        ],
    ).model_dump(mode="json")


def cycle(c: models.Cycle) -> s.Cycle:
    return s.Cycle(
        year=c.year,
        questionnaire_version=c.questionnaire_version,
        opens_on=c.opens_on,
        closes_on=c.closes_on,
        open=c.is_open(),
    )


def organisation(org: models.Organisation) -> s.Organisation:
    return s.Organisation(
        id=org.id,
        code=org.code,
        name=org.name,
        kind=org.kind,
        parent=org.parent.code if org.parent is not None else None,
    )


def user(u: models.User) -> s.User:
    return s.User(
        username=u.username, name=u.name, role=u.role, locale=u.locale, organisation=organisation(u.organisation)
    )


def summary_fields(sc: models.SelfCheck) -> dict:
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


def selfcheck_summary(sc: models.SelfCheck) -> s.SelfCheckSummary:
    return s.SelfCheckSummary(**summary_fields(sc))


def selfcheck(sc: models.SelfCheck, answers: dict, *, editable: bool) -> s.SelfCheck:
    return s.SelfCheck(
        **summary_fields(sc),
        questionnaire_version=sc.cycle.questionnaire_version,
        editable=editable,
        answered=len(answers),
        total=len(q.get_questionnaire(sc.cycle.questionnaire_version).items),
        answers=answers,
    )


def peer_position(positions: dict) -> s.PeerPosition | None:
    """Measure → PeerPosition (see `app.peers`); None when there is no position."""
    if not positions:
        return None

    def one(p):
        return s.Position(score=p.score, percentile=p.percentile, quartile=p.quartile, peers=p.peers)

    return s.PeerPosition(
        overall=one(positions[OVERALL]) if OVERALL in positions else None,
        pillars={measure: one(p) for measure, p in positions.items() if measure != OVERALL},
    )


def suggestion(sg: Suggestion, shown: str) -> s.Suggestion:
    return s.Suggestion(
        id=sg.rule.id,
        pillar=sg.pillar_id,
        item=sg.item_id,
        score=sg.score,
        target=sg.target,
        gain=sg.gain,
        priority=shown == "priority",
        shown=shown,
        lead=sg.lead,
        timeframe=text(sg.timeframe),
        trigger=sg.trigger,
        text=text(sg.rule.text),
        ref=reference(sg.rule.ref),
    )


def result(
    sc: models.SelfCheck,
    res: Result,
    previous: models.SelfCheck | None,
    previous_res: Result | None,
    positions: dict,
) -> s.Result:
    change = None
    if previous is not None and previous_res is not None:
        diff = change_since(res, previous_res)
        change = s.Change(
            year=previous.cycle.year,
            selfcheck_id=previous.id,
            score=previous_res.score,
            overall=diff.get(OVERALL),
            pillars={p.pillar.id: diff.get(p.pillar.id) for p in res.pillars},
        )
    suggestions = [suggestion(sg, "priority") for sg in res.priorities]
    for p in res.pillars:
        suggestions += [suggestion(sg, "pillar") for sg in res.other_suggestions(p.pillar.id)]
        suggestions += [suggestion(sg, "more") for sg in res.further_suggestions(p.pillar.id)]
    return s.Result(
        selfcheck_id=sc.id,
        year=sc.cycle.year,
        organisation=organisation(sc.organisation),
        status=sc.status,
        provisional=not sc.submitted,
        complete=res.complete,
        score=res.score,
        level=level_ref(res.level),
        pillars=[
            s.PillarResult(
                id=p.pillar.id,
                name=text(p.pillar.name),
                score=p.score,
                level=level_ref(p.level),
                level_text=text(p.level_text),
                missing=list(p.missing),
                items=[
                    s.ItemResult(
                        id=r.item.id,
                        value=r.value,
                        score=r.score,
                        answered=r.answered,
                        not_applicable=r.not_applicable,
                    )
                    for r in p.items
                ],
            )
            for p in res.pillars
        ],
        missing=list(res.missing),
        flags=[s.RaisedFlag(id=f.id, text=text(f.text)) for f in res.flags],
        suggestions=suggestions,
        change_since_last_year=change,
        peer_position=peer_position(positions),
    )


def action(a: models.RectificationAction, today) -> s.Action:
    return s.Action(
        id=a.id,
        selfcheck_id=a.selfcheck_id,
        origin=a.origin,
        origin_ref=a.origin_ref,
        item=a.item_id,
        problem=a.problem,
        measure=a.measure,
        owner_name=a.owner_name,
        owner_role=a.owner_role,
        deadline=a.deadline,
        status=a.status,
        overdue=rectification.shown_status(a.status, a.deadline, today) == rectification.OVERDUE,
        account=a.account,
        closed_at=timestamp(a.closed_at),
        continues=a.continues_id,
        created_at=timestamp(a.created_at),
        updated_at=timestamp(a.updated_at),
        notes=[s.ActionNote(date=n.noted_on, text=n.text, created_at=timestamp(n.created_at)) for n in a.notes],
    )
