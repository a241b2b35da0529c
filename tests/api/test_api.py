"""The JSON API: tokens, the whole fill-in flow, ordered saves, errors, languages and access."""

import hashlib
import re
from datetime import timedelta

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import select, text, update

from app.assessment.items import CountItem, ScaleItem
from app.assessment.questionnaire import get_questionnaire
from app.assessment.scoring import score_selfcheck
from app.database import write_transaction
from app.extensions import db
from app.models import Answer, ApiToken, AuditEvent, Cycle, Organisation, User, utcnow
from app.selfcheck import service
from tests.conftest import PASSWORD, THIS_YEAR, VERSION, answers_at, login, submitted_selfcheck
from tests.helpers import Api, make_token
from tests.test_access import READS

TOKEN = re.compile(r"sck_[0-9a-f]{12}_[A-Za-z0-9_-]{43}")


@pytest.fixture
def api_as(app, client):
    def make(username, lang="en"):
        return Api(client, make_token(app, username), lang)

    return make


def stored(app, selfcheck_id):
    with app.app_context():
        rows = db.session.execute(
            select(Answer.item_id, Answer.value).where(Answer.selfcheck_id == selfcheck_id, Answer.value != "null")
        )
        return dict(rows.all())


def assert_error(response, status, code, fields=None):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.json
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    if fields is not None:
        assert set(body["error"]["fields"]) == set(fields)
    assert "Traceback" not in response.get_data(as_text=True)
    return body


# ---------------------------------------------------------------- the whole flow


