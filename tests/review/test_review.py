"""The leader's review (审核): approve or return with comments; a returned self-check is a draft
with its answers kept, its comments shown until it is resubmitted; the history is kept; the
overview shows and filters by the review state and the rectification progress."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import select

from app.database import write_transaction
from app.extensions import db
from app.models import Answer, AuditEvent, RectificationAction, Review, SelfCheck
from tests.conftest import THIS_YEAR, login, submitted_selfcheck

EN = {"Accept-Language": "en"}


def add_action(app, selfcheck_id, problem, deadline, status="planned") -> int:
    with app.app_context(), write_transaction():
        action = RectificationAction(
            selfcheck_id=selfcheck_id,
            problem=problem,
            measure="措施",
            owner_name="王芳",
            deadline=deadline,
            status=status,
        )
        db.session.add(action)
        db.session.commit()
        return action.id


def test_return_with_comments_on_items_and_actions_then_resubmit_then_approve(app, client, world):
    selfcheck_id = submitted_selfcheck(app, "B1", THIS_YEAR)
    action_id = add_action(app, selfcheck_id, "到课率偏低", date(THIS_YEAR, 12, 1))
    with app.app_context():
        answers_before = dict(db.session.execute(select(Answer.item_id, Answer.value)).all())
    leader = app.test_client()
    login(leader, "leader")
    page = leader.get(f"/results/{selfcheck_id}", headers=EN).get_data(as_text=True)
    assert 'name="item_L01"' in page
    assert f'name="action_{action_id}"' in page
    assert "Awaiting review" in page
    leader.post(
        f"/results/{selfcheck_id}/review",
        data={
            "decision": "returned",
            "comment": "请补充会议记录。",
            "item_L01": "L01 与会议记录不符，请核实。",
            "item_L02": " ",
            f"action_{action_id}": "期限太晚。",
            "action_999999": "not this self-check's",
        },
    )
    with app.app_context():
        selfcheck = db.session.get(SelfCheck, selfcheck_id)
        assert (selfcheck.status, selfcheck.review_status, selfcheck.score) == ("draft", "returned", None)
        assert dict(db.session.execute(select(Answer.item_id, Answer.value)).all()) == answers_before  # kept
        [returned] = selfcheck.reviews
        assert [(c.item_id, c.action_id, c.text) for c in returned.comments] == [
            ("L01", None, "L01 与会议记录不符，请核实。"),
            (None, action_id, "期限太晚。"),
        ]
    # the branch sees the comments at the top of its home and beside the item, on its page and the review page
    login(client, "b1")
    home = client.get("/selfcheck/").get_data(as_text=True)
    assert "请补充会议记录。" in home
    assert "L01 与会议记录不符，请核实。" in home
    assert "期限太晚。" in home
    for path in (f"/selfcheck/{selfcheck_id}/leadership", f"/selfcheck/{selfcheck_id}/review"):
        html = client.get(path).get_data(as_text=True)
        beside = html.index('class="review-comment"')
        assert "L01 与会议记录不符，请核实。" in html[beside : beside + 200], path
    assert 'class="review-comment"' not in client.get(f"/selfcheck/{selfcheck_id}/collective_study").get_data(
        as_text=True
    )  # only beside the item commented on
    client.post(f"/selfcheck/{selfcheck_id}/autosave", json={"answers": {"L01": "2"}})
    assert client.post(f"/selfcheck/{selfcheck_id}/submit").status_code == 302
    assert "请补充会议记录。" not in client.get("/selfcheck/").get_data(as_text=True)  # answered by resubmitting
    with app.app_context():
        assert db.session.get(SelfCheck, selfcheck_id).review_status == "pending"
    leader.post(f"/results/{selfcheck_id}/review", data={"decision": "approved", "comment": ""})
    with app.app_context():
        selfcheck = db.session.get(SelfCheck, selfcheck_id)
        assert (selfcheck.status, selfcheck.review_status) == ("submitted", "approved")
        assert [r.decision for r in selfcheck.reviews] == ["returned", "approved"]
        actions = [a for (a,) in db.session.execute(select(AuditEvent.action).order_by(AuditEvent.id))]
        assert actions.count("return") == 1
        assert actions.count("approve") == 1
    # the history, on the result page, for the branch too
    result = client.get(f"/results/{selfcheck_id}", headers=EN).get_data(as_text=True)
    history = result[result.index('id="review-history"') :]
    assert re.search(r"Returned for changes.*请补充会议记录。.*L01 与会议记录不符.*Approved", history, re.S)
    assert 'action="/results/' not in result  # the branch has no review form


def test_who_may_review_and_when(app, client, world):
    draft_of_b2 = None
    submitted = submitted_selfcheck(app, "B1", THIS_YEAR)
    login(client, "b2")
    draft_of_b2 = int(client.post("/selfcheck/start").location.split("/")[2])
    for username, status in (("b1", 403), ("trainer", 403), ("xleader", 404), ("gleader", 302), ("admin", 302)):
        user = app.test_client()
        login(user, username)
        assert user.post(f"/results/{submitted}/review", data={"decision": "approved"}).status_code == status
    leader = app.test_client()
    login(leader, "leader")
    assert leader.post(f"/results/{draft_of_b2}/review", data={"decision": "approved"}).status_code == 403  # a draft
    leader.post(f"/results/{submitted}/review", data={"decision": "maybe", "comment": "x"}, headers=EN)
    page = leader.get(f"/results/{submitted}", headers=EN).get_data(as_text=True)
    assert "Choose to approve or to return." in page
    leader.post(f"/results/{submitted}/review", data={"decision": "returned", "comment": ""}, headers=EN)
    page = leader.get(f"/results/{submitted}", headers=EN).get_data(as_text=True)
    assert "a returned self-check needs a comment" in page
    leader.post(f"/results/{submitted}/review", data={"decision": "returned", "comment": "x" * 2001}, headers=EN)
    with app.app_context():
        assert [r.decision for r in db.session.scalars(select(Review))] == ["approved", "approved"]  # gleader, admin
    # a second leader deciding on what was just returned: refused, with a message
    leader.post(f"/results/{submitted}/review", data={"decision": "returned", "comment": "一"})
    other = app.test_client()
    login(other, "admin")
    assert other.post(f"/results/{submitted}/review", data={"decision": "returned", "comment": "二"}).status_code == 403


def test_the_overview_shows_and_filters_the_review_and_the_rectification(app, client, world):
    b1 = submitted_selfcheck(app, "B1", THIS_YEAR)
    b2 = submitted_selfcheck(app, "B2", THIS_YEAR)
    submitted_selfcheck(app, "B3", THIS_YEAR)
    today = date.today()
    add_action(app, b1, "一", today - timedelta(days=1))  # overdue
    add_action(app, b1, "二", today - timedelta(days=1), status="done")  # done late: not overdue
    add_action(app, b1, "三", today)  # due today: not overdue yet
    add_action(app, b2, "四", today + timedelta(days=30), status="done")
    login(client, "leader")
    client.post(f"/results/{b2}/review", data={"decision": "approved"})

    def rows(query=""):
        html = client.get("/overview?" + query, headers=EN).get_data(as_text=True)
        found = re.findall(
            r'<td class="code">([^<]+)</td>.*?<td class="review-cell"[^>]*>([^<]*)</td>'
            r'\s*<td class="rectification"[^>]*>(.*?)</td>',
            html,
            re.S,
        )
        return [(code, review.strip(), re.sub(r"<[^>]+>", "", progress).strip()) for code, review, progress in found]

    assert rows() == [
        ("B1", "Awaiting review", "1 of 3 done · 1 overdue"),
        ("B2", "Approved", "1 of 1 done"),
        ("B3", "Awaiting review", "—"),
    ]
    assert [r[0] for r in rows("review=approved")] == ["B2"]
    assert [r[0] for r in rows("review=pending")] == ["B1", "B3"]
    assert [r[0] for r in rows("rectification=overdue")] == ["B1"]
    assert [r[0] for r in rows("rectification=all_done")] == ["B2"]
    assert [r[0] for r in rows("rectification=no_actions")] == ["B3"]
    assert [r[0] for r in rows("review=pending&rectification=overdue")] == ["B1"]
    client.post(f"/results/{b1}/review", data={"decision": "returned", "comment": "补充"})
    assert [r[:2] for r in rows("review=returned")] == [("B1", "Returned for changes")]


def test_the_api_reads_the_review_and_lets_leaders_decide(app, world):
    from tests.helpers import make_token

    def api(username, method, **kwargs):
        headers = {"Authorization": f"Bearer {make_token(app, username)}", "Accept-Language": "en"}
        return app.test_client().open(
            f"/api/v1/selfchecks/{selfcheck_id}/review", method=method, headers=headers, **kwargs
        )

    selfcheck_id = submitted_selfcheck(app, "B1", THIS_YEAR)
    assert api("b1", "GET").json == {"state": "pending", "reviewable": False, "history": []}
    assert api("b1", "POST", json={"decision": "approved"}).status_code == 403
    assert api("trainer", "POST", json={"decision": "approved"}).status_code == 403
    assert api("xleader", "POST", json={"decision": "approved"}).status_code == 404
    missing = api("leader", "POST", json={"decision": "returned", "comment": " "})
    assert (missing.status_code, list(missing.json["error"]["fields"])) == (400, ["comment"])
    unknown = api("leader", "POST", json={"decision": "returned", "comment": "x", "item_comments": {"ZZ9": "?"}})
    assert (unknown.status_code, list(unknown.json["error"]["fields"])) == (400, ["ZZ9"])
    returned = api(
        "leader", "POST", json={"decision": "returned", "comment": "请核实", "item_comments": {"L01": "偏高"}}
    )
    assert returned.status_code == 200
    assert returned.json["state"] == "returned"
    [decision] = returned.json["history"]
    assert (decision["decision"], decision["comment"], decision["by"]) == ("returned", "请核实", "LEADER")
    assert decision["comments"] == [{"item_id": "L01", "action_id": None, "text": "偏高"}]
    again = api("leader", "POST", json={"decision": "approved"})
    assert (again.status_code, again.json["error"]["code"]) == (409, "not_submitted")
