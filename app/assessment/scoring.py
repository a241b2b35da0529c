"""Scoring a self-check: items → pillars → overall, maturity levels and consistency flags.

Deterministic and pure: the same questionnaire and answers always give the same result.
A missing answer is reported as missing and left out of the means, never counted as zero.
"""

from __future__ import annotations

from dataclasses import dataclass

from .questionnaire import FlagRule, Item, Level, Pillar, Questionnaire
from .suggestions import Suggestion, rank_suggestions


@dataclass(frozen=True)
class ItemResult:
    item: Item
    value: object
    score: float | None

    @property
    def answered(self) -> bool:
        return self.value is not None


@dataclass(frozen=True)
class PillarResult:
    pillar: Pillar
    score: float | None
    level: Level | None
    items: tuple[ItemResult, ...]
    missing: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return not self.missing


@dataclass(frozen=True)
class Result:
    questionnaire: Questionnaire
    score: float | None
    level: Level | None
    pillars: tuple[PillarResult, ...]
    flags: tuple[FlagRule, ...]
    suggestions: tuple[Suggestion, ...]

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(i for p in self.pillars for i in p.missing)

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def priorities(self) -> tuple[Suggestion, ...]:
        """The three suggestions with the largest expected gain."""
        return self.suggestions[:3]

    def other_suggestions(self, pillar_id: str) -> tuple[Suggestion, ...]:
        """The suggestions of one pillar that are not among the priorities, best first."""
        return tuple(s for s in self.suggestions[3:] if s.pillar_id == pillar_id)

    def pillar(self, pillar_id: str) -> PillarResult:
        return next(p for p in self.pillars if p.pillar.id == pillar_id)

    def scores(self) -> dict[str, float | None]:
        """Overall ("overall") and per-pillar scores, for storage and comparisons."""
        return {"overall": self.score, **{p.pillar.id: p.score for p in self.pillars}}


def weighted_mean(pairs) -> float | None:
    """Mean of (weight, score) pairs, skipping missing scores; None when nothing is scored."""
    pairs = [(w, s) for w, s in pairs if s is not None]
    total = sum(w for w, _ in pairs)
    if not total:
        return None
    return min(100.0, max(0.0, sum(w * s for w, s in pairs) / total))


def score_selfcheck(questionnaire: Questionnaire, answers: dict) -> Result:
    """Score typed answers (item id → value, as `Item.parse` returns) against `questionnaire`."""
    pillars = []
    for pillar in questionnaire.pillars:
        items = tuple(ItemResult(i, answers.get(i.id), i.score(answers.get(i.id))) for i in pillar.items)
        score = weighted_mean((r.item.weight, r.score) for r in items if r.item.scored)
        missing = tuple(r.item.id for r in items if r.item.scored and not r.answered)
        pillars.append(PillarResult(pillar, score, questionnaire.level_for(score), items, missing))
    overall = weighted_mean((p.pillar.weight, p.score) for p in pillars)
    flags = tuple(rule for rule in questionnaire.flags if all(c.holds(answers.get(c.item)) for c in rule.when))
    return Result(
        questionnaire=questionnaire,
        score=overall,
        level=questionnaire.level_for(overall),
        pillars=tuple(pillars),
        flags=flags,
        suggestions=rank_suggestions(questionnaire, pillars),
    )


def change_since(current: Result, previous: Result | None) -> dict[str, float | None]:
    """Score differences ("overall" and per pillar) against last year's result."""
    if previous is None:
        return {}
    before = previous.scores()
    return {
        key: (now - before[key]) if now is not None and before.get(key) is not None else None
        for key, now in current.scores().items()
    }