def test_token_questionnaire_start_save_submit_result_pdf(app, client, world):
    last_year = submitted_selfcheck(app, "B1", THIS_YEAR - 1, level=2)
    api = Api(client, make_token(app, "b1"))
    questionnaire = get_questionnaire(VERSION)

    assert api.get("/me").json["organisation"]["code"] == "B1"
    cycles = api.get("/cycles").json["cycles"]
    assert [c["year"] for c in cycles] == [THIS_YEAR, THIS_YEAR - 1]
    assert [c["open"] for c in cycles] == [True, False]

    definition = api.get(f"/cycles/{THIS_YEAR}/questionnaire").json
    assert definition["version"] == VERSION
    items = [i for p in definition["pillars"] for i in p["items"]]
    assert [i["id"] for i in items] == list(questionnaire.items)
    first = questionnaire.items[items[0]["id"]]
    assert items[0]["text"] == {"zh": first.text.zh, "en": first.text.en}
    assert items[0]["ref"] == {
        "source": first.ref.source,
        "passage": first.ref.passage,
        "quote": {"zh": first.ref.quote.zh, "en": first.ref.quote.en},
    }
    assert {lv["id"] for lv in definition["levels"]} == {lv.id for lv in questionnaire.levels}
    assert set(definition["sources"]) == set(questionnaire.sources)
    for item in items:  # each type's own fields beside the common ones
        own = questionnaire.items[item["id"]].fields()
        assert set(own) <= set(item)
        assert item["type"] == questionnaire.items[item["id"]].type
    count = next(i for i in items if isinstance(questionnaire.items[i["id"]], CountItem))
    assert count["thresholds"] == list(questionnaire.items[count["id"]].thresholds)
    assert count["unit"]["zh"] == questionnaire.items[count["id"]].unit.zh
    assert all(len(i["levels"]) == 5 for i in items if isinstance(questionnaire.items[i["id"]], ScaleItem))

    started = api.post("/selfchecks", json={"year": THIS_YEAR})
    assert started.status_code == 201
    selfcheck_id = started.json["id"]
    assert started.headers["Location"].endswith(f"/api/v1/selfchecks/{selfcheck_id}")
    again = api.post("/selfchecks", json={"year": THIS_YEAR})
    assert (again.status_code, again.json["id"]) == (200, selfcheck_id)
    assert (again.json["status"], again.json["editable"], again.json["answers"]) == ("draft", True, {})

    answers = answers_at(4)
    scale = next(i.id for i in questionnaire.items.values() if isinstance(i, ScaleItem))
    last = [i.id for i in questionnaire.items.values() if i.scored][-1]
    first_batch = {k: v for k, v in answers.items() if k != last}
    saved = api.patch(f"/selfchecks/{selfcheck_id}/answers", json={"answers": first_batch, "seq": 10})
    assert saved.status_code == 200
    assert (saved.json["saved"], saved.json["stale"]) == (sorted(first_batch), [])
    assert saved.json["answered"] == len(first_batch)

    # a save that arrives late, with an older number, is reported and does not overwrite
    late = api.patch(f"/selfchecks/{selfcheck_id}/answers", json={"answers": {scale: 1}, "seq": 5})
    assert late.status_code == 200
    assert (late.json["saved"], late.json["stale"]) == ([], [scale])
    assert stored(app, selfcheck_id)[scale] == "4"
    assert api.get(f"/selfchecks/{selfcheck_id}").json["answers"][scale] == 4

    incomplete = api.post(f"/selfchecks/{selfcheck_id}/submit")
    assert_error(incomplete, 422, "incomplete", fields=[last])

    rest = api.post(f"/selfchecks/{selfcheck_id}/answers", json={"answers": {last: answers[last]}, "seq": 11})
    assert rest.json["saved"] == [last]
    submitted = api.post(f"/selfchecks/{selfcheck_id}/submit")
    assert submitted.status_code == 200
    expected = score_selfcheck(questionnaire, questionnaire.parse_answers(answers)[0])
    result = api.get(f"/selfchecks/{selfcheck_id}/result").json
    assert result == submitted.json
    assert result["score"] == pytest.approx(expected.score)
    assert result["level"]["id"] == expected.level.id
    assert (result["complete"], result["provisional"], result["missing"]) == (True, False, [])
    assert [p["score"] for p in result["pillars"]] == pytest.approx([p.score for p in expected.pillars])
    assert sorted(s["id"] for s in result["suggestions"]) == sorted(s.rule.id for s in expected.suggestions)
    priorities = [s for s in result["suggestions"] if s["priority"]]
    assert [s["id"] for s in priorities] == [s.rule.id for s in expected.priorities]
    assert all(s["lead"] in definition["leads"] and s["timeframe"]["zh"] for s in priorities)
    assert [f["id"] for f in result["flags"]] == [f.id for f in expected.flags]
    change = result["change_since_last_year"]
    assert (change["year"], change["selfcheck_id"]) == (THIS_YEAR - 1, last_year)
    assert change["overall"] > 0  # level 4 this year, level 2 last year
    assert result["peer_position"] is None  # the only submitted branch of its committee this year

    listed = api.get(f"/selfchecks?year={THIS_YEAR}").json["selfchecks"]
    assert [(s["id"], s["status"], s["level"]) for s in listed] == [(selfcheck_id, "submitted", expected.level.id)]

    pdf = api.get(f"/selfchecks/{selfcheck_id}/report.pdf?lang=en")
    assert (pdf.status_code, pdf.mimetype) == (200, "application/pdf")
    assert pdf.data.startswith(b"%PDF")
    assert "attachment" in pdf.headers["Content-Disposition"]
    with app.app_context():
        downloads = db.session.scalars(select(AuditEvent.target).where(AuditEvent.action == "report_download")).all()
        assert downloads == [f"diagnostic-report_B1_{THIS_YEAR}_en.pdf"]

    assert_error(api.post(f"/selfchecks/{selfcheck_id}/submit"), 409, "already_submitted")
    assert_error(
        api.patch(f"/selfchecks/{selfcheck_id}/answers", json={"answers": {scale: 2}}), 409, "already_submitted"
    )


