"""The report's view-model, built from scoring results before any rendering."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from app import create_app
from app.assessment.items import NO
from app.assessment.questionnaire import Text, get_questionnaire
from app.assessment.scoring import score_selfcheck
from app.reports.viewmodel import Peers, Subject, build_viewmodel, format_change, format_score
from tests.conftest import VERSION, answers_at

Q = get_questionnaire(VERSION)
SUBJECT = Subject(
    branch="财政所党支部",
    code="B02",
    parent="机关党总支",
    committee="城关镇党委",
    year=2026,
    submitted_at=datetime(2026, 3, 1, 8, 0),
)
ZH_CATALOG = Path(__file__).resolve().parents[2] / "translations" / "zh" / "LC_MESSAGES" / "messages.mo"


@pytest.fixture(scope="module")
def app_context():
    """Labels come from Flask-Babel, which needs an app context; no database is touched."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"})
    with app.app_context():
        yield app


def result_at(level: int, **changes):
    raw = {**answers_at(level), **changes}
    values, errors = Q.parse_answers(raw)
    assert not errors
    return score_selfcheck(Q, {k: v for k, v in values.items() if v is not None})


def build(result, **kwargs):
    kwargs.setdefault("today", date(2026, 5, 4))
    return build_viewmodel(result, SUBJECT, **kwargs)


def test_every_label_exists_in_both_languages(app_context):
    vm = build(result_at(3))
    assert len(vm.labels) > 40
    for key, text in vm.labels.items():
        assert text.zh.strip(), key
        assert text.en.strip(), key
    assert vm.labels["this_year"].en == "This year (2026)"
    assert vm.labels["last_year"].en == "Last year (2025)"


@pytest.mark.skipif(not ZH_CATALOG.exists(), reason="the Chinese catalog is not compiled")
def test_labels_are_translated_when_the_catalog_has_them(app_context):
    from babel.support import Translations

    catalog = Translations.load(str(ZH_CATALOG.parent.parent.parent), ["zh"])
    vm = build(result_at(3))
    translated = [(k, t) for k, t in vm.labels.items() if catalog.gettext(t.en) != t.en]
    for key, text in translated:
        assert text.zh != text.en, key


def test_scores_levels_and_pillars_follow_the_result(app_context):
    result = result_at(4)
    vm = build(result)
    assert vm.score == format_score(result.score)
    assert vm.level.id == result.level.id
    assert vm.level.name.zh == result.level.name.zh
    assert [p.id for p in vm.pillars] == [p.pillar.id for p in result.pillars]
    assert [p.name.zh for p in vm.pillars] == ["领导示范", "集中学习", "专题讲课", "制度建设"]
    for section, pr in zip(vm.pillars, result.pillars, strict=True):
        assert section.score == format_score(pr.score)
        assert section.level.description == pr.level.description
        scored = [r for r in pr.items if r.item.scored]
        assert [row.id for row in section.items] == [r.item.id for r in scored]
        assert [row.score for row in section.items] == [format_score(r.score) for r in scored]
    assert [lv.range for lv in vm.levels] == ["0–40", "40–60", "60–80", "80–100"]


def test_answers_are_shown_in_each_language(app_context):
    result = result_at(3, L02="3", L06="no", C02="171/200", L08="n/a")
    vm = build(result)
    rows = {row.id: row for p in vm.pillars for row in p.items}
    assert rows["L01"].answer.en == "3 / 5"
    assert rows["L02"].answer.zh == "3 次"
    assert rows["L02"].answer.en == "3 talks"
    assert rows["L06"].answer == Text("否", "No")
    assert rows["C02"].answer.zh == "实到人次 171，应到人次 200（85.5%）"
    assert rows["C02"].answer.en == "Attended 171, Expected 200 (85.5%)"
    assert (rows["L08"].answer.zh, rows["L08"].answer.en) == ("不适用", "Not applicable")
    assert rows["L08"].score == "—"


def test_strengths_and_gaps(app_context):
    best = build(result_at(5))
    assert all(p.strengths and not p.gaps for p in best.pillars)
    first = best.pillars[0].strengths[0]
    # A scale answer reads as the level the branch chose, in both languages.
    assert first.text == Q.items["L01"].levels[4]
    worst = build(result_at(1))
    assert all(p.gaps and not p.strengths for p in worst.pillars)
    assert all(len(p.gaps) <= 5 for p in worst.pillars)
    assert worst.pillars[0].gaps[0].score == "0.0"


def test_suggestions_per_pillar_and_priorities(app_context):
    result = result_at(2)
    vm = build(result)
    assert [s.id for s in vm.priorities] == [s.rule.id for s in result.priorities]
    assert len(vm.priorities) == 3
    for section in vm.pillars:
        assert [s.id for s in section.suggestions] == [s.rule.id for s in result.other_suggestions(section.id)]
        assert [s.id for s in section.further] == [s.rule.id for s in result.further_suggestions(section.id)]
        assert len(section.suggestions) <= 3
    shown = [s.id for s in vm.priorities] + [s.id for p in vm.pillars for s in (*p.suggestions, *p.further)]
    assert sorted(shown) == sorted(s.rule.id for s in result.suggestions)  # each once
    s, first = vm.priorities[0], result.priorities[0]
    assert s.text == first.rule.text
    item = Q.items[first.item_id]
    lead = Q.leads[first.lead]
    # Who leads it, by when, its gain and the answer that triggered it: one sentence per language.
    assert s.meta.zh == (
        f"牵头：{lead.zh}；时限：{first.timeframe.zh}；预计总分提升{first.gain:.1f}分；依据：{item.id}答“否”"
        if item.answer_text(first.trigger) == NO
        else s.meta.zh
    )
    for lang in ("zh", "en"):
        assert lead(lang) in s.meta(lang)
        assert first.timeframe(lang) in s.meta(lang)
        assert f"{first.gain:.1f}" in s.meta(lang)
        assert item.id in s.meta(lang)
    # The source as readers see it: the corrected quotation in Chinese, its translation in English.
    assert first.rule.ref.quote.zh in s.source.zh
    assert first.rule.ref.quote.en in s.source.en
    assert Q.sources[first.rule.ref.source].en in s.source.en
    assert first.rule.ref.quote.zh not in s.source.en


