"""Improvement suggestions: rules from the questionnaire file, ranked by expected gain.

A rule on an item fires while the item's score is below the rule's threshold and a better
answer exists. Its expected gain is the item's share of the overall score times the points
one realistic step up is worth (one scale point, "yes", the next count threshold, the next
quarter of a percentage's range): how many overall points acting on it is worth.

A rule on a pillar fires while the pillar's score is below its threshold and every item the
advice covers does too, so it never recommends what the branch already does. Its gain is the
sum of those items' gains.

The three priorities are item-level actions on three different items; pillar advice takes a
slot only when no item-level action exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from .questionnaire import Questionnaire, SuggestionRule, Text

PRIORITIES = 3
PER_PILLAR = 3  # suggestions shown per pillar beyond the priorities; the rest are one click away


@dataclass(frozen=True)
class Suggestion:
    rule: SuggestionRule
    pillar_id: str
    item_id: str | None  # None for advice on a whole pillar
    score: float  # the item's (pillar's) score now
    target: float  # its score one realistic step up
    gain: float  # overall points that step is worth
    lead: str  # who leads the action: a key of `Questionnaire.leads`
    timeframe: Text
    trigger: object  # the typed answer that triggered it; None for a pillar


def rank_suggestions(questionnaire: Questionnaire, pillar_results) -> tuple[Suggestion, ...]:
    """Every firing rule, best expected gain first; ties broken by rule id (deterministic)."""
    scored_pillars = [r for r in pillar_results if r.score is not None]
    pillar_total = sum(r.pillar.weight for r in scored_pillars)
    rows, gains = {}, {}  # item id → ItemResult, and → (target, gain) of its next step
    for result in scored_pillars:
        answered = [r for r in result.items if r.score is not None]
        answered_weight = sum(r.item.weight for r in answered)
        for r in answered:
            rows[r.item.id] = r
            target = r.item.step_up(r.value)
            if target is not None:
                share = r.item.weight / answered_weight * result.pillar.weight / pillar_total
                gains[r.item.id] = (target, share * (target - r.score))

    fired = []
    for rule in questionnaire.suggestions:
        if rule.item is not None:
            row = rows.get(rule.item)
            if row is None or row.score >= rule.below or rule.item not in gains:
                continue
            target, gain = gains[rule.item]
            fired.append(_suggestion(questionnaire, rule, row.item.pillar_id, rule.item, row.score, target, gain, row))
            continue
        pillar = next((r for r in scored_pillars if r.pillar.id == rule.pillar), None)
        covered = [rows[i] for i in rule.covers if i in rows]
        if pillar is None or pillar.score >= rule.below or not covered:
            continue
        if any(r.score >= rule.below or r.item.id not in gains for r in covered):
            continue  # the branch already does part of what the advice asks
        gain = sum(gains[r.item.id][1] for r in covered)
        pillar_share = pillar.pillar.weight / pillar_total
        target = min(100.0, pillar.score + gain / pillar_share)
        fired.append(_suggestion(questionnaire, rule, rule.pillar, None, pillar.score, target, gain, None))
    return tuple(sorted(fired, key=lambda s: (-s.gain, s.rule.below, s.rule.id)))


def _suggestion(questionnaire, rule, pillar_id, item_id, score, target, gain, row) -> Suggestion:
    return Suggestion(
        rule=rule,
        pillar_id=pillar_id,
        item_id=item_id,
        score=score,
        target=target,
        gain=round(gain, 6),
        lead=rule.lead or questionnaire.items[item_id].lead,
        timeframe=questionnaire.timeframes[rule.timeframe],
        trigger=row.value if row is not None else None,
    )


def choose_priorities(suggestions: tuple[Suggestion, ...]) -> tuple[Suggestion, ...]:
    """The best three on three different items; pillar advice only when no item-level action exists."""
    pool = [s for s in suggestions if s.item_id is not None] or list(suggestions)
    chosen, items = [], set()
    for s in pool:
        if s.item_id is None or s.item_id not in items:
            chosen.append(s)
            items.add(s.item_id)
        if len(chosen) == PRIORITIES:
            break
    return tuple(chosen)
