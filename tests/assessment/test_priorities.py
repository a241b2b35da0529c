"""Priorities: what acting on each suggestion is worth, which three come first, what never fires. No app."""

import pytest
from hypothesis import given, settings

from app.assessment.questionnaire import NOT_APPLICABLE, available_versions, get_questionnaire
from app.assessment.scoring import score_selfcheck
from tests.assessment.test_scoring import Q, best, candidates, complete_answers, partial_answers, worst


def test_the_issue_s13_no_longer_fires_for_what_the_branch_already_does():
    """2026-1: "put learning on the agenda …, set up a leading group" with L06 and L09 = yes."""
    q = get_questionnaire("2026-1")
    answers = {i.id: worst(i) for i in q.items.values()}
    assert "S13" in {s.rule.id for s in score_selfcheck(q, answers).suggestions}
    answers.update(L06=True, L09=True)
    assert "S13" not in {s.rule.id for s in score_selfcheck(q, answers).suggestions}


def test_a_yes_no_item_is_worth_its_yes():
    """The issue's case: a yes/no item showed +0.56 where "yes" is worth +1.39."""
    q = get_questionnaire("2026-1")
    answers = {i.id: best(i) for i in q.items.values()} | {"L07": False}
    (s,) = [s for s in score_selfcheck(q, answers).suggestions if s.item_id == "L07"]
    better = score_selfcheck(q, answers | {"L07": True})
    assert s.gain == pytest.approx(better.score - score_selfcheck(q, answers).score)


@settings(max_examples=150, deadline=None)
@given(partial_answers)
def test_the_gain_is_what_one_step_up_adds_to_the_overall_score(answers):
    result = score_selfcheck(Q, answers)
    for s in result.suggestions:
        if s.item_id is None:
            continue
        item = Q.items[s.item_id]
        stepped = next(v for v in candidates(item) if item.score(v) == s.target)
        after = score_selfcheck(Q, {**answers, s.item_id: stepped})
        assert s.gain == pytest.approx(after.score - result.score, abs=1e-6)
        assert s.trigger == answers[s.item_id]


@settings(max_examples=150, deadline=None)
@given(complete_answers)
def test_priorities_are_item_actions_on_three_items_and_name_who_and_when(answers):
    result = score_selfcheck(Q, answers)
    items = [s for s in result.suggestions if s.item_id is not None]
    if items:
        assert all(s.item_id is not None for s in result.priorities)
        assert len({s.item_id for s in result.priorities}) == len(result.priorities) == min(3, len(
            {s.item_id for s in items}
        ))  # fmt: skip
        assert result.priorities[0] == items[0]
    for s in result.priorities:
        assert s.lead in Q.leads
        assert s.timeframe in Q.timeframes.values()


@settings(max_examples=150, deadline=None)
@given(complete_answers)
def test_advice_never_fires_on_what_is_done(answers):
    result = score_selfcheck(Q, answers)
    scores = {r.item.id: r.score for p in result.pillars for r in p.items}
    for s in result.suggestions:
        if s.item_id is not None:
            assert scores[s.item_id] < s.rule.below
            assert answers[s.item_id] != NOT_APPLICABLE
        else:
            covered = [scores[i] for i in s.rule.covers if scores[i] is not None]
            assert covered
            assert all(score < s.rule.below for score in covered)


@pytest.mark.parametrize("version", available_versions())
def test_pillar_advice_takes_a_slot_only_when_no_item_action_exists(version):
    q = get_questionnaire(version)
    worst_answers = {i.id: worst(i) for i in q.items.values()}
    result = score_selfcheck(q, worst_answers)
    assert any(s.item_id is None for s in result.suggestions)  # pillar advice fires …
    assert all(s.item_id is not None for s in result.priorities)  # … but takes no top-three slot
