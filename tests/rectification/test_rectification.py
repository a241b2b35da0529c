"""The rectification list (issue 17): domain rules, the pages and who may use them, the report's
section, the exports read back, and next year's accounting for last year's actions."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from app.assessment import rectification as rules
from app.assessment.questionnaire import get_questionnaire
from app.assessment.scoring import score_selfcheck
from app.database import write_transaction
from app.extensions import db
from app.models import AuditEvent, RectificationAction, SelfCheck, User
from app.rectification import service
from app.selfcheck import service as selfcheck_service
from tests.conftest import THIS_YEAR, VERSION, answers_at, login, submitted_selfcheck

Q = get_questionnaire(VERSION)
TODAY = date(THIS_YEAR, 6, 15)


# ------------------------------------------------------------------ the domain rules (plain Python)


def test_overdue_is_computed_from_the_deadline_never_for_a_done_action():
    day = date(2026, 5, 1)
    assert rules.shown_status("planned", day - timedelta(days=1), day) == "overdue"
    assert rules.shown_status("in_progress", day - timedelta(days=1), day) == "overdue"
    assert rules.shown_status("in_progress", day, day) == "in_progress"  # due today is not late yet
    assert rules.shown_status("done", day - timedelta(days=30), day) == "done"


def test_a_result_offers_its_flags_priorities_suggestions_and_low_items():
    result = score_selfcheck(Q, Q.parse_answers(answers_at(1))[0])
    offers = rules.candidates(result)
    origins = [c.origin for c in offers]
    assert origins[: len(result.flags)] == ["flag"] * len(result.flags)
    priorities = [c for c in offers if c.origin == "priority"]
    assert [c.ref for c in priorities] == [s.rule.id for s in result.priorities]
    # a priority prefills the problem from the answer that triggered it and the measure from the suggestion
    first = priorities[0]
    item = Q.items[first.item_id]
    assert first.problem.zh.startswith(f"{item.id}“")
    assert "自查回答为" in first.problem.zh
    assert first.measure == result.priorities[0].rule.text
    assert first.lead == result.priorities[0].lead
    # every suggestion is offered once; low items only where no suggestion covers them
    suggested = [c.ref for c in offers if c.origin in ("priority", "suggestion")]
    assert sorted(suggested) == sorted(s.rule.id for s in result.suggestions)
    advised = {s.item_id for s in result.suggestions}
    for c in offers:
        if c.origin == "item":
            assert c.ref not in advised
            assert result.pillar(Q.items[c.ref].pillar_id).items  # a real item
    assert len({c.key for c in offers}) == len(offers)
    assert rules.find_candidate(result, first.key) == first
    assert rules.find_candidate(result, "priority:nope") is None


def test_a_result_at_its_best_offers_nothing():
    result = score_selfcheck(Q, Q.parse_answers(answers_at(5))[0])
    assert rules.candidates(result) == ()


def test_plans_start_from_a_result():
    incomplete = score_selfcheck(Q, dict(list(Q.parse_answers(answers_at(2))[0].items())[:5]))
    complete = score_selfcheck(Q, Q.parse_answers(answers_at(2))[0])
    assert not rules.can_plan(incomplete, submitted=False)
    assert rules.can_plan(complete, submitted=False)
    assert rules.can_plan(incomplete, submitted=True)


@pytest.mark.parametrize(
    ("timeframe", "today", "expected"),
    [
        ("month", date(2026, 1, 31), date(2026, 3, 2)),
        ("next_session", date(2026, 5, 1), date(2026, 5, 31)),
        ("quarter", date(2026, 2, 10), date(2026, 3, 31)),
        ("quarter", date(2026, 11, 30), date(2026, 12, 31)),
        ("year", date(2026, 2, 10), date(2026, 12, 31)),
        ("plan", date(2026, 2, 10), date(2026, 12, 31)),
        (None, date(2026, 2, 10), date(2026, 5, 12)),
    ],
)
def test_a_time_frame_suggests_a_deadline(timeframe, today, expected):
    assert rules.suggested_deadline(timeframe, today) == expected


def test_last_years_tally_counts_done_then_or_since():
    assert rules.tally([("done", None), ("in_progress", "done"), ("planned", "in_progress"), ("planned", None)]) == (
        2,
        4,
    )
    assert rules.tally([]) == (0, 0)


# ------------------------------------------------------------------ helpers


def user(username: str) -> User:
    return db.session.scalar(db.select(User).where(User.username == username))


def plan(**overrides) -> service.Plan:
    fields = {
        "problem": "中心组学习不经常",
        "measure": "每月集中学习一次",
        "owner_name": "张明",
        "owner_role": "支部书记",
        "deadline": date(THIS_YEAR, 12, 1),
    }
    return service.Plan(**(fields | overrides))


def add_action(app, selfcheck_id: int, **overrides) -> int:
    with app.app_context():
        selfcheck = db.session.get(SelfCheck, selfcheck_id)
        return service.create_action(selfcheck, user("b1"), plan(**overrides)).id


def form_of(action=None, **overrides) -> dict:
    data = {
        "problem": "学习计划没有落实",
        "measure": "制定年度学习方案",
        "owner_name": "李华",
        "owner_role": "组织委员",
        "deadline": f"{THIS_YEAR}-11-30",
    }
    return data | overrides


@pytest.fixture
def submitted(app, world):
    """B1's submitted self-check of this year (the cycle is open)."""
    return submitted_selfcheck(app, "B1", THIS_YEAR, 2)


