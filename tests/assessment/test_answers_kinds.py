""" "Not applicable" answers, percentages entered as two counts, and one step up: no app."""

import json
from pathlib import Path

import pytest

from app.assessment.items import NOT_APPLICABLE, AnswerError
from app.assessment.questionnaire import get_questionnaire, load_questionnaire
from app.assessment.scoring import score_selfcheck
from tests.assessment.test_questionnaire import write_variant

GOLDEN = Path(__file__).parent / "golden" / "2026-1-scores.json"


@pytest.fixture(scope="module")
def variant(tmp_path_factory):
    """2026-1 with C10 entered as two counts and T08, C10 allowing "not applicable"."""

    def mutate(data):
        items = {i["id"]: i for p in data["pillars"] for i in p["items"]}
        items["C10"]["counts"] = {
            "part": {"zh": "参加的党员", "en": "Took part"},
            "whole": {"zh": "党员", "en": "Members"},
        }
        items["C10"]["not_applicable"] = True
        items["T08"]["not_applicable"] = True

    return load_questionnaire(write_variant(tmp_path_factory.mktemp("q"), "2026-1", mutate))


@pytest.mark.parametrize("raw", ["n/a", "NA", " 不适用 ", "Not applicable"])
def test_not_applicable_is_a_typed_answer_of_its_own(variant, raw):
    assert variant.items["T08"].parse(raw) == NOT_APPLICABLE


def test_not_applicable_is_refused_where_the_item_has_no_such_answer(variant):
    with pytest.raises(AnswerError) as excinfo:
        variant.items["T07"].parse("n/a")
    assert excinfo.value.code == "not_applicable"


def test_not_applicable_is_answered_but_left_out_of_the_mean(variant):
    answers = {i.id: i.sample(5) for i in variant.items.values() if i.scored}
    answers.update({"T08": 0, "T09": 5})
    with_zero = score_selfcheck(variant, answers).pillar("topical_lectures")
    answers["T08"] = NOT_APPLICABLE
    result = score_selfcheck(variant, answers)
    pillar = result.pillar("topical_lectures")
    row = next(r for r in pillar.items if r.item.id == "T08")
    assert row.answered
    assert row.not_applicable
    assert row.score is None
    assert "T08" not in pillar.missing
    assert pillar.score > with_zero.score  # not counted as zero
    assert not any(s.item_id == "T08" for s in result.suggestions)


@pytest.mark.parametrize(("raw", "expected"), [("27/30", [27, 30]), ("27／30", [27, 30]), ([0, 4], [0, 4])])
def test_two_counts_are_parsed(variant, raw, expected):
    assert variant.items["C10"].parse(raw) == expected


@pytest.mark.parametrize("raw", ["31/30", "3/0", "3", [1], [1, 2, 3], "a/b", "1.5/3", [-1, 3], "1/100001"])
def test_two_counts_that_do_not_fit_are_refused(variant, raw):
    with pytest.raises(AnswerError) as excinfo:
        variant.items["C10"].parse(raw)
    assert excinfo.value.code == "counts"


def test_two_counts_score_as_their_percentage(variant):
    item = variant.items["C10"]
    plain = get_questionnaire("2026-1").items["C10"]
    assert item.percent([27, 30]) == pytest.approx(90)
    assert item.score([27, 30]) == pytest.approx(plain.score(90.0))
    assert json.loads(json.dumps([27, 30])) == item.parse("27/30")  # the stored value reads back equal


@pytest.mark.parametrize(
    ("item_id", "value", "step"),
    [
        ("L01", 1, 25),  # one scale point up
        ("L01", 4, 100),
        ("L01", 5, None),  # at its best: no step
        ("L06", False, 100),  # "yes"
        ("L02", 0, 25),  # the next count threshold
        ("L02", 2, 75),
        ("C02", 60.0, 25),  # the next quarter of the percentage's range
        ("C02", 80.0, 75),
    ],
)
def test_one_realistic_step_up(item_id, value, step):
    assert get_questionnaire("2026-1").items[item_id].step_up(value) == step


def test_version_2026_1_still_scores_as_it_did():
    """Fixed in place only in what is displayed: every stored answer scores as before."""
    questionnaire = get_questionnaire("2026-1")
    for case in json.loads(GOLDEN.read_text(encoding="utf-8")):
        result = score_selfcheck(questionnaire, case["answers"])
        assert result.score == pytest.approx(case["overall"])
        assert (result.level.id if result.level else None) == case["level"]
        assert {p.pillar.id: p.score for p in result.pillars} == pytest.approx(case["pillars"])
        items = {r.item.id: r.score for p in result.pillars for r in p.items if r.score is not None}
        assert items == pytest.approx(case["items"])
        # F15–F17 were added later; the flags of the first release fire as they did
        assert [f.id for f in result.flags if f.id <= "F14"] == case["flags"]
