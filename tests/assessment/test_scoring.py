"""Scoring, levels, flags and suggestions: example-based and property-based, no app."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.assessment.items import NOT_APPLICABLE, AnswerError
from app.assessment.questionnaire import available_versions, get_questionnaire
from app.assessment.scoring import change_since, score_selfcheck, weighted_mean

Q = get_questionnaire(available_versions()[-1])
SCORED = [i for i in Q.items.values() if i.scored]


def candidates(item, *, na=True) -> list:
    """Typed answers of `item`: its samples at every level, what it reads of every whole number 0–400
    and of every share n/400 (two counts), and "not applicable" where it allows it (and `na`)."""
    values = [item.sample(level) for level in range(1, 6)]
    for raw in [str(n) for n in range(401)] + [f"{n}/400" for n in range(401)]:
        try:
            value = item.parse(raw)
        except AnswerError:
            continue
        if value not in values:
            values.append(value)
    return values + ([NOT_APPLICABLE] if na and item.allows_na else [])


def value_strategy(item, *, na=True):
    """Any of the `candidates` of `item`; free text of any kind for an unscored item."""
    if not item.scored:
        return st.text(max_size=20)
    return st.sampled_from(candidates(item, na=na))


def best(item):
    return item.sample(5)


def worst(item):
    return item.sample(1)


complete_answers = st.fixed_dictionaries({i.id: value_strategy(i) for i in Q.items.values()})
applicable_answers = st.fixed_dictionaries({i.id: value_strategy(i, na=False) for i in Q.items.values()})
partial_answers = st.fixed_dictionaries({}, optional={i.id: value_strategy(i) for i in Q.items.values()})


def test_best_answers_score_100_and_reach_the_top_level():
    result = score_selfcheck(Q, {i.id: best(i) for i in Q.items.values()})
    assert result.score == pytest.approx(100)
    assert result.level.id == Q.levels[-1].id
    assert all(p.score == pytest.approx(100) for p in result.pillars)
    assert result.suggestions == ()
    assert result.complete


def test_worst_answers_score_0_and_suggest_the_heaviest_items_first():
    answers = {i.id: worst(i) for i in Q.items.values()}
    result = score_selfcheck(Q, answers)
    assert result.score == 0
    assert result.level.id == Q.levels[0].id
    assert len(result.priorities) == 3
    gains = [s.gain for s in result.suggestions]
    assert gains == sorted(gains, reverse=True)
    # the gain is the item's share of the overall score times what one step up is worth
    for top in result.priorities:
        item = Q.items[top.item_id]
        pillar = Q.pillar(item.pillar_id)
        share = (
            item.weight / sum(i.weight for i in pillar.scored_items) * pillar.weight / sum(p.weight for p in Q.pillars)
        )
        assert top.target == item.step_up(answers[item.id])
        assert top.gain == pytest.approx(share * (top.target - top.score))
        assert top.trigger == answers[item.id]


def test_missing_answers_are_missing_not_zero():
    one = SCORED[0]
    result = score_selfcheck(Q, {one.id: best(one)})
    pillar = result.pillar(one.pillar_id)
    assert pillar.score == 100  # the unanswered items do not pull it down
    assert one.id not in pillar.missing
    assert len(result.missing) == len(SCORED) - 1
    assert not result.complete
    assert all(p.score is None for p in result.pillars if p.pillar.id != one.pillar_id)
    assert result.score == 100  # mean over the pillars that have a score


def test_nothing_answered_has_no_score():
    result = score_selfcheck(Q, {})
    assert result.score is None
    assert result.level is None
    assert result.suggestions == ()


def test_levels_boundaries():
    assert [Q.level_for(s).id for s in (0, 39.9, 40, 59.9, 60, 79.9, 80, 100)] == [
        "initial",
        "initial",
        "developing",
        "developing",
        "established",
        "established",
        "exemplary",
        "exemplary",
    ]


def test_every_scored_item_scores_0_at_level_1_and_100_at_level_5_rising_between():
    for item in SCORED:
        scores = [item.score(item.sample(level)) for level in range(1, 6)]
        assert scores[0] == 0, item.id
        assert scores[-1] == 100, item.id
        assert scores == sorted(scores), item.id


def test_change_since_last_year():
    now = score_selfcheck(Q, {i.id: best(i) for i in Q.items.values()})
    before = score_selfcheck(Q, {i.id: worst(i) for i in Q.items.values()})
    change = change_since(now, before)
    assert change["overall"] == pytest.approx(100)
    assert set(change) == {"overall", *(p.id for p in Q.pillars)}
    assert change_since(now, None) == {}


@settings(max_examples=150, deadline=None)
@given(partial_answers)
def test_scores_stay_within_bounds(answers):
    result = score_selfcheck(Q, answers)
    for score in [result.score, *(p.score for p in result.pillars)]:
        assert score is None or 0 <= score <= 100
    for s in result.suggestions:
        assert 0 <= s.gain <= 100


@settings(max_examples=150, deadline=None)
@given(applicable_answers, st.sampled_from(SCORED), st.data())
def test_a_better_answer_never_lowers_a_score(answers, item, data):
    better = data.draw(value_strategy(item, na=False).filter(lambda v: item.score(v) >= item.score(answers[item.id])))
    before = score_selfcheck(Q, answers)
    after = score_selfcheck(Q, {**answers, item.id: better})
    assert after.score >= before.score - 1e-9
    assert after.pillar(item.pillar_id).score >= before.pillar(item.pillar_id).score - 1e-9


@settings(max_examples=100, deadline=None)
@given(complete_answers)
def test_weights_are_respected(answers):
    """The pillar score is the weighted mean of item scores; the overall score of pillar scores."""
    result = score_selfcheck(Q, answers)
    for pr in result.pillars:
        pairs = [(r.item.weight, r.score) for r in pr.items if r.item.scored and not r.not_applicable]
        expected = sum(w * s for w, s in pairs) / sum(w for w, _ in pairs)
        assert pr.score == pytest.approx(expected)
    expected = sum(p.pillar.weight * p.score for p in result.pillars) / sum(p.pillar.weight for p in result.pillars)
    assert result.score == pytest.approx(expected)


@settings(max_examples=100, deadline=None)
@given(complete_answers)
def test_scoring_is_deterministic_and_suggestions_are_ranked(answers):
    first, second = score_selfcheck(Q, answers), score_selfcheck(Q, answers)
    assert first == second
    keys = [(-s.gain, s.rule.below, s.rule.id) for s in first.suggestions]
    assert keys == sorted(keys)
    shown = [*first.priorities]
    for p in Q.pillars:
        assert len(first.other_suggestions(p.id)) <= 3
        shown += [*first.other_suggestions(p.id), *first.further_suggestions(p.id)]
    assert sorted(s.rule.id for s in shown) == sorted(s.rule.id for s in first.suggestions)


@given(st.lists(st.tuples(st.floats(0.1, 10), st.floats(0, 100)), min_size=1, max_size=10))
def test_weighted_mean_lies_between_min_and_max(pairs):
    mean = weighted_mean(pairs)
    assert min(s for _, s in pairs) - 1e-9 <= mean <= max(s for _, s in pairs) + 1e-9


def test_heavier_weight_pulls_harder():
    assert weighted_mean([(3, 100), (1, 0)]) == pytest.approx(75)
    assert weighted_mean([(1, 100), (3, 0)]) == pytest.approx(25)
    assert weighted_mean([(1, None), (1, 40)]) == 40