def action_rows(app, selfcheck_id):
    with app.app_context():
        return [
            (a.problem, a.measure, a.owner_name, a.owner_role, a.deadline, a.status, a.origin, a.origin_ref)
            for a in db.session.scalars(
                db.select(RectificationAction).where(RectificationAction.selfcheck_id == selfcheck_id)
            )
        ]


# ------------------------------------------------------------------ the pages


def test_the_branch_turns_a_top_priority_into_an_action(app, client, submitted):
    login(client, "b1")
    page = client.get(f"/selfcheck/{submitted}/actions")
    assert page.status_code == 200
    with app.app_context():
        result = selfcheck_service.result_of(db.session.get(SelfCheck, submitted))
        key = rules.candidates(result)[len(result.flags)].key  # the first priority
        priority = result.priorities[0]
    assert f"from={key}" in page.text
    form = client.get(f"/selfcheck/{submitted}/actions/new?from={key}")
    assert form.status_code == 200
    # prefilled: the problem from the answer, the measure from the suggestion, who leads it, a deadline
    assert "自查回答为" in form.text
    assert priority.rule.text.zh in form.text
    assert Q.leads[priority.lead].zh in form.text
    assert 'type="date"' in form.text and f'value="{date.today().year}-' in form.text or "value=" in form.text
    saved = client.post(f"/selfcheck/{submitted}/actions/new", data=form_of(**{"from": key}))
    assert saved.status_code == 302
    [row] = action_rows(app, submitted)
    assert row == (
        "学习计划没有落实",
        "制定年度学习方案",
        "李华",
        "组织委员",
        date(THIS_YEAR, 11, 30),
        "planned",
        "priority",
        priority.rule.id,
    )
    listing = client.get(f"/selfcheck/{submitted}/actions").text
    assert "学习计划没有落实" in listing
    assert "李华" in listing
    assert "已列入清单" in listing or "Already on the list" in listing
    # the branch home and the result page show it too
    assert "学习计划没有落实" in client.get("/selfcheck/").text
    assert "学习计划没有落实" in client.get(f"/results/{submitted}").text
    with app.app_context():
        assert db.session.scalar(db.select(AuditEvent.target).where(AuditEvent.action == "action_create")).startswith(
            f"B1 {THIS_YEAR} action "
        )


def test_bad_input_is_refused_with_a_message_and_changes_nothing(app, client, submitted):
    login(client, "b1")
    for bad in (
        {"problem": "  "},
        {"owner_name": ""},
        {"deadline": "31/12/2026"},
        {"deadline": "1999-12-31"},
        {"measure": "x" * 2001},
    ):
        response = client.post(f"/selfcheck/{submitted}/actions/new", data=form_of(**bad))
        assert response.status_code == 422, bad
        assert 'role="alert"' in response.text
    # what was typed stays in the form
    response = client.post(f"/selfcheck/{submitted}/actions/new", data=form_of(owner_name=""))
    assert "制定年度学习方案" in response.text
    stale = client.get(f"/selfcheck/{submitted}/actions/new?from=priority:NOPE")
    assert stale.status_code == 302
    assert action_rows(app, submitted) == []


