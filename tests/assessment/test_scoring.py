"""Scoring, levels, flags and suggestions: example-based and property-based, no app."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.assessment.questionnaire import NOT_APPLICABLE, available_versions, get_questionnaire
from app.assessment.scoring import change_since, score_selfcheck, weighted_mean

Q = get_questionnaire(available_versions()[-1])
SCORED = [i for i in Q.items.values() if i.scored]


def value_strategy(item, *, na=True):
    """Any typed answer of `item`; "not applicable" too where the item allows it (and `na`)."""
    if item.type == "scale":
        values = st.integers(1, 5)
    elif item.type == "yesno":
        values = st.booleans()
    elif item.type == "count":
        values = st.integers(0, item.max)
    elif item.counts is not None:
        values = st.integers(1, 500).flatmap(lambda whole: st.integers(0, whole).map(lambda part: [part, whole]))
    elif item.type == "percent":
        values = st.floats(0, 100, allow_nan=False)
    else:
        return st.text(max_size=20)
    return values | st.just(NOT_APPLICABLE) if na and item.allows_na else values


def best(item):
    if item.counts is not None:
        return [1, 1]
    return {"scale": 5, "yesno": True, "count": item.max, "percent": 100.0}.get(item.type, "x")


def worst(item):
    if item.counts is not None:
        return [0, 1]
    return {"scale": 1, "yesno": False, "count": 0, "percent": 0.0}.get(item.type, "x")


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
    one = next(i for i in SCORED if i.type == "scale")
    result = score_selfcheck(Q, {one.id: 5})
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


def test_item_scores():
    scale = next(i for i in SCORED if i.type == "scale")
    assert [scale.score(v) for v in range(1, 6)] == [0, 25, 50, 75, 100]
    count = next(i for i in SCORED if i.type == "count")
    assert count.score(count.thresholds[0] - 1 if count.thresholds[0] else 0) in (0, 100 / len(count.thresholds))
    assert count.score(count.thresholds[-1]) == 100
    percent = next(i for i in SCORED if i.type == "percent")
    assert percent.score([round(percent.zero_at), 100] if percent.counts else percent.zero_at) == 0
    assert percent.score([100, 100] if percent.counts else 100.0) == 100


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