def test_a_token_numbers_its_own_saves_whatever_a_page_numbered(app, client, world):
    """The README's session after a page autosave: the client's saves 1, 2, 3 are its own
    order, never compared with the page's numbers (they all came back stale)."""
    api = Api(app.test_client(), make_token(app, "b1"))
    selfcheck_id = api.post("/selfchecks", json={"year": THIS_YEAR}).json["id"]
    login(client, "b1")
    autosave = f"/selfcheck/{selfcheck_id}/autosave"
    page = client.post(autosave, json={"answers": {"L01": "5", "L02": "1"}, "seq": 40, "writer": "page-a"})
    assert page.json["saved"] == ["L01", "L02"]

    second = api.patch(f"/selfchecks/{selfcheck_id}/answers", json={"answers": {"L01": 4, "L02": 3}, "seq": 2})
    assert (second.json["saved"], second.json["stale"]) == (["L01", "L02"], [])
    first = api.patch(f"/selfchecks/{selfcheck_id}/answers", json={"answers": {"L01": 1}, "seq": 1})  # arrives late
    assert (first.json["saved"], first.json["stale"]) == ([], ["L01"])
    third = api.patch(f"/selfchecks/{selfcheck_id}/answers", json={"answers": {"L03": 2}, "seq": 3})
    assert third.json["saved"] == ["L03"]
    assert stored(app, selfcheck_id) == {"L01": "4", "L02": "3", "L03": "2"}

    # another token of the same user is another writer, with numbers of its own
    other = Api(app.test_client(), make_token(app, "b1", name="second system"))
    assert other.patch(f"/selfchecks/{selfcheck_id}/answers", json={"answers": {"L03": 5}, "seq": 1}).json["saved"]

    # between writers the base decides: the page saw L02 = 1, the token has written 3 since
    again = client.post(autosave, json={"answers": {"L02": "2"}, "seq": 41, "writer": "page-a", "base": {"L02": "1"}})
    assert again.status_code == 409
    assert again.json["conflicts"]["L02"]["theirs"] == "3"
    assert stored(app, selfcheck_id)["L02"] == "3"


def test_a_seq_from_the_future_is_refused(app, world, api_as):
    """A seq counts saves: a clock reading (the pages sent Date.now()) would pin the writer's answers."""
    api = api_as("b1")
    selfcheck_id = api.post("/selfchecks", json={"year": THIS_YEAR}).json["id"]
    for seq in (service.MAX_SEQ + 1, 1_764_000_000_000, -1, "3", True):
        response = api.patch(f"/selfchecks/{selfcheck_id}/answers", json={"answers": {"L01": 2}, "seq": seq})
        assert_error(response, 400, "bad_request", fields=["seq"])
    assert stored(app, selfcheck_id) == {}
    assert api.patch(f"/selfchecks/{selfcheck_id}/answers", json={"answers": {"L01": 2}, "seq": service.MAX_SEQ}).json[
        "saved"
    ] == ["L01"]


def test_invalid_answers_are_reported_by_field_and_the_valid_ones_saved(app, world, api_as):
    api = api_as("b1")
    selfcheck_id = api.post("/selfchecks", json={"year": THIS_YEAR}).json["id"]
    response = api.patch(
        f"/selfchecks/{selfcheck_id}/answers",
        json={"answers": {"L01": 9, "L02": 3, "NOPE": 1, "L03": {"a": 1}, "L04": ""}, "seq": 1},
    )
    body = assert_error(response, 422, "invalid_answers", fields=["L01", "NOPE", "L03"])
    assert body["error"]["fields"]["L01"] == "Enter a whole number from 1 to 5."
    assert (body["saved"], body["answered"]) == (["L02", "L04"], 1)
    assert stored(app, selfcheck_id) == {"L02": "3"}


def test_an_answer_changed_meanwhile_is_not_overwritten_when_the_client_sends_what_it_saw(app, client, world):
    token = make_token(app, "b1")
    first, second = Api(client, token), Api(app.test_client(), token)
    selfcheck_id = first.post("/selfchecks", json={"year": THIS_YEAR}).json["id"]
    assert first.patch(f"/selfchecks/{selfcheck_id}/answers", json={"answers": {"L01": 2}}).json["saved"] == ["L01"]
    # the second client still shows L01 empty, and saves two answers over what it saw
    response = second.patch(
        f"/selfchecks/{selfcheck_id}/answers", json={"answers": {"L01": 4, "L03": 5}, "base": {"L01": "", "L03": ""}}
    )
    body = assert_error(response, 409, "conflict", fields=["L01"])
    assert body["conflicts"]["L01"]["theirs"] == 2
    assert body["conflicts"]["L01"]["by"] == "B1"
    assert body["saved"] == ["L03"]
    assert stored(app, selfcheck_id) == {"L01": "2", "L03": "5"}
    bad = second.patch(f"/selfchecks/{selfcheck_id}/answers", json={"answers": {"L01": 4}, "base": ["L01"]})
    assert_error(bad, 400, "bad_request", fields=["base"])