def test_notes_closing_reopening_and_removing(app, client, submitted):
    action_id = add_action(app, submitted)
    login(client, "b1")
    base = f"/selfcheck/{submitted}/actions/{action_id}"
    page = client.get(base)
    assert page.status_code == 200
    assert "中心组学习不经常" in page.text
    future = (date.today() + timedelta(days=2)).isoformat()
    assert client.post(f"{base}/notes", data={"noted_on": future, "text": "开了会"}).status_code == 422
    assert client.post(f"{base}/notes", data={"noted_on": date.today().isoformat(), "text": ""}).status_code == 422
    assert (
        client.post(f"{base}/notes", data={"noted_on": date.today().isoformat(), "text": "召开支委会研究"}).status_code
        == 302
    )
    with app.app_context():
        action = db.session.get(RectificationAction, action_id)
        assert [(n.noted_on, n.text) for n in action.notes] == [(date.today(), "召开支委会研究")]
        assert action.status == "in_progress"  # the first note starts it
    assert client.post(f"{base}/close", data={"account": ""}).status_code == 422
    assert client.post(f"{base}/close", data={"account": "已制定学习方案并执行"}).status_code == 302
    with app.app_context():
        action = db.session.get(RectificationAction, action_id)
        assert (action.status, action.account) == ("done", "已制定学习方案并执行")
        assert action.closed_at is not None
    # saving the form of a done action keeps it done; choosing a status reopens it
    assert client.post(base, data=form_of(status="")).status_code == 302
    with app.app_context():
        assert db.session.get(RectificationAction, action_id).status == "done"
    assert client.post(base, data=form_of(status="in_progress")).status_code == 302
    with app.app_context():
        action = db.session.get(RectificationAction, action_id)
        assert (action.status, action.closed_at, action.problem) == ("in_progress", None, "学习计划没有落实")
    assert client.post(base, data=form_of(status="done")).status_code == 422  # closing needs an account
    # removing needs the box ticked
    assert client.post(f"{base}/delete", data={}).status_code == 302
    assert len(action_rows(app, submitted)) == 1
    assert client.post(f"{base}/delete", data={"confirm": "y"}).status_code == 302
    assert action_rows(app, submitted) == []
    with app.app_context():
        actions = set(db.session.scalars(db.select(AuditEvent.action)))
    assert {"action_create", "action_close", "action_delete"} <= actions


def test_an_incomplete_draft_has_no_result_to_plan_from(app, client, world):
    login(client, "b1")
    draft = int(client.post("/selfcheck/start").location.split("/")[2])
    page = client.get(f"/selfcheck/{draft}/actions")
    assert page.status_code == 200
    assert "/actions/new" not in page.text
    assert client.post(f"/selfcheck/{draft}/actions/new", data=form_of()).status_code == 302
    assert action_rows(app, draft) == []
    with app.app_context():
        selfcheck_service.save_answers(db.session.get(SelfCheck, draft), answers_at(2), None)
    assert client.post(f"/selfcheck/{draft}/actions/new", data=form_of()).status_code == 302
    assert len(action_rows(app, draft)) == 1  # a complete draft has a result


def test_who_may_read_and_change_the_list(app, world, submitted):
    action_id = add_action(app, submitted)
    paths = [f"/selfcheck/{submitted}/actions", f"/selfcheck/{submitted}/actions/{action_id}"]
    expected = {"b1": 200, "leader": 200, "gleader": 200, "admin": 200, "trainer": 403, "b2": 404, "xleader": 404}
    for username, status in expected.items():
        client = app.test_client()
        login(client, username)
        assert [client.get(p).status_code for p in paths] == [status, status], username
        if username != "b1":
            posted = client.post(f"/selfcheck/{submitted}/actions/{action_id}/close", data={"account": "x"})
            assert posted.status_code in (403, 404), username
        page = client.get(f"/results/{submitted}")
        if status != 404:
            assert ("中心组学习不经常" in page.text) == (status == 200), username
    # readers see the list without the forms
    client = app.test_client()
    login(client, "leader")
    page = client.get(paths[1]).text
    assert "/close" not in page
    assert "/delete" not in page
    with app.app_context():
        assert db.session.get(RectificationAction, action_id).status == "planned"


