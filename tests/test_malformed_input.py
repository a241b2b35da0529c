"""Malformed input as the outside probe sent it: never a server error, always the usual message,
and nothing stored that a database cannot hold. One rule for text (no NUL, no half of a
surrogate pair) on every way in: forms, query strings, autosave, the API, `import-answers`."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Answer
from tests.conftest import TEXT_ITEM, THIS_YEAR, login
from tests.helpers import make_token

DEEP = "[" * 5000 + "]" * 5000
# raw JSON: the escapes reach the server as the probe sent them
SURROGATE = '{"answers": {"' + TEXT_ITEM + '": "\\ud800", "L01": 4}}'
NUL = '{"answers": {"' + TEXT_ITEM + '": "a\\u0000b", "L01": 4}}'


def stored(app):
    with app.app_context():
        return dict(db.session.execute(select(Answer.item_id, Answer.value).where(Answer.value != "null")).all())


@pytest.fixture
def autosave(app, world):
    client = app.test_client()
    login(client, "b1")
    url = client.post("/selfcheck/start").location.rsplit("/", 1)[0] + "/autosave"
    return lambda body: client.post(url, data=body, content_type="application/json", headers={"Accept-Language": "en"})


@pytest.mark.parametrize("body", [SURROGATE, NUL])
def test_autosave_refuses_unstorable_text_and_keeps_the_other_answers(app, autosave, body):
    response = autosave(body)
    assert response.status_code == 422
    assert set(response.json["errors"]) == {TEXT_ITEM}
    assert "cannot be saved" in response.json["errors"][TEXT_ITEM]
    assert stored(app) == {"L01": "4"}


def test_autosave_answers_400_to_json_nested_too_deeply(app, autosave):
    response = autosave(DEEP)
    assert response.status_code == 400
    assert response.json["error"] == "invalid"
    assert stored(app) == {}


@pytest.fixture
def api(app, world):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {make_token(app, 'b1')}", "Accept-Language": "en"}
    draft = client.post("/api/v1/selfchecks", json={"year": THIS_YEAR}, headers=headers).json["id"]
    return lambda body: client.patch(
        f"/api/v1/selfchecks/{draft}/answers", data=body, content_type="application/json", headers=headers
    )


@pytest.mark.parametrize("body", [SURROGATE, NUL])
def test_the_api_refuses_unstorable_text_by_field(app, api, body):
    response = api(body)
    assert response.status_code == 422
    assert response.json["error"]["code"] == "invalid_answers"
    assert response.json["error"]["fields"] == {
        TEXT_ITEM: "This answer contains a character that cannot be saved; please type it again."
    }
    assert stored(app) == {"L01": "4"}


def test_the_api_answers_400_to_json_nested_too_deeply(app, api):
    response = api(DEEP)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_request"


BEYOND = 2**63  # 9223372036854775808


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"/results/{BEYOND}"),
        ("GET", f"/reports/{BEYOND}.pdf"),
        ("GET", f"/selfcheck/{BEYOND}/leadership"),
        ("GET", f"/selfcheck/{BEYOND}/review"),
        ("POST", f"/selfcheck/{BEYOND}/autosave"),
        ("POST", f"/results/{BEYOND}/review"),
        ("POST", f"/account/tokens/{BEYOND}/revoke"),
        ("GET", f"/api/v1/selfchecks/{BEYOND}"),
        ("GET", f"/api/v1/cycles/{BEYOND}/questionnaire"),
    ],
)
def test_ids_beyond_the_databases_integers_are_not_found(app, world, method, path):
    client = app.test_client()
    login(client, "admin")
    response = client.open(path, method=method, headers={"Authorization": f"Bearer {make_token(app, 'admin')}"})
    assert response.status_code == 404


def test_a_page_number_beyond_the_databases_integers_shows_the_first_page(app, client, world):
    login(client, "admin")
    assert client.get(f"/admin/audit?page={BEYOND}").status_code == 200


def import_answers(app, tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return app.test_cli_runner().invoke(args=["import-answers", str(path)])


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        ('{"branch": "B1",\n "year": %(year)s,\n "answers": {"L01": ' + DEEP + "}}", 3, "nested too deeply"),
        ('{"branch": "B1",\n "year": %(year)s,\n "answers": {\n  "L01": ' + "7" * 5000 + "}}", 4, "invalid value '777"),
        ('{"branch": "B1",\n "year": 1' + "0" * 30 + ',\n "answers": {"L01": 3}}', 2, "is not a year"),
        ('{"branch": "B1",\n "year": %(year)s,\n "answers": {\n  "%(item)s": "a\\u0000b"}}', 4, "a broken character"),
        ('{"branch": "B1",\n "year": %(year)s,\n "answers": {\n  "%(item)s": "\\udc00"}}', 4, "a broken character"),
        ('{"branch": "B\\u0000",\n "year": %(year)s,\n "answers": {\n  "L01": 3}}', 4, "no branch with code"),
    ],
    ids=["nested", "5000 digits", "year 10^30", "NUL", "surrogate", "NUL in the code"],
)
def test_import_answers_reports_malformed_json_by_line(app, world, tmp_path, content, line, message):
    result = import_answers(app, tmp_path, "a.json", content % {"year": THIS_YEAR, "item": TEXT_ITEM})
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert f"a.json:{line}: " in result.output
    assert message in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Answer)) == 0


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (f"B1,{THIS_YEAR},{TEXT_ITEM},a\x00b", f"a.csv:2: item {TEXT_ITEM}: invalid value 'a\\x00b' (contains NUL"),
        ("B1," + "1" + "0" * 30 + ",L01,3", "a.csv:2: year"),
    ],
)
def test_import_answers_reports_malformed_csv_by_line(app, world, tmp_path, rows, message):
    result = import_answers(app, tmp_path, "a.csv", "branch,year,item,value\n" + rows + "\n")
    assert result.exit_code == 1, result.output
    assert message in result.output


def test_the_cli_refuses_a_year_no_cycle_can_have(runner, world):
    for args in (["open-cycle", "1" + "0" * 30], ["render-report", "--branch", "B1", "--year", str(BEYOND),
                                                   "--output", "x.pdf"]):  # fmt: skip
        result = runner.invoke(args=args)
        assert result.exit_code == 2, result.output
        assert "not in the range" in result.output


def test_forms_and_query_strings_follow_the_same_rule(client, world):
    login(client, "b1")
    start = client.post("/selfcheck/start").location
    assert client.post(start, data={TEXT_ITEM: "a\x00b", "go": "stay"}).status_code == 400
    assert client.get("/selfcheck/?x=%00").status_code == 400
    assert json.loads(client.get("/health").data)["status"] == "ok"
