"""An answer in words, as the pages and the report show it, in either language: no app."""

from dataclasses import replace

import pytest

from app.assessment.items import NOT_APPLICABLE
from app.assessment.questionnaire import Text, get_questionnaire

Q = get_questionnaire("2026-1")
COUNTS = replace(Q.items["C10"], counts=(Text("参加的党员", "Took part"), Text("党员", "Members")), allows_na=True)


@pytest.mark.parametrize(
    ("item", "value", "zh", "en"),
    [
        (Q.items["L01"], None, "未作答", "Not answered"),
        (COUNTS, NOT_APPLICABLE, "不适用", "Not applicable"),
        (Q.items["L06"], True, "是", "Yes"),
        (Q.items["L06"], False, "否", "No"),
        (Q.items["L01"], 4, "4 / 5", "4 / 5"),
        (Q.items["L02"], 3, "3 次", "3 lectures"),
        (Q.items["C02"], 92.5, "92.5%", "92.5%"),
        (COUNTS, [27, 30], "参加的党员 27，党员 30（90%）", "Took part 27, Members 30 (90%)"),
        (Q.items["L11"], "书记讲了两次课", "书记讲了两次课", "书记讲了两次课"),
    ],
)
def test_answer_text_in_both_languages(item, value, zh, en):
    assert item.answer_text(value) == Text(zh, en)


def test_a_scale_answer_says_what_its_level_means():
    item = Q.items["L01"]
    assert item.answer_detail(4) == item.levels[3]
    assert item.answer_detail(NOT_APPLICABLE) is None
    assert Q.items["L06"].answer_detail(True) is None


@pytest.mark.parametrize(
    ("item", "value", "posted"),
    [
        (Q.items["L01"], None, ""),
        (COUNTS, NOT_APPLICABLE, "n/a"),
        (Q.items["L06"], False, "no"),
        (Q.items["C02"], 90.0, "90"),
        (Q.items["C02"], 92.5, "92.5"),
        (COUNTS, [27, 30], "27/30"),
    ],
)
def test_a_typed_answer_goes_back_into_its_entry_as_posted(item, value, posted):
    assert item.form_value(value) == posted
    assert item.parse(posted) == value
