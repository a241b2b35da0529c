"""Filling in a self-check through the pages: save, autosave, resume, review, submit."""

import re

import pytest
from sqlalchemy import select

from app.assessment.questionnaire import get_questionnaire
from app.assessment.scoring import score_selfcheck
from app.extensions import db
from app.models import Answer, SelfCheck
from tests.conftest import THIS_YEAR, VERSION, answers_at, login, submitted_selfcheck


def start(client):
    response = client.post("/selfcheck/start")
    assert response.status_code == 302
    return int(re.search(r"/selfcheck/(\d+)/", response.location).group(1)), response.location


def pillar_ids(client, selfcheck_id):
    return list(get_questionnaire(VERSION).pillars)


def stored(app, selfcheck_id):
    with app.app_context():
        rows = db.session.execute(
            select(Answer.item_id, Answer.value).where(Answer.selfcheck_id == selfcheck_id, Answer.value != "null")
        )
        return dict(rows.all())


def test_fill_in_save_leave_come_back_submit(app, client, world):
    login(client, "b1")
    selfcheck_id, first_page = start(client)
    answers = answers_at(4)
    pillars = pillar_ids(client, selfcheck_id)
    # first pillar through the form, "save and continue"
    page = {i.id: answers[i.id] for i in pillars[0].items}
    response = client.post(first_page, data={**page, "go": "next"})
    assert response.status_code == 302
    assert response.location.endswith(f"/selfcheck/{selfcheck_id}/{pillars[1].id}")
    # leave: log out, log in again, the answers are still there and shown
    client.post("/logout")
    login(client, "b1")
    home = client.get("/selfcheck/").get_data(as_text=True)
    assert f"/selfcheck/{selfcheck_id}/{pillars[1].id}" in home  # resume where answers are missing
    shown = client.get(first_page).get_data(as_text=True)
    scale = next(i for i in pillars[0].items if i.type == "scale")
    assert f'name="{scale.id}" value="4" checked' in shown
    # the rest by autosave
    rest = {i.id: answers[i.id] for p in pillars[1:] for i in p.items}
    response = client.post(f"/selfcheck/{selfcheck_id}/autosave", json={"answers": rest})
    assert response.status_code == 200
    assert response.json["errors"] == {}
    assert response.json["answered"] == len(answers)
    # review lists everything and offers submission
    review = client.get(f"/selfcheck/{selfcheck_id}/review").get_data(as_text=True)
    assert "/submit" in review
    response = client.post(f"/selfcheck/{selfcheck_id}/submit")
    assert response.location.endswith(f"/results/{selfcheck_id}")
    result = client.get(response.location).get_data(as_text=True)
    questionnaire = get_questionnaire(VERSION)
    expected = score_selfcheck(questionnaire, questionnaire.parse_answers(answers)[0])
    assert f"{expected.score:.1f}" in result
    for suggestion in expected.priorities:
        assert suggestion.rule.text.zh in result  # Chinese: the default when the browser names no language
    with app.app_context():
        selfcheck = db.session.get(SelfCheck, selfcheck_id)
        assert selfcheck.status == "submitted"
        assert selfcheck.score == pytest.approx(expected.score)
        assert selfcheck.level == expected.level.id
        assert {p.pillar: p.score for p in selfcheck.pillar_scores} == pytest.approx(
            {p.pillar.id: p.score for p in expected.pillars}
        )


def test_the_page_shows_what_autosave_just_stored(client, world):
    login(client, "b1")
    selfcheck_id, first_page = start(client)
    scale = next(i for i in get_questionnaire(VERSION).pillars[0].items if i.type == "scale")
    for value in ("2", "5", ""):  # each page after a save shows that save, not an earlier page
        saved = client.post(f"/selfcheck/{selfcheck_id}/autosave", json={"answers": {scale.id: value}})
        assert saved.status_code == 200
        page = client.get(first_page).get_data(as_text=True)
        checked = re.findall(rf'name="{scale.id}" value="(\d)" checked', page)
        assert checked == ([value] if value else [])
        assert f'name="base:{scale.id}" value="{value}"' in page