def test_the_list_is_read_only_once_the_cycle_has_closed(app, client, world):
    last_year = submitted_selfcheck(app, "B1", THIS_YEAR - 1, 2)
    action_id = add_action_in_closed_cycle(app, last_year)
    login(client, "b1")
    base = f"/selfcheck/{last_year}/actions/{action_id}"
    assert client.get(base).status_code == 200
    assert client.post(f"{base}/close", data={"account": "done"}).status_code == 403
    assert client.post(f"/selfcheck/{last_year}/actions/new", data=form_of()).status_code == 403
    with app.app_context():
        action = db.session.get(RectificationAction, action_id)
        with pytest.raises(service.NotEditable):
            service.close_action(action, user("b1"), "done")
        assert action.status == "planned"


def add_action_in_closed_cycle(app, selfcheck_id: int, status: str = "planned", **overrides) -> int:
    """An action of a past cycle, as it was planned while that cycle was open."""
    with app.app_context(), write_transaction():
        row = RectificationAction(selfcheck_id=selfcheck_id, status=status, **plan(**overrides).__dict__)
        db.session.add(row)
        db.session.commit()
        return row.id


# ------------------------------------------------------------------ the report and the exports


def read_pdf(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    return re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages))


@pytest.mark.parametrize("lang", ["zh", "en", "bilingual"])
def test_the_report_shows_the_actions_after_the_priorities(app, world, submitted, lang):
    add_action(app, submitted)
    add_action(app, submitted, problem="讲课没有提前一周征求意见", deadline=date(THIS_YEAR - 1, 1, 1))
    client = app.test_client()
    login(client, "leader")
    text = read_pdf(client.get(f"/reports/{submitted}.pdf?lang={lang}").data)
    heading = {"zh": "整改清单", "en": "Rectificationlist", "bilingual": "整改清单"}[lang]
    assert heading in text
    assert "中心组学习不经常" in text
    assert "每月集中学习一次" in text
    assert "张明" in text
    assert "讲课没有提前一周征求意见" in text
    if lang != "en":
        assert f"{THIS_YEAR}年12月1日" in text
        assert "已逾期" in text
        assert "计划中" in text
    else:
        assert f"{THIS_YEAR}-12-01" in text
        assert "Overdue" in text
        assert "Planned" in text
    # after the priorities, before the first pillar's section
    priorities, items = (
        ("优先开展的工作", "各题回答与得分") if lang != "en" else ("Actionstotakefirst", "Answersanditemscores")
    )
    assert text.index(priorities) < text.index("中心组学习不经常") < text.index(items)
    # a trainer's copy leaves the list out
    client = app.test_client()
    login(client, "trainer")
    trainer = read_pdf(client.get(f"/reports/{submitted}.pdf?lang={lang}").data)
    assert "中心组学习不经常" not in trainer
    assert heading not in trainer


def test_the_list_exports_as_xlsx_and_a_printable_pdf(app, world, submitted):
    action_id = add_action(app, submitted)
    with app.app_context():
        service.add_note(db.session.get(RectificationAction, action_id), user("b1"), date.today(), "召开支委会")
    client = app.test_client()
    login(client, "gleader")
    response = client.get(f"/selfcheck/{submitted}/actions.xlsx")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith(f"rectification-list_B1_{THIS_YEAR}.xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("序号", "来源", "题目", "问题", "整改措施")
    assert rows[1][3:8] == ("中心组学习不经常", "每月集中学习一次", "张明", "支部书记", f"{THIS_YEAR}-12-01")
    assert rows[1][8] == "进行中"
    assert "召开支委会" in rows[1][9]
    for lang in ("zh", "en", "bilingual"):
        pdf = client.get(f"/selfcheck/{submitted}/actions.pdf?lang={lang}")
        assert pdf.status_code == 200
        text = read_pdf(pdf.data)
        assert "中心组学习不经常" in text
        assert "召开支委会" in text
        assert "张明" in text
        assert ("整改清单" in text) == (lang != "en")
    assert client.get(f"/selfcheck/{submitted}/actions.pdf?lang=fr").status_code == 404
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).where(AuditEvent.action == "export")) == 4


