"""Filling in a self-check through the pages: save, autosave, resume, review, submit."""

import re

import pytest
from sqlalchemy import select

from app.assessment.items import CountItem, ScaleItem
from app.assessment.questionnaire import get_questionnaire
from app.assessment.scoring import score_selfcheck
from app.database import write_transaction
from app.extensions import db
from app.models import Answer, SelfCheck
from tests.conftest import TEXT_ITEM, THIS_YEAR, VERSION, answers_at, login, submitted_selfcheck


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
    scale = next(i for i in pillars[0].items if isinstance(i, ScaleItem))
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
    scale = next(i for i in get_questionnaire(VERSION).pillars[0].items if isinstance(i, ScaleItem))
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
    count = next(i for i in pillar.items if isinstance(i, CountItem))
    scale = next(i for i in pillar.items if isinstance(i, ScaleItem))
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
    assert client.post(f"/selfcheck/{selfcheck_id}/leadership", data={"L01": "1"}).status_code == 403
    # Back after submitting, or an old bookmark: the result, with a word why, not a 403
    for page in ("leadership", "review"):
        response = client.get(f"/selfcheck/{selfcheck_id}/{page}")
        assert response.status_code == 302
        assert response.location.endswith(f"/results/{selfcheck_id}")
        assert "本次自查已不能修改" in client.get(response.location).get_data(as_text=True)
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


def test_leader_returns_with_a_comment(app, client, world):
    selfcheck_id = submitted_selfcheck(app, "B1", THIS_YEAR)
    login(client, "leader")
    response = client.post(f"/results/{selfcheck_id}/review", data={"decision": "returned", "comment": " "})
    with app.app_context():
        assert db.session.get(SelfCheck, selfcheck_id).status == "submitted"  # a comment is required
    response = client.post(f"/results/{selfcheck_id}/review", data={"decision": "returned", "comment": "点评人数填错"})
    assert response.status_code == 302
    with app.app_context():
        selfcheck = db.session.get(SelfCheck, selfcheck_id)
        assert selfcheck.status == "draft"
        assert selfcheck.score is None
        assert selfcheck.review_status == "returned"
        [returned] = selfcheck.reviews
        assert (returned.decision, returned.comment) == ("returned", "点评人数填错")
        assert returned.user.username == "leader"
    assert "点评人数填错" in client.get(f"/results/{selfcheck_id}").get_data(as_text=True)
    # the branch can edit again
    client.post("/logout")
    login(client, "b1")
    assert client.get(f"/selfcheck/{selfcheck_id}/leadership").status_code == 200


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

    with app.app_context(), write_transaction():
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


def test_each_page_load_numbers_its_own_saves(app, client, world):
    """A page whose clock ran ahead, or any page that counted higher, never pins an answer
    against another page's later save: numbers are compared within one page load only."""
    login(client, "b1")
    selfcheck_id, _ = start(client)
    url = f"/selfcheck/{selfcheck_id}/autosave"
    ahead = client.post(url, json={"answers": {"L01": "3"}, "seq": 90_000, "writer": "device-a", "base": {"L01": ""}})
    assert ahead.json["saved"] == ["L01"]
    later = client.post(url, json={"answers": {"L01": "5"}, "seq": 1, "writer": "device-b", "base": {"L01": "3"}})
    assert (later.status_code, later.json["saved"], later.json["stale"]) == (200, ["L01"], [])
    assert stored(app, selfcheck_id)["L01"] == "5"

    # within one page load the numbers do order: a late save is stale, and the page is told
    # what the server holds and how far its counter must move to overwrite it
    client.post(url, json={"answers": {"L03": "4"}, "seq": 7, "writer": "device-b"})
    late = client.post(url, json={"answers": {"L03": "2"}, "seq": 6, "writer": "device-b"}).json
    assert (late["saved"], late["stale"]) == ([], ["L03"])
    assert late["newer"]["L03"]["theirs"] == "4"
    assert late["newer_seq"] == 7
    assert stored(app, selfcheck_id)["L03"] == "4"


def test_a_page_id_or_a_seq_that_is_not_a_count_is_refused(app, client, world):
    login(client, "b1")
    selfcheck_id, _ = start(client)
    url = f"/selfcheck/{selfcheck_id}/autosave"
    for bad in ({"seq": 1_764_000_000_000}, {"seq": 1, "writer": "a b"}, {"seq": 1, "writer": "x" * 41}):
        assert client.post(url, json={"answers": {"L01": "1"}, **bad}).status_code == 400
    assert stored(app, selfcheck_id) == {}


@pytest.mark.parametrize("typed", ["abc", "三次", "3次", "3.5", "1e", "--2"])
def test_an_unreadable_value_never_clears_a_saved_answer(app, client, world, typed):
    """Letters typed (or pasted from a Chinese keyboard) over a saved number: refused, and the
    saved number stays, by autosave and by the form alike."""
    login(client, "b1")
    selfcheck_id, page = start(client)
    client.post(f"/selfcheck/{selfcheck_id}/autosave", json={"answers": {"L02": "3"}})
    response = client.post(f"/selfcheck/{selfcheck_id}/autosave", json={"answers": {"L02": typed}})
    assert (response.status_code, response.json["saved"], list(response.json["errors"])) == (422, [], ["L02"])
    response = client.post(page, data={"L02": typed, "go": "stay"})
    assert response.status_code == 422
    assert f'name="L02" value="{typed}"' in response.get_data(as_text=True)  # what was typed, with the error
    assert stored(app, selfcheck_id)["L02"] == "3"


