"""The result page: the summary first (score, level, change, peers when allowed, flags, the top three
actions with who leads them, when, and the answer behind each), then one section per pillar."""

import re

from sqlalchemy import select

from app.demo import seed
from app.extensions import db
from app.models import Cycle, Organisation, SelfCheck
from app.reports.service import viewmodel_for
from app.selfcheck import service
from tests.conftest import THIS_YEAR, login


def demo_result(app, code="B03"):
    with app.app_context():
        seed()
        selfcheck = db.session.scalar(
            select(SelfCheck).join(Organisation).join(Cycle).where(Organisation.code == code, Cycle.year == THIS_YEAR)
        )
        return selfcheck.id, service.result_of(selfcheck), viewmodel_for(selfcheck)


def test_summary_first_then_the_pillars(app, client):
    selfcheck_id, result, vm = demo_result(app)
    login(client, "b03", "demo1234")
    html = client.get(f"/results/{selfcheck_id}", headers={"Accept-Language": "zh"}).get_data(as_text=True)
    summary = html.index('class="card summary"')
    pillars = [html.index(f'id="pillar-{p.pillar.id}"') for p in result.pillars]
    assert summary < pillars[0] < pillars[1] < pillars[2] < pillars[3]
    head = html[summary : pillars[0]]
    for part in ("摘要", "较上年变化", "一致性提示", "优先改进事项", result.flags[0].text.zh):
        assert part in head, part
    top = head[head.index('class="suggestions priorities"') :]
    items = top.split('<li class="suggestion">')[1:]
    assert len(items) == len(result.priorities) == 3
    q = result.questionnaire
    for s, li in zip(result.priorities, items, strict=True):
        assert s.rule.text.zh in li
        assert f"牵头：{q.leads[s.lead].zh}" in li
        assert s.timeframe.zh in li
        assert f"{s.item_id}“" in li  # the answer that triggered it
        assert "的回答：" in li
    # the same actions as the report's top three
    assert [s.rule.id for s in result.priorities] == [s.id for s in vm.priorities]


def test_each_pillar_shows_at_most_three_and_the_rest_one_click_away_quoted_as_corrected(app, client):
    selfcheck_id, result, _ = demo_result(app)
    login(client, "b03", "demo1234")
    html = client.get(f"/results/{selfcheck_id}").get_data(as_text=True)
    for p in result.pillars:
        section = html[html.index(f'id="pillar-{p.pillar.id}"') :]
        section = section[: section.index("</section>")]
        shown, more = result.other_suggestions(p.pillar.id), result.further_suggestions(p.pillar.id)
        assert len(shown) <= 3
        visible = section.split('<details class="more-suggestions">')[0]
        assert visible.count('<li class="suggestion">') == len(shown)
        assert section.count('<li class="suggestion">') == len(shown) + len(more)
        if more:
            assert re.search(rf"<summary>另有{len(more)}条建议</summary>", section)
        if p.level_text:
            assert p.level_text.zh in section
    for s in result.suggestions:  # the corrected quotation, never the verbatim passage
        if s.rule.ref.passage != s.rule.ref.quote.zh:
            assert s.rule.ref.passage not in html