def test_numbers_no_float_holds_are_refused_with_the_questions_own_message(app, world, api_as):
    api = api_as("b1")
    selfcheck_id = api.post("/selfchecks", json={"year": THIS_YEAR}).json["id"]
    response = api.patch(
        f"/selfchecks/{selfcheck_id}/answers",
        data='{"answers": {"C02": 1%s, "L01": 1e400, "L02": NaN}}' % ("0" * 400),
        content_type="application/json",
    )
    body = assert_error(response, 422, "invalid_answers", fields=["C02", "L01", "L02"])
    assert body["error"]["fields"]["C02"] == "Enter two whole numbers, the first not larger than the second."
    assert stored(app, selfcheck_id) == {}


def test_starting_and_saving_need_an_open_cycle(app, world, api_as):
    api = api_as("b1")
    assert_error(api.post("/selfchecks", json={"year": THIS_YEAR - 1}), 409, "cycle_closed")
    assert_error(api.post("/selfchecks", json={"year": 1999}), 404, "not_found")
    with app.app_context():  # a draft left in last year's cycle, now closed
        org = db.session.scalar(select(Organisation).where(Organisation.code == "B1"))
        cycle = db.session.scalar(select(Cycle).where(Cycle.year == THIS_YEAR - 1))
        old_id = service.start_selfcheck(org, cycle).id
    assert api.post("/selfchecks", json={"year": THIS_YEAR - 1}).json["id"] == old_id  # found, not created
    assert_error(api.patch(f"/selfchecks/{old_id}/answers", json={"answers": {"L01": 2}}), 409, "cycle_closed")
    assert_error(api.post(f"/selfchecks/{old_id}/submit"), 409, "cycle_closed")


# ---------------------------------------------------------------- errors and languages


@pytest.fixture
def draft(app, world, api_as):
    """This year's draft of B1, started through the API."""
    return api_as("b1").post("/selfchecks", json={"year": THIS_YEAR}).json["id"]


def error_cases(app, draft):
    """(user, method, path, kwargs, status, code, English message id)."""
    done = submitted_selfcheck(app, "B2", THIS_YEAR)
    return [
        ("b1", "get", "/selfchecks?year=soon", {}, 400, "bad_request", "The request could not be read."),
        (
            "b1",
            "patch",
            f"/selfchecks/{draft}/answers",
            {"data": "{not json", "content_type": "application/json"},
            400,
            "bad_request",
            "The body must be a JSON object.",
        ),
        (
            None,
            "get",
            "/cycles",
            {},
            401,
            "authentication_required",
            "Send a personal API token: Authorization: Bearer <token>.",
        ),
        (
            "leader",
            "patch",
            f"/selfchecks/{draft}/answers",
            {"json": {"answers": {"L01": 2}}},
            403,
            "forbidden",
            "You may not do this.",
        ),
        ("b2", "get", f"/selfchecks/{draft}", {}, 404, "not_found", "Not found, or not visible to you."),
        ("b1", "get", "/no/such/thing", {}, 404, "not_found", "Not found, or not visible to you."),
        ("b1", "delete", f"/selfchecks/{draft}", {}, 405, "method_not_allowed", "This method is not allowed here."),
        (
            "b2",
            "patch",
            f"/selfchecks/{done}/answers",
            {"json": {"answers": {"L01": 2}}},
            409,
            "already_submitted",
            "This self-check can no longer be changed.",
        ),
        (
            "b1",
            "patch",
            f"/selfchecks/{draft}/answers",
            {"json": {"answers": {"L06": "maybe"}}},
            422,
            "invalid_answers",
            "Some answers need correcting; the others are saved.",
        ),
        ("b1", "post", f"/selfchecks/{draft}/submit", {}, 422, "incomplete", None),
    ]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_error_has_one_shape_and_speaks_the_users_language(app, client, draft, lang):
    tokens = {}
    for user, method, path, kwargs, status, code, message_id in error_cases(app, draft):
        if user and user not in tokens:
            tokens[user] = make_token(app, user)
        api = Api(client, tokens.get(user), lang)
        body = assert_error(getattr(api, method)(path, **kwargs), status, code)
        message = body["error"]["message"]
        if message_id is None:  # a message with a number in it
            missing = len(body["error"]["fields"])
            message_id = "Answer every question before submitting: %(n)d are missing."
            with app.test_request_context(), force_locale(lang):
                assert message == gettext(message_id, n=missing)
            continue
        with app.test_request_context(), force_locale(lang):
            assert message == gettext(message_id), (path, lang)
        if lang == "en":
            assert message == message_id