def test_the_text_limit_counts_characters_as_a_person_does(app, client, world):
    """4,000 characters, whatever their UTF-16 length; a line break posted as CRLF is one."""
    login(client, "b1")
    selfcheck_id, page = start(client)
    url = f"/selfcheck/{selfcheck_id}/autosave"
    wide = "𠀀" * 4000  # 8,000 UTF-16 units
    assert client.post(url, json={"answers": {TEXT_ITEM: wide}}).json["saved"] == [TEXT_ITEM]
    too_long = client.post(url, json={"answers": {TEXT_ITEM: "记" * 4001}})
    assert too_long.json["errors"][TEXT_ITEM] == "内容过长：最多 4000 个字符。"
    lines = "\r\n".join(["学"] * 2000)  # 2,000 characters and 1,999 line breaks
    assert client.post(page, data={TEXT_ITEM: lines, "go": "stay"}).status_code == 302
    assert stored(app, selfcheck_id)[TEXT_ITEM] == '"' + "\\n".join(["学"] * 2000) + '"'
    shown = client.get(page).get_data(as_text=True)
    assert "<span data-count>3999</span> / 4000" in shown
    assert "maxlength" not in shown  # the browser's limit counts UTF-16 units and cuts pasted text silently


def test_flags_show_while_filling_in_and_submitting_asks_to_confirm_them(app, client, world):
    login(client, "b1")
    selfcheck_id, page = start(client)
    url = f"/selfcheck/{selfcheck_id}/autosave"
    answers = answers_at(4)
    assert client.post(url, json={"answers": {k: v for k, v in answers.items() if k != "L02"}}).json["errors"] == {}
    assert "flags" not in client.post(url, json={"answers": {TEXT_ITEM: "记录"}}).json  # no flag looks at it
    flagged = client.post(url, json={"answers": {"L02": "0"}}).json  # L01 = 4 yet no lecture by the secretary
    assert flagged["flags"] == ["F01"]
    html = client.get(page).get_data(as_text=True)
    box = re.search(r'<div class="flag" data-flag="F01"[^>]*>.*?</div>', html, re.S).group(0)
    assert " hidden" not in box.split(">")[0]
    assert "书记讲课的方式选了较高的一档" in box
    assert html.index('id="item-L02"') < html.index('data-flag="F01"') < html.index('id="item-L03"')

    review = client.get(f"/selfcheck/{selfcheck_id}/review").get_data(as_text=True)
    assert "书记讲课的方式选了较高的一档" in review
    assert 'name="confirm_flags" value="F01" required' in review
    refused = client.post(f"/selfcheck/{selfcheck_id}/submit")
    assert refused.location.endswith(f"/selfcheck/{selfcheck_id}/review")
    with app.app_context():
        assert db.session.get(SelfCheck, selfcheck_id).status == "draft"
    done = client.post(f"/selfcheck/{selfcheck_id}/submit", data={"confirm_flags": "F01"})
    assert done.location.endswith(f"/results/{selfcheck_id}")
    with app.app_context():
        assert db.session.get(SelfCheck, selfcheck_id).status == "submitted"


def test_a_returned_selfcheck_says_why_on_every_page_until_resubmitted(app, client, world):
    selfcheck_id = submitted_selfcheck(app, "B1", THIS_YEAR)
    leader = app.test_client()
    login(leader, "leader")
    leader.post(
        f"/results/{selfcheck_id}/review", data={"decision": "returned", "comment": "点评人数填错，请核实 T06。"}
    )
    login(client, "b1")
    pages = ["/selfcheck/", f"/selfcheck/{selfcheck_id}/review"]
    pages += [f"/selfcheck/{selfcheck_id}/{p.id}" for p in get_questionnaire(VERSION).pillars]
    for path in pages:
        html = client.get(path).get_data(as_text=True)
        top = html[: html.index('<nav class="steps"')] if "steps" in html else html
        assert "点评人数填错，请核实 T06。" in top, path
        assert "LEADER" in top, path  # who returned it
    assert client.post(f"/selfcheck/{selfcheck_id}/submit").location.endswith(f"/results/{selfcheck_id}")
    assert "点评人数填错" not in client.get("/selfcheck/").get_data(as_text=True)


def test_continue_leads_to_the_first_unanswered_question(app, client, world):
    login(client, "b1")
    selfcheck_id, _ = start(client)
    answers = answers_at(3)
    texts = [i.id for i in get_questionnaire(VERSION).items.values() if i.optional][:2]
    skipped = {"C04", "C05", *texts}  # two scored questions and two optional texts
    client.post(
        f"/selfcheck/{selfcheck_id}/autosave", json={"answers": {k: v for k, v in answers.items() if k not in skipped}}
    )
    home = client.get("/selfcheck/").get_data(as_text=True)
    assert f'href="/selfcheck/{selfcheck_id}/collective_study#item-C04"' in home
    review = client.get(f"/selfcheck/{selfcheck_id}/review").get_data(as_text=True)
    assert review.count('class="missing"') == 2  # the optional texts are not counted or shown as missing
    assert review.count('class="optional-missing"') == 2
    assert "还有 2 道计分题未作答" in review
    client.post(f"/selfcheck/{selfcheck_id}/autosave", json={"answers": {"C04": "3", "C05": "3"}})
    assert f'href="/selfcheck/{selfcheck_id}/review"' in client.get("/selfcheck/").get_data(as_text=True)
