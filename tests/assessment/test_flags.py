"""Consistency flags: every rule of every version fires on its contradiction and only then. No app."""

import pytest

from app.assessment.questionnaire import available_versions, get_questionnaire
from app.assessment.scoring import score_selfcheck
from tests.assessment.test_scoring import best, candidates

RULES = [(v, rule) for v in available_versions() for rule in get_questionnaire(v).flags]


def consistent_answers(questionnaire):
    """Every item at its best, evidence that mentions nothing a flag looks for."""
    return {i.id: best(i) if i.scored else "按计划开展了讲课和点评。" for i in questionnaire.items.values()}


@pytest.mark.parametrize("version", available_versions())
def test_a_consistent_self_check_raises_no_flag(version):
    questionnaire = get_questionnaire(version)
    assert score_selfcheck(questionnaire, consistent_answers(questionnaire)).flags == ()


@pytest.mark.parametrize(("version", "rule"), RULES, ids=[f"{v}-{r.id}" for v, r in RULES])
def test_each_flag_fires_on_its_contradiction_and_only_then(version, rule):
    questionnaire = get_questionnaire(version)
    answers = consistent_answers(questionnaire)
    for cond in rule.when:
        if cond.op == "mentions":
            answers[cond.item] = f"本年度按{cond.value[0]}开展了讲课。"
        else:
            answers[cond.item] = next(v for v in candidates(questionnaire.items[cond.item]) if cond.holds(v))
    assert rule in score_selfcheck(questionnaire, answers).flags
    for cond in rule.when:  # break any one condition and the flag is gone
        item = questionnaire.items[cond.item]
        breaking = next(v for v in candidates(item) if not cond.holds(v))
        assert rule not in score_selfcheck(questionnaire, {**answers, cond.item: breaking}).flags, cond
    assert "请核实" in rule.text.zh
    assert "Please check" in rule.text.en
