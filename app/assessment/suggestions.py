"""Improvement suggestions: rules from the questionnaire file, ranked by expected gain.

A rule keyed to an item (or a pillar) fires when that item's (pillar's) score is below the
rule's threshold. Its expected gain is the item's share of the overall score times the
distance to the next maturity level: roughly how many overall points acting on it is worth.
"""

from __future__ import annotations

from dataclasses import dataclass

from .questionnaire import Questionnaire, SuggestionRule


@dataclass(frozen=True)
class Suggestion:
    rule: SuggestionRule
    pillar_id: str
    score: float
    gain: float


def rank_suggestions(questionnaire: Questionnaire, pillar_results) -> tuple[Suggestion, ...]:
    """Every firing rule, best expected gain first; ties broken by rule id (deterministic)."""
    total_pillar_weight = sum(p.weight for p in questionnaire.pillars)
    item_scores, item_share, pillar_scores = {}, {}, {}
    for result in pillar_results:
        pillar = result.pillar
        pillar_share = pillar.weight / total_pillar_weight
        pillar_scores[pillar.id] = result.score
        scored_weight = sum(i.weight for i in pillar.scored_items)
        for r in result.items:
            item_scores[r.item.id] = r.score
            item_share[r.item.id] = r.item.weight / scored_weight * pillar_share if r.item.scored else 0

    fired = []
    for rule in questionnaire.suggestions:
        if rule.item is not None:
            score = item_scores.get(rule.item)
            share = item_share.get(rule.item, 0)
            pillar_id = questionnaire.items[rule.item].pillar_id
        else:
            score = pillar_scores.get(rule.pillar)
            share = questionnaire.pillar(rule.pillar).weight / total_pillar_weight
            pillar_id = rule.pillar
        if score is None or score >= rule.below:
            continue
        gain = share * (questionnaire.next_level_min(score) - score)
        fired.append(Suggestion(rule, pillar_id, score, round(gain, 6)))
    return tuple(sorted(fired, key=lambda s: (-s.gain, s.rule.id)))