def test_no_suggestions_at_the_top(app_context):
    vm = build(result_at(5))
    assert vm.priorities == ()
    assert all(p.suggestions == () and p.further == () for p in vm.pillars)


def test_change_since_last_year_and_chart_series(app_context):
    now, before = result_at(4), result_at(2)
    averages = {
        "leadership": 61.25,
        "collective_study": 50.0,
        "topical_lectures": 40.0,
        "institutional_rules": 70.0,
        "overall": 55.0,
    }
    peers = Peers(averages, 3, {"overall": (66.7, 3), "leadership": (33.3, 2)})
    vm = build(now, previous=before, previous_year=2025, peers=peers)
    assert vm.change == format_change(now.score - before.score)
    assert vm.change.startswith("+")
    assert vm.previous_score == format_score(before.score)
    assert vm.pillars[0].previous_score == format_score(before.pillars[0].score)
    assert vm.pillars[0].peer_average == "61.2"
    assert [s.key for s in vm.chart.series] == ["this_year", "last_year", "peers"]
    assert vm.chart.series[0].values == tuple(p.score for p in now.pillars)
    assert vm.chart.series[1].values == tuple(p.score for p in before.pillars)
    assert vm.chart.series[2].values == (61.25, 50.0, 40.0, 70.0)
    assert [a.zh for a in vm.chart.categories] == ["领导示范", "集中学习", "专题讲课", "制度建设"]
    assert vm.peer_note.en.startswith("Peers: the 3 other branches under 城关镇党委")
    assert vm.peer_note.zh == "同级：城关镇党委所属、本年度已提交自查的其他3个党支部，不含本支部。"
    assert vm.peer_average == "55.0"
    assert vm.peer_position == Text("67（四分位：3/4）", "67 (quartile 3 of 4)")
    assert vm.pillars[0].peer_position.en == "33 (quartile 2 of 4)"
    assert vm.pillars[1].peer_position == Text("—", "—")


def test_without_history_or_peers(app_context):
    vm = build(result_at(3))
    assert [s.key for s in vm.chart.series] == ["this_year"]
    assert vm.peer_note.en == "Fewer than three other branches have submitted: no peer figure is shown."
    open_cycle = build(result_at(3), today=date(2026, 5, 4))
    assert open_cycle.peer_note == vm.peer_note  # SUBJECT names no closing date
    closing = Subject(**{**SUBJECT.__dict__, "cycle_closes": date(2026, 12, 31)})
    note = build_viewmodel(result_at(3), closing, today=date(2026, 5, 4)).peer_note
    assert note == Text("同级比较数据在本年度自查截止（2026年12月31日）后显示。", note.en)
    assert note.en == "Peer figures appear once the self-check cycle has closed (December 31, 2026)."
    assert vm.change is None
    assert vm.previous_score is None
    assert all(p.change is None and p.previous_score is None and p.peer_average == "—" for p in vm.pillars)


def test_a_draft_with_missing_answers(app_context):
    partial = {k: v for k, v in answers_at(3).items() if k.startswith("L")}
    values, _ = Q.parse_answers(partial)
    result = score_selfcheck(Q, values)
    vm = build_viewmodel(
        result, Subject(**{**SUBJECT.__dict__, "draft": True, "submitted_at": None}), today=date(2026, 5, 4)
    )
    assert vm.subject.draft
    assert vm.submitted_on is None
    rows = {row.id: row for p in vm.pillars for row in p.items}
    assert rows["C01"].answer == vm.labels["not_answered"] == Text("未作答", "Not answered")
    assert vm.chart.series[0].values[1] is None  # an unanswered pillar has no value, never 0
    assert rows["C01"].score == "—"
    assert vm.pillars[1].score == "—"
    assert vm.pillars[1].level is None


def test_evidence_and_dates(app_context):
    vm = build(result_at(3))
    text_items = [i for i in Q.items.values() if not i.scored]
    assert [e.item_id for e in vm.evidence] == [i.id for i in text_items]
    assert vm.evidence[0].answer == text_items[0].sample(3)
    assert vm.evidence[0].question == text_items[0].text
    assert vm.report_date.zh == "2026年5月4日"
    assert vm.report_date.en == "May 4, 2026"
    assert vm.submitted_on.en == "March 1, 2026"
    assert vm.title.en.endswith("财政所党支部 2026")


def test_formatting():
    assert format_score(None) == "—"
    assert format_score(72.25) == "72.2"
    assert format_change(None) is None
    assert format_change(5) == "+5.0"
    assert format_change(-2.04) == "-2.0"
    assert format_change(0.01) == "±0.0"