def test_messages_already_in_the_catalog_come_in_chinese(app, client, draft):
    """The new API messages are translated when the catalogs are updated (test_i18n checks they all are)."""
    api = Api(client, make_token(app, "b1"), "zh")
    invalid = api.patch(f"/selfchecks/{draft}/answers", json={"answers": {"L06": "maybe"}}).json["error"]
    assert invalid["message"] == "部分答案需要更正；其余答案已保存。"
    assert invalid["fields"]["L06"] == "请选择“是”或“否”。"
    incomplete = api.post(f"/selfchecks/{draft}/submit").json["error"]
    assert incomplete["message"].startswith("提交前请回答全部题目")


def test_the_users_saved_language_comes_before_the_browsers(app, client, draft):
    with app.app_context(), write_transaction():
        db.session.execute(update(User).where(User.username == "b1").values(locale="zh"))
        db.session.commit()
    api = Api(client, make_token(app, "b1"), lang="en")
    error = api.patch(f"/selfchecks/{draft}/answers", json={"answers": {"L06": "maybe"}}).json["error"]
    assert error["fields"]["L06"] == "请选择“是”或“否”。"


def test_an_unexpected_failure_is_a_json_500_without_a_traceback(app, world, api_as, monkeypatch):
    import app.api.routes as routes

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(routes, "report_for", broken)
    api = api_as("b1")
    selfcheck_id = api.post("/selfchecks", json={"year": THIS_YEAR}).json["id"]
    response = api.get(f"/selfchecks/{selfcheck_id}/report.pdf")
    assert_error(response, 500, "internal_error")
    assert "secret internals" not in response.get_data(as_text=True)


def test_report_language_must_be_known(app, draft, api_as):
    response = api_as("b1").get(f"/selfchecks/{draft}/report.pdf?lang=fr")
    assert_error(response, 400, "bad_request", fields=["lang"])


# ---------------------------------------------------------------- tokens


def test_a_session_cookie_is_not_enough(client, world):
    login(client, "b1")
    assert client.get("/selfcheck/").status_code == 200
    assert_error(client.get("/api/v1/cycles"), 401, "authentication_required")