# ------------------------------------------------------------------ next year


@pytest.fixture
def last_year(app, world):
    """B1 last year: three actions, one done then, two unfinished; this year's self-check started."""
    old = submitted_selfcheck(app, "B1", THIS_YEAR - 1, 2)
    ids = [
        add_action_in_closed_cycle(app, old, problem="旧问题一"),
        add_action_in_closed_cycle(app, old, problem="旧问题二"),
        add_action_in_closed_cycle(app, old, problem="旧问题三", status="done"),
    ]
    client = app.test_client()
    login(client, "b1")
    new = int(client.post("/selfcheck/start").location.split("/")[2])
    return client, old, new, ids


def test_last_years_unfinished_actions_come_with_the_new_self_check(app, last_year):
    client, old, new, (first, second, done) = last_year
    home = client.get("/selfcheck/").text
    assert "上一年度有 2 项整改措施尚待说明落实情况" in home or "2 actions of last year" in home
    page = client.get(f"/selfcheck/{new}/actions").text
    assert "旧问题一" in page
    assert "旧问题二" in page
    assert "旧问题三" not in page.split('id="last-year"')[1].split("</section>")[0]
    # done needs an account; not done needs a new deadline
    bad = client.post(f"/selfcheck/{new}/actions/last-year/{first}", data={f"a{first}-done": "yes"})
    assert bad.status_code == 422
    bad = client.post(f"/selfcheck/{new}/actions/last-year/{first}", data={f"a{first}-done": "no"})
    assert bad.status_code == 422
    ok = client.post(
        f"/selfcheck/{new}/actions/last-year/{first}", data={f"a{first}-done": "yes", f"a{first}-account": "已完成"}
    )
    assert ok.status_code == 302
    again = client.post(
        f"/selfcheck/{new}/actions/last-year/{first}", data={f"a{first}-done": "yes", f"a{first}-account": "再来"}
    )
    assert again.status_code == 302  # told it is done already; nothing added
    deadline = f"{THIS_YEAR}-10-31"
    ok = client.post(
        f"/selfcheck/{new}/actions/last-year/{second}",
        data={f"a{second}-done": "no", f"a{second}-deadline": deadline, f"a{second}-account": "完成了一半"},
    )
    assert ok.status_code == 302
    with app.app_context():
        carried = {
            a.continues_id: (a.problem, a.status, a.account, a.deadline, [n.text for n in a.notes])
            for a in service.actions_of(db.session.get(SelfCheck, new))
        }
        assert carried == {
            first: ("旧问题一", "done", "已完成", date(THIS_YEAR, 12, 1), []),
            second: ("旧问题二", "in_progress", None, date(THIS_YEAR, 10, 31), ["完成了一半"]),
        }
        assert service.last_year_tally(db.session.get(SelfCheck, new)) == (2, 3)
        # last year's list is as it was
        assert [a.status for a in service.actions_of(db.session.get(SelfCheck, old))] == ["planned", "planned", "done"]
    page = client.get(f"/selfcheck/{new}/actions").text
    assert 'id="last-year"' not in page  # nothing left to account for
    assert "旧问题一" in page
    assert "旧问题二" in page


def test_the_result_and_the_report_show_last_years_tally(app, last_year):
    client, old, new, (first, second, done) = last_year
    client.post(
        f"/selfcheck/{new}/actions/last-year/{first}", data={f"a{first}-done": "yes", f"a{first}-account": "已完成"}
    )
    with app.app_context():
        selfcheck_service.save_answers(db.session.get(SelfCheck, new), answers_at(3), None)
        selfcheck_service.submit(db.session.get(SelfCheck, new), None)
    page = client.get(f"/results/{new}").text
    assert "上一年度整改：3 项中已完成 2 项" in page or "2 of 3 done" in page
    text = read_pdf(client.get(f"/reports/{new}.pdf?lang=zh").data)
    assert "上一年度整改：3项中已完成2项" in text
    text = read_pdf(client.get(f"/reports/{new}.pdf?lang=en").data)
    assert "Lastyear'srectification:2of3done" in text


# ------------------------------------------------------------------ the API


