"""hypothesis throws arbitrary input at the form handlers and the importer: never a server error,
and bad input changes nothing."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.extensions import db
from app.models import Answer
from tests.conftest import THIS_YEAR, login

ITEM_IDS = ["L01", "L02", "L10", "C02", "T06", "R02", "R11", "ZZ9", "", "base:L01", "go", "seq"]
junk = st.one_of(
    st.text(max_size=30),
    st.integers(-(10**12), 10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["yes", "no", "是", "否", "1", "5", "100", "-1", "1e309", "NaN", "\x00", "<script>"]),
)
json_junk = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=8,
)
FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


def answer_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Answer))


@pytest.fixture
def branch_client(app, world):
    """Logged in once (hypothesis reuses it across examples) with a started self-check."""
    client = app.test_client()
    login(client, "b1")
    return client, client.post("/selfcheck/start").location


@FUZZ
@given(form=st.dictionaries(st.sampled_from(ITEM_IDS), junk, max_size=8))
def test_pillar_form_never_fails(branch_client, form):
    client, url = branch_client
    response = client.post(url, data=form)
    if any("\x00" in v for v in form.values()):
        assert response.status_code == 400  # NUL bytes are refused before anything is read or written
    else:
        assert response.status_code in (200, 302, 409, 422)


@FUZZ
@given(body=json_junk, answers=st.dictionaries(st.sampled_from(ITEM_IDS), json_junk, max_size=6))
def test_autosave_never_fails(branch_client, body, answers):
    client, page = branch_client
    url = page.rsplit("/", 1)[0] + "/autosave"
    for payload in (body, {"answers": answers}, {"answers": answers, "seq": body, "base": body}):
        response = client.post(url, data=json.dumps(payload), content_type="application/json")
        assert response.status_code in (200, 400, 409, 422), payload
        assert response.is_json


@settings(FUZZ, max_examples=25)
@given(username=st.text(max_size=100), password=st.text(max_size=300), nxt=st.text(max_size=50))
def test_login_never_fails(app, world, username, password, nxt):
    response = app.test_client().post("/login", data={"username": username, "password": password, "next": nxt})
    if "\x00" in username + password + nxt:
        assert response.status_code == 400
    else:
        assert response.status_code in (200, 302, 429)


@FUZZ
@given(
    content=st.one_of(st.text(max_size=400), st.lists(st.lists(junk, max_size=5), max_size=6)), as_json=st.booleans()
)
def test_importer_never_fails_and_bad_files_write_nothing(app, world, tmp_path_factory, content, as_json):
    if isinstance(content, list):
        content = "branch,year,item,value\n" + "\n".join(",".join(row) for row in content)
    path = tmp_path_factory.mktemp("imp") / ("a.json" if as_json else "a.csv")
    path.write_text(content, encoding="utf-8")
    before = answer_count(app)
    result = app.test_cli_runner().invoke(args=["import-answers", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    if result.exit_code != 0:
        assert answer_count(app) == before


def test_the_importer_names_a_csv_with_stray_bytes(app, world, tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(b"branch,year,item,value\n\xff\xfeB1," + str(THIS_YEAR).encode() + b",L01,3\n")
    result = app.test_cli_runner().invoke(args=["import-answers", str(path)])
    assert result.exit_code != 0
    assert "a.csv:2: not UTF-8" in result.output
    assert answer_count(app) == 0