@pytest.mark.parametrize(
    "header",
    ["Basic YjE6c2VjcmV0", "Bearer", "Bearer not-a-token", "Bearer sck_000000000000_" + "A" * 43],
)
def test_malformed_or_unknown_tokens_are_refused(client, world, header):
    response = client.get("/api/v1/cycles", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json["error"]["code"] in ("authentication_required", "invalid_token")


def test_a_token_with_the_right_prefix_and_a_wrong_secret_is_refused(app, client, world):
    token = make_token(app, "b1")
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert_error(Api(client, forged).get("/cycles"), 401, "invalid_token")


def test_revoked_and_expired_tokens_stop_working(app, client, world):
    revoked, expiring = make_token(app, "b1"), make_token(app, "b1", days=1)
    assert Api(client, revoked).get("/cycles").status_code == 200
    assert Api(client, expiring).get("/cycles").status_code == 200
    with app.app_context(), write_transaction():
        db.session.execute(update(ApiToken).where(ApiToken.prefix == revoked.split("_")[1]).values(revoked_at=utcnow()))
        db.session.execute(
            update(ApiToken)
            .where(ApiToken.prefix == expiring.split("_")[1])
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
    assert_error(Api(client, revoked).get("/cycles"), 401, "token_revoked")
    assert_error(Api(client, expiring).get("/cycles"), 401, "token_expired")


def test_the_token_page_shows_a_new_token_once_and_revokes(app, client, world):
    login(client, "b1")
    assert "/account/tokens" in client.get("/selfcheck/").get_data(as_text=True)  # the nav link
    page = client.post("/account/tokens", data={"name": "Membership records", "days": "30"})
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    shown = TOKEN.findall(page.get_data(as_text=True))
    assert len(set(shown)) == 1
    token = shown[0]
    assert Api(app.test_client(), token).get("/me").json["username"] == "b1"

    later = client.get("/account/tokens").get_data(as_text=True)
    assert TOKEN.search(later) is None
    assert "Membership records" in later
    assert f"sck_{token.split('_')[1]}_" in later

    with app.app_context():
        record = db.session.scalar(select(ApiToken).where(ApiToken.prefix == token.split("_")[1]))
        token_id = record.id
        assert record.expires_at - record.created_at == timedelta(days=30)
        assert record.last_used_at is not None
    assert client.post(f"/account/tokens/{token_id}/revoke").status_code == 302
    assert_error(Api(app.test_client(), token).get("/me"), 401, "token_revoked")
    assert "Revoked" in client.get("/account/tokens", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_the_token_page_checks_its_input_and_owner(app, client, world):
    other = make_token(app, "b2")
    login(client, "b1")
    refused = client.post("/account/tokens", data={"name": "", "days": "0"})
    assert refused.status_code == 422
    assert TOKEN.search(refused.get_data(as_text=True)) is None
    with app.app_context():
        other_id = db.session.scalar(select(ApiToken.id).where(ApiToken.prefix == other.split("_")[1]))
    assert client.post(f"/account/tokens/{other_id}/revoke").status_code == 404
    assert Api(app.test_client(), other).get("/me").status_code == 200
    client.post("/logout")
    assert client.get("/account/tokens").status_code == 302  # to the log-in page


def test_tokens_are_stored_only_as_hashes(app, client, runner, world):
    from_cli = runner.invoke(args=["create-token", "--user", "leader", "--days", "7", "--name", "training platform"])
    assert from_cli.exit_code == 0, from_cli.output
    cli_token = TOKEN.search(from_cli.stdout).group(0)
    login(client, "b1")
    page_token = TOKEN.search(client.post("/account/tokens", data={"name": "x"}).get_data(as_text=True)).group(0)
    for token in (cli_token, page_token):
        assert Api(app.test_client(), token).get("/me").status_code == 200
    with app.app_context():
        dump = " ".join(str(v) for row in db.session.execute(text("SELECT * FROM api_token")) for v in row)
        hashes = set(db.session.scalars(select(ApiToken.token_hash)))
    for token in (cli_token, page_token):
        assert token.split("_", 2)[2] not in dump
        assert hashlib.sha256(token.encode()).hexdigest() in hashes


def test_create_token_needs_a_known_user(runner, world):
    result = runner.invoke(args=["create-token", "--user", "nobody"])
    assert result.exit_code != 0
    assert "No user nobody" in result.output


# ---------------------------------------------------------------- access, as on the pages


@pytest.fixture
def selfchecks(app, world):
    return {code: submitted_selfcheck(app, code, THIS_YEAR - 1) for code in ("B1", "B2", "B3", "X1")}


@pytest.mark.parametrize("username", sorted(READS))
def test_the_api_shows_what_the_pages_show(app, client, selfchecks, username):
    api = Api(client, make_token(app, username))
    for code, selfcheck_id in selfchecks.items():
        expected = 200 if code in READS[username] else 404
        assert api.get(f"/selfchecks/{selfcheck_id}").status_code == expected, (username, code)
        assert api.get(f"/selfchecks/{selfcheck_id}/result").status_code == expected, (username, code)
    listed = {s["organisation"]["code"] for s in api.get("/selfchecks").json["selfchecks"]}
    assert listed == READS[username]
    branches = {o["code"] for o in api.get("/organisations?kind=branch").json["organisations"]}
    assert branches == READS[username]


@pytest.mark.parametrize("username", sorted(READS))
def test_only_the_own_branch_writes_through_the_api(app, client, world, username):
    selfcheck_id = Api(client, make_token(app, "b1")).post("/selfchecks", json={"year": THIS_YEAR}).json["id"]
    api = Api(client, make_token(app, username))
    save = api.patch(f"/selfchecks/{selfcheck_id}/answers", json={"answers": {"L01": 2}}).status_code
    submit = api.post(f"/selfchecks/{selfcheck_id}/submit").status_code
    if username == "b1":
        assert (save, submit) == (200, 422)
    elif "B1" in READS[username]:
        assert (save, submit) == (403, 403)  # may read, never write
    else:
        assert (save, submit) == (404, 404)  # may not even know it exists
    if username not in ("b1", "b2", "x1"):
        assert api.post("/selfchecks", json={"year": THIS_YEAR}).status_code == 403  # only branches start


def test_lists_filter_by_year_and_subtree(app, client, selfchecks):
    this_year = submitted_selfcheck(app, "B3", THIS_YEAR)
    api = Api(client, make_token(app, "leader"))
    codes = [s["organisation"]["code"] for s in api.get("/selfchecks?org=G1").json["selfchecks"]]
    assert codes == ["B1", "B2"]
    assert [s["id"] for s in api.get(f"/selfchecks?year={THIS_YEAR}").json["selfchecks"]] == [this_year]
    assert [s["year"] for s in api.get(f"/selfchecks?org=C1&year={THIS_YEAR - 1}").json["selfchecks"]] == [
        THIS_YEAR - 1
    ] * 3
    assert_error(api.get("/selfchecks?org=X1"), 404, "not_found")  # another committee's branch
    assert_error(api.get("/selfchecks?org=NOPE"), 404, "not_found")
    orgs = api.get("/organisations?root=G1").json["organisations"]
    assert [(o["code"], o["parent"]) for o in orgs] == [("G1", "C1"), ("B1", "G1"), ("B2", "G1")]
    trainer = Api(client, make_token(app, "trainer"))
    assert {o["code"] for o in trainer.get("/organisations").json["organisations"]} == {"G1", "B1", "B2"}
    assert_error(trainer.get("/organisations?root=C1"), 404, "not_found")
    xleader = Api(client, make_token(app, "xleader"))
    assert [s["organisation"]["code"] for s in xleader.get("/selfchecks").json["selfchecks"]] == ["X1"]
    assert [o["code"] for o in Api(client, make_token(app, "b1")).get("/organisations").json["organisations"]] == ["B1"]


def test_openapi_document_is_public_and_names_every_route(app, client):
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.1")
    rules = {
        re.sub(r"<(?:int:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.")
    }
    assert rules == set(document["paths"])
    for path, operations in document["paths"].items():
        for method, op in operations.items():
            if path != "/openapi.json":
                assert "401" in op["responses"], (path, method)


def test_the_api_needs_no_csrf_token_but_the_token_page_does(app, client, world):
    app.config["WTF_CSRF_ENABLED"] = True
    api = Api(app.test_client(), make_token(app, "b1"))
    assert api.post("/selfchecks", json={"year": THIS_YEAR}).status_code == 201
    login_page = client.get("/login").get_data(as_text=True)
    csrf_token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    client.post("/login", data={"username": "b1", "password": PASSWORD, "csrf_token": csrf_token})
    assert client.get("/account/tokens").status_code == 200
    forged = client.post("/account/tokens", data={"name": "no csrf"})
    assert TOKEN.search(forged.get_data(as_text=True)) is None
    with app.app_context():
        assert db.session.scalar(select(ApiToken).where(ApiToken.name == "no csrf")) is None
