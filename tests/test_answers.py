"""answer_text: an answer as the pages and the report show it, in either language."""

from dataclasses import replace

import pytest

from app.answers import answer_text
from app.assessment.questionnaire import NOT_APPLICABLE, Text, get_questionnaire

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
def test_answer_text_in_both_languages(app, item, value, zh, en):
    with app.app_context():
        assert answer_text(item, value, "zh") == zh
        assert answer_text(item, value, "en") == en