def test_a_validation_error_loses_no_answer(app, client, world):
    login(client, "b1")
    selfcheck_id, first_page = start(client)
    pillar = pillar_ids(client, selfcheck_id)[0]
    count = next(i for i in pillar.items if i.type == "count")
    scale = next(i for i in pillar.items if i.type == "scale")
    response = client.post(first_page, data={scale.id: "3", count.id: "lots", "go": "next"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="lots"' in page  # what was typed is shown again, with the message
    assert "请输入 0 到" in page  # the message, in the default language (Chinese)
    assert f'name="{scale.id}" value="3" checked' in page
    assert stored(app, selfcheck_id) == {scale.id: "3"}  # the valid answer is saved


def test_a_submit_needs_every_answer(app, client, world):
    login(client, "b1")
    selfcheck_id, _ = start(client)
    client.post(f"/selfcheck/{selfcheck_id}/autosave", json={"answers": {"L01": "5"}})
    response = client.post(f"/selfcheck/{selfcheck_id}/submit")
    assert response.location.endswith(f"/selfcheck/{selfcheck_id}/review")
    with app.app_context():
        assert db.session.get(SelfCheck, selfcheck_id).status == "draft"


def test_autosave_reports_bad_values_and_keeps_good_ones(app, client, world):
    login(client, "b1")
    selfcheck_id, _ = start(client)
    response = client.post(
        f"/selfcheck/{selfcheck_id}/autosave", json={"answers": {"L01": "9", "L03": "2", "NOPE": "1"}}
    )
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"L01", "NOPE"}
    assert response.json["saved"] == ["L03"]
    assert stored(app, selfcheck_id) == {"L03": "2"}
    # clearing an answer removes it
    client.post(f"/selfcheck/{selfcheck_id}/autosave", json={"answers": {"L03": ""}})
    assert stored(app, selfcheck_id) == {}


def test_autosave_rejects_garbage(client, world):
    login(client, "b1")
    selfcheck_id, _ = start(client)
    for body in (None, [], {"answers": []}, {"answers": {}}):
        response = client.post(f"/selfcheck/{selfcheck_id}/autosave", json=body)
        assert response.status_code == 400
        assert "message" in response.json


def test_autosave_after_the_session_ended_says_log_in(client, world):
    login(client, "b1")
    selfcheck_id, _ = start(client)
    client.post("/logout")
    response = client.post(f"/selfcheck/{selfcheck_id}/autosave", json={"answers": {"L01": "3"}})
    assert response.status_code == 401
    assert response.json["error"] == "login"


def test_a_submitted_selfcheck_is_read_only(app, client, world):
    selfcheck_id = submitted_selfcheck(app, "B1", THIS_YEAR)
    login(client, "b1")
    assert client.get(f"/selfcheck/{selfcheck_id}/leadership").status_code == 403
    response = client.post(f"/selfcheck/{selfcheck_id}/autosave", json={"answers": {"L01": "1"}})
    assert response.status_code == 409
    assert stored(app, selfcheck_id)["L01"] == "3"
    # a second click on submit just shows the result
    response = client.post(f"/selfcheck/{selfcheck_id}/submit")
    assert response.location.endswith(f"/results/{selfcheck_id}")


def test_home_shows_last_years_result(app, client, world):
    submitted_selfcheck(app, "B1", THIS_YEAR - 1, level=5)
    login(client, "b1")
    page = client.get("/selfcheck/").get_data(as_text=True)
    assert "100.0" in page
    assert "开始自查" in page


def test_leader_reopens_with_a_reason(app, client, world):
    selfcheck_id = submitted_selfcheck(app, "B1", THIS_YEAR)
    login(client, "leader")
    response = client.post(f"/results/{selfcheck_id}/reopen", data={"reason": ""})
    with app.app_context():
        assert db.session.get(SelfCheck, selfcheck_id).status == "submitted"  # a reason is required
    response = client.post(f"/results/{selfcheck_id}/reopen", data={"reason": "点评人数填错"})
    assert response.status_code == 302
    with app.app_context():
        selfcheck = db.session.get(SelfCheck, selfcheck_id)
        assert selfcheck.status == "draft"
        assert selfcheck.score is None
        [reopening] = selfcheck.reopenings
        assert reopening.reason == "点评人数填错"
        assert reopening.user.username == "leader"
    assert "点评人数填错" in client.get(f"/results/{selfcheck_id}").get_data(as_text=True)
    # the branch can edit again
    client.post("/logout")
    login(client, "b1")
    assert client.get(f"/selfcheck/{selfcheck_id}/leadership").status_code == 200


def test_leader_overview_shows_every_branch_state(app, client, world):
    submitted_selfcheck(app, "B1", THIS_YEAR, level=5)
    login(client, "b2")
    start(client)
    client.post("/logout")
    login(client, "leader")
    page = client.get("/overview").get_data(as_text=True)
    rows = re.findall(r"<tr>\s*<td>(\w+)</td>.*?<span class=\"status (\w+)\"", page, re.S)
    assert rows == [("B3", "not_started"), ("B1", "submitted"), ("B2", "draft")] or sorted(rows) == [
        ("B1", "submitted"),
        ("B2", "draft"),
        ("B3", "not_started"),
    ]
    assert "X1 党组织" not in page  # its name: a bare code can occur inside a random CSRF token
    assert "100.0" in page


def test_a_late_save_with_an_older_number_never_overwrites_a_newer_one(app, client, world):
    login(client, "b1")
    selfcheck_id, _ = start(client)
    url = f"/selfcheck/{selfcheck_id}/autosave"
    assert client.post(url, json={"answers": {"L01": "4"}, "seq": 200}).json["saved"] == ["L01"]
    late = client.post(url, json={"answers": {"L01": "2", "L03": "3"}, "seq": 100}).json
    assert late["stale"] == ["L01"]
    assert late["saved"] == ["L03"]
    assert stored(app, selfcheck_id) == {"L01": "4", "L03": "3"}
    # clearing is ordered too: an older value cannot come back after it
    client.post(url, json={"answers": {"L03": ""}, "seq": 300})
    assert client.post(url, json={"answers": {"L03": "5"}, "seq": 250}).json["stale"] == ["L03"]
    assert stored(app, selfcheck_id) == {"L01": "4"}
    for bad in (-1, "7", True, 2**63):
        assert client.post(url, json={"answers": {"L01": "1"}, "seq": bad}).status_code == 400


@pytest.fixture
def two_writers(app, world):
    """b1 and a colleague of the same branch, each with their own client, on one draft."""
    from tests.conftest import make_user

    with app.app_context():
        from app.models import Organisation

        make_user("b1bis", "branch", db.session.get(Organisation, world.orgs["B1"]))
        db.session.commit()
    first, second = app.test_client(), app.test_client()
    login(first, "b1")
    login(second, "b1bis")
    selfcheck_id, _ = start(first)
    return first, second, selfcheck_id


def test_two_people_editing_one_draft_get_a_conflict_not_an_overwrite(app, two_writers):
    first, second, selfcheck_id = two_writers
    url = f"/selfcheck/{selfcheck_id}/autosave"
    # both opened the page when L01 had no answer; the colleague saves first
    assert second.post(url, json={"answers": {"L01": "4"}, "base": {"L01": ""}}).status_code == 200
    late = first.post(url, json={"answers": {"L01": "2", "L03": "3"}, "base": {"L01": "", "L03": ""}})
    assert late.status_code == 409
    assert late.json["error"] == "conflict"
    assert late.json["saved"] == ["L03"]
    assert late.json["conflicts"]["L01"]["theirs"] == "4"
    assert late.json["conflicts"]["L01"]["by"] == "B1BIS"
    assert stored(app, selfcheck_id)["L01"] == "4"  # nothing silently overwritten
    # having seen their version, the first writer keeps theirs... or, here, insists on their own
    again = first.post(url, json={"answers": {"L01": "2"}, "base": {"L01": "4"}})
    assert again.status_code == 200
    assert stored(app, selfcheck_id)["L01"] == "2"
    # writing what is already there is no conflict
    assert second.post(url, json={"answers": {"L01": "2"}, "base": {"L01": "4"}}).status_code == 200


def test_a_form_post_over_a_newer_answer_shows_both_versions(app, two_writers):
    first, second, selfcheck_id = two_writers
    page = f"/selfcheck/{selfcheck_id}/leadership"
    assert 'name="base:L01" value=""' in first.get(page).get_data(as_text=True)
    second.post(f"/selfcheck/{selfcheck_id}/autosave", json={"answers": {"L01": "5"}, "base": {"L01": ""}})
    response = first.post(page, data={"L01": "1", "base:L01": "", "go": "next"})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert 'name="L01" value="1" checked' in html  # mine, still in the field
    assert 'data-value="5"' in html  # theirs, offered beside it
    assert 'name="base:L01" value="5"' in html  # so that saving again keeps mine
    assert stored(app, selfcheck_id)["L01"] == "5"
    response = first.post(page, data={"L01": "1", "base:L01": "5", "go": "next"})
    assert response.status_code == 302
    assert stored(app, selfcheck_id)["L01"] == "1"