def api(app, username):
    from tests.helpers import make_token

    client, headers = app.test_client(), {"Authorization": f"Bearer {make_token(app, username)}"}

    def call(method, path, json=None):
        return client.open(f"/api/v1{path}", method=method, json=json, headers=headers)

    return call


def test_the_api_plans_follows_and_closes_actions_with_the_pages_rules(app, world, submitted):
    b1 = api(app, "b1")
    result = b1("GET", f"/selfchecks/{submitted}/result").json
    source = f"priority:{result['suggestions'][0]['id']}"
    body = {"source": source, "problem": " 问题 ", "measure": "措施", "owner_name": "张明", "deadline": "2030-06-30"}
    created = b1("POST", f"/selfchecks/{submitted}/actions", body)
    assert created.status_code == 201
    action = created.json
    assert (action["origin"], action["origin_ref"], action["problem"]) == ("priority", source[9:], "问题")
    assert (action["status"], action["overdue"], action["deadline"]) == ("planned", False, "2030-06-30")
    path = f"/selfchecks/{submitted}/actions/{action['id']}"
    for bad, field in (
        ({**body, "source": "priority:NOPE"}, "source"),
        ({**body, "problem": "   "}, "problem"),
        ({**body, "deadline": 20300630}, "deadline"),
        ({**body, "deadline": "1999-01-01"}, "deadline"),
        ({**body, "owner_name": "x" * 101}, "owner_name"),
    ):
        refused = b1("POST", f"/selfchecks/{submitted}/actions", bad)
        assert refused.status_code == 400, bad
        assert set(refused.json["error"]["fields"]) == {field}
    changed = b1("PATCH", path, {"status": "in_progress", "deadline": "2031-01-31"})
    assert (changed.json["status"], changed.json["deadline"], changed.json["measure"]) == (
        "in_progress",
        "2031-01-31",
        "措施",
    )
    assert b1("PATCH", path, {"status": "done"}).status_code == 400  # closing needs an account
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    assert b1("POST", f"{path}/notes", {"date": tomorrow, "text": "x"}).status_code == 400
    noted = b1("POST", f"{path}/notes", {"date": date.today().isoformat(), "text": "召开支委会"})
    assert noted.status_code == 201
    assert [n["text"] for n in noted.json["notes"]] == ["召开支委会"]
    closed = b1("POST", f"{path}/close", {"account": "已完成"})
    assert (closed.json["status"], closed.json["account"]) == ("done", "已完成")
    assert closed.json["closed_at"] is not None
    listing = b1("GET", f"/selfchecks/{submitted}/actions").json
    assert listing["editable"] is True
    assert [a["id"] for a in listing["actions"]] == [action["id"]]
    # the leader reads, never writes; the trainer does not read; a stranger does not know it
    leader = api(app, "leader")
    assert leader("GET", f"/selfchecks/{submitted}/actions").json["editable"] is False
    assert leader("POST", f"{path}/close", {"account": "x"}).status_code == 403
    assert api(app, "trainer")("GET", f"/selfchecks/{submitted}/actions").status_code == 403
    assert api(app, "xleader")("GET", f"/selfchecks/{submitted}/actions").status_code == 404
    assert b1("GET", f"/selfchecks/{submitted}/actions/999999/close").status_code == 405


def test_the_api_refuses_changes_once_the_cycle_has_closed(app, world):
    last_year = submitted_selfcheck(app, "B1", THIS_YEAR - 1, 2)
    action_id = add_action_in_closed_cycle(app, last_year)
    b1 = api(app, "b1")
    closed = b1("POST", f"/selfchecks/{last_year}/actions/{action_id}/close", {"account": "x"})
    assert closed.status_code == 409
    assert closed.json["error"]["code"] == "cycle_closed"
    assert b1("GET", f"/selfchecks/{last_year}/actions").json["editable"] is False


def test_an_id_past_the_database_integers_is_not_found_whatever_the_method(app, world):
    """GET and POST of …/actions are two rules: a number past the bound was a 405 for one of them."""
    b1 = api(app, "b1")
    for method in ("GET", "POST"):
        for selfcheck_id in (2**31, 452191931884):
            assert b1(method, f"/selfchecks/{selfcheck_id}/actions", {}).status_code == 404, (method, selfcheck_id)
