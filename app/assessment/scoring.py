"""Scoring a self-check: items → pillars → overall, maturity levels and consistency flags.

Deterministic and pure: the same questionnaire and answers always give the same result.
A missing answer is reported as missing and left out of the means, never counted as zero; a
"not applicable" answer counts as answered and is left out of the means too.
"""

from __future__ import annotations

from dataclasses import dataclass

from .items import NOT_APPLICABLE, Item
from .questionnaire import FlagRule, Level, Pillar, Questionnaire, Text
from .suggestions import PER_PILLAR, Suggestion, choose_priorities, rank_suggestions

OVERALL = "overall"  # the key of the overall score beside the pillars' ids


@dataclass(frozen=True)
class ItemResult:
    item: Item
    value: object
    score: float | None

    @property
    def answered(self) -> bool:
        return self.value is not None

    @property
    def not_applicable(self) -> bool:
        return self.value == NOT_APPLICABLE


@dataclass(frozen=True)
class PillarResult:
    pillar: Pillar
    score: float | None
    level: Level | None
    items: tuple[ItemResult, ...]
    missing: tuple[str, ...]
    level_text: Text | None = None  # what the level means for this pillar

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
    priorities: tuple[Suggestion, ...] = ()  # at most three item-level actions, best first

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(i for p in self.pillars for i in p.missing)

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def all_at_best(self) -> bool:
        """Every answered scored question (not "not applicable") is at its best; at least one is."""
        scores = [r.score for p in self.pillars for r in p.items if r.score is not None]
        return bool(scores) and all(s == 100 for s in scores)

    def _rest(self, pillar_id: str) -> tuple[Suggestion, ...]:
        return tuple(s for s in self.suggestions if s.pillar_id == pillar_id and s not in self.priorities)

    def other_suggestions(self, pillar_id: str) -> tuple[Suggestion, ...]:
        """At most three suggestions of one pillar beyond the priorities, best first."""
        return self._rest(pillar_id)[:PER_PILLAR]

    def further_suggestions(self, pillar_id: str) -> tuple[Suggestion, ...]:
        """The rest of one pillar's suggestions (one click, or the appendix, away)."""
        return self._rest(pillar_id)[PER_PILLAR:]

    def pillar(self, pillar_id: str) -> PillarResult:
        return next(p for p in self.pillars if p.pillar.id == pillar_id)

    def scores(self) -> dict[str, float | None]:
        """Overall (`OVERALL`) and per-pillar scores, for storage and comparisons."""
        return {OVERALL: self.score, **{p.pillar.id: p.score for p in self.pillars}}


def weighted_mean(pairs) -> float | None:
    """Mean of (weight, score) pairs, skipping missing scores; None when nothing is scored."""
    pairs = [(w, s) for w, s in pairs if s is not None]
    total = sum(w for w, _ in pairs)
    if not total:
        return None
    return min(100.0, max(0.0, sum(w * s for w, s in pairs) / total))


def raised_flags(questionnaire: Questionnaire, answers: dict) -> tuple[FlagRule, ...]:
    """The consistency flags whose every condition the typed answers meet."""
    return tuple(rule for rule in questionnaire.flags if all(c.holds(answers.get(c.item)) for c in rule.when))


def score_selfcheck(questionnaire: Questionnaire, answers: dict) -> Result:
    """Score typed answers (item id → value, as `Item.parse` returns) against `questionnaire`."""
    pillars = []
    for pillar in questionnaire.pillars:
        items = tuple(ItemResult(i, answers.get(i.id), i.score(answers.get(i.id))) for i in pillar.items)
        score = weighted_mean((r.item.weight, r.score) for r in items if r.item.scored)
        missing = tuple(r.item.id for r in items if r.item.scored and not r.answered)
        level = questionnaire.level_for(score)
        level_text = questionnaire.level_text(pillar, level)
        pillars.append(PillarResult(pillar, score, level, items, missing, level_text))
    overall = weighted_mean((p.pillar.weight, p.score) for p in pillars)
    flags = raised_flags(questionnaire, answers)
    suggestions = rank_suggestions(questionnaire, pillars)
    return Result(
        questionnaire=questionnaire,
        score=overall,
        level=questionnaire.level_for(overall),
        pillars=tuple(pillars),
        flags=flags,
        suggestions=suggestions,
        priorities=choose_priorities(suggestions),
    )


def change_since(current: Result, previous: Result | None) -> dict[str, float | None]:
    """Score differences (`OVERALL` and per pillar) against last year's result."""
    if previous is None:
        return {}
    before = previous.scores()
    return {
        key: (now - before[key]) if now is not None and before.get(key) is not None else None
        for key, now in current.scores().items()
    }
