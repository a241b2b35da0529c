"""Sessions, CSRF, throttling, headers, secrets and the audit log."""

import multiprocessing
import re
import time

import pytest
from sqlalchemy import select

from app import create_app
from app.config import secret_key
from app.extensions import db
from app.models import AuditEvent, LoginSession, SelfCheck
from tests.conftest import PASSWORD, THIS_YEAR, login, submitted_selfcheck
from tests.test_routes_access import API, PAGES, objects  # noqa: F401  (objects: a fixture)


@pytest.fixture
def csrf_app(app):
    app.config["WTF_CSRF_ENABLED"] = True
    return app


def csrf_token(client, url="/login"):
    return re.search(r'name="csrf[-_]token" (?:value|content)="([^"]+)"', client.get(url).get_data(as_text=True))[1]


def test_state_changing_forms_need_the_csrf_token(csrf_app, world):
    client = csrf_app.test_client()
    assert client.post("/login", data={"username": "b1", "password": PASSWORD}).status_code in (302, 400)
    assert client.get("/selfcheck/").status_code == 302  # not logged in without the token
    token = csrf_token(client)
    response = client.post("/login", data={"username": "b1", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    refused = client.post("/selfcheck/start")  # no token: sent back with a message, nothing created
    assert refused.location == "/"
    with csrf_app.app_context():
        assert db.session.scalar(select(SelfCheck)) is None
    token = csrf_token(client, "/selfcheck/")
    start = client.post("/selfcheck/start", data={"csrf_token": token})
    assert start.status_code == 302
    autosave = start.location.rsplit("/", 1)[0] + "/autosave"
    refused = client.post(autosave, json={"answers": {"L01": "3"}}, headers={"Accept": "application/json"})
    assert refused.status_code == 400
    assert refused.json["error"] == "csrf"
    accepted = client.post(autosave, json={"answers": {"L01": "3"}}, headers={"X-CSRFToken": token})
    assert accepted.status_code == 200


def test_the_pillar_form_carries_a_token_its_post_accepts(csrf_app, world):
    client = csrf_app.test_client()
    client.post("/login", data={"username": "b1", "password": PASSWORD, "csrf_token": csrf_token(client)})
    start = client.post("/selfcheck/start", data={"csrf_token": csrf_token(client, "/selfcheck/")})
    page = client.get(start.location).get_data(as_text=True)
    form = page[page.index('id="selfcheck-form"') :]
    token = re.search(r'<input type="hidden" name="csrf_token" value="([^"]+)">', form)[1]
    refused = client.post(start.location, data={"L01": "2", "go": "stay"})  # no token: back to the page
    assert refused.location == start.location
    assert 'name="L01" value="2" checked' not in client.get(start.location).get_data(as_text=True)
    saved = client.post(start.location, data={"L01": "2", "go": "stay", "csrf_token": token})
    assert saved.location == start.location
    assert 'name="L01" value="2" checked' in client.get(start.location).get_data(as_text=True)


def test_session_cookie_flags(app, world):
    client = app.test_client()
    response = login(client, "b1")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie
    app.config["SESSION_COOKIE_SECURE"] = True
    client2 = app.test_client()
    assert "Secure" in login(client2, "b2").headers["Set-Cookie"]


def test_logout_ends_the_session_on_the_server(app, client, world):
    login(client, "b1")
    stolen = client.get_cookie("session").value
    client.post("/logout")
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/selfcheck/").status_code == 302  # the copied cookie no longer logs in
    with app.app_context():
        assert db.session.scalar(select(LoginSession.ended_at)) is not None


def test_a_new_session_at_login(app, world):
    client = app.test_client()
    client.post("/language/en", data={"next": "/login"})
    before = client.get_cookie("session").value
    login(client, "b1")
    after = client.get_cookie("session").value
    assert before != after
    with client.session_transaction() as session:
        assert session["lang"] == "en"  # the language choice survives
        assert session["sid"]


@pytest.mark.parametrize(("key", "age"), [("seen", 31 * 60), ("created", 13 * 3600)])
def test_timeouts_send_back_to_the_same_page_with_the_draft_intact(app, client, world, key, age):
    login(client, "b1")
    selfcheck_page = client.post("/selfcheck/start").location
    client.post(selfcheck_page.rsplit("/", 1)[0] + "/autosave", json={"answers": {"L01": "4"}})
    with client.session_transaction() as session:
        session[key] = int(time.time()) - age
        if key == "created":
            session["seen"] = int(time.time())
    response = client.get(selfcheck_page)
    assert response.status_code == 302
    assert "/login?next=" in response.location
    back = client.post(response.location, data={"username": "b1", "password": PASSWORD, "next": selfcheck_page})
    assert back.location == selfcheck_page
    assert 'name="L01" value="4" checked' in client.get(selfcheck_page).get_data(as_text=True)


def test_an_active_session_stays(client, world):
    login(client, "b1")
    with client.session_transaction() as session:
        session["seen"] = int(time.time()) - 29 * 60
    assert client.get("/selfcheck/").status_code == 200


def test_login_is_throttled_per_account(client, world):
    for _ in range(5):
        assert client.post("/login", data={"username": "b1", "password": "wrong"}).status_code == 200
    response = client.post("/login", data={"username": "b1", "password": PASSWORD})
    assert response.status_code == 429
    assert client.get("/selfcheck/").status_code == 302
    login(client, "b2")  # other accounts are not affected


def test_login_is_throttled_per_address(client, world):
    for n in range(20):
        client.post("/login", data={"username": f"nobody{n}", "password": "wrong"})
    assert client.post("/login", data={"username": "b2", "password": PASSWORD}).status_code == 429


def test_security_headers(client, world):
    for url in ("/login", "/static/app.js"):
        response = client.get(url)
        response.close()
        headers = response.headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"


def test_pages_have_no_inline_script(client, world):
    login(client, "b1")
    page = client.get(client.post("/selfcheck/start").location).get_data(as_text=True)
    assert re.findall(r"<script(?![^>]*\bsrc=)", page) == []
    assert " onclick=" not in page
    assert " onload=" not in page


def _key(path, queue):
    queue.put(secret_key(path))


def test_the_secret_key_is_generated_once_and_shared(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    workers = [ctx.Process(target=_key, args=(str(tmp_path), queue)) for _ in range(4)]
    for w in workers:
        w.start()
    keys = {queue.get(timeout=30) for _ in workers}
    for w in workers:
        w.join()
    assert len(keys) == 1
    assert keys == {secret_key(str(tmp_path))}
    assert len(keys.pop()) == 64
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    assert secret_key(str(tmp_path)) == "from-the-environment"


def test_the_audit_log_records_and_only_admins_read_it(app, client, world):
    selfcheck_id = submitted_selfcheck(app, "B1", THIS_YEAR)
    login(client, "leader")
    client.post(f"/results/{selfcheck_id}/reopen", data={"reason": "重新核对"})
    assert client.get("/admin/audit").status_code == 403
    client.post("/logout")
    login(client, "admin")
    page = client.get("/admin/audit", headers={"Accept-Language": "en"}).get_data(as_text=True)
    with app.app_context():
        actions = [(e.action, e.user.username if e.user else None) for e in db.session.scalars(select(AuditEvent))]
    assert ("login", "leader") in actions
    assert ("reopen", "leader") in actions
    assert ("logout", "leader") in actions
    assert ("submit", None) in actions  # the fixture submits without a user
    assert ("login", "admin") in actions
    assert "重新核对" in page
    assert "Reopening" in page
    filtered = client.get("/admin/audit?action=reopen").get_data(as_text=True)
    assert filtered.count('<tr><th scope="row">') == 1


def test_user_text_is_escaped(app, client, world):
    selfcheck_id = submitted_selfcheck(app, "B1", THIS_YEAR)
    login(client, "leader")
    client.post(f"/results/{selfcheck_id}/reopen", data={"reason": "<script>alert(1)</script>"})
    page = client.get(f"/results/{selfcheck_id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_create_app_refuses_a_broken_questionnaire(tmp_path, monkeypatch):
    from app.assessment import questionnaire

    (tmp_path / "2099-1.yaml").write_text("version: '2099-1'\npillars: []\n", encoding="utf-8")
    monkeypatch.setattr(questionnaire, "QUESTIONNAIRE_DIR", tmp_path)
    questionnaire.get_questionnaire.cache_clear()
    try:
        with pytest.raises(questionnaire.QuestionnaireError, match="2099-1.yaml"):
            create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"})
    finally:
        questionnaire.get_questionnaire.cache_clear()


def test_nul_bytes_are_refused_before_any_query(client, world):
    login(client, "leader")
    assert client.get("/overview?year=%00").status_code == 400
    assert client.get("/compare?org=C1%00").status_code == 400
    assert client.post("/results/1/reopen", data={"reason": "a\x00b"}).status_code == 400


def test_no_page_is_kept_by_a_cache_and_https_is_remembered(app, objects):  # noqa: F811
    """Every page and API answer of the access table, as a user of each role: `no-store`
    (static files excepted); HSTS once the app is served over HTTPS."""
    ids, tokens = objects
    for username in ("b1", "leader", "trainer", "admin"):
        client = app.test_client()
        login(client, username)
        for endpoint, method, path, _body, _expected in PAGES + API:
            if method != "GET" or endpoint == "static":
                continue
            headers = {"Authorization": f"Bearer {tokens[username]}"} if path.startswith("/api/") else {}
            response = client.get(path.format(**ids), headers=headers)
            response.close()
            assert "no-store" in response.headers.get("Cache-Control", ""), (username, path)
            assert "Strict-Transport-Security" not in response.headers
    static = app.test_client().get("/static/app.js")
    static.close()
    assert "no-store" not in static.headers.get("Cache-Control", "")
    app.config["SESSION_COOKIE_SECURE"] = True
    assert app.test_client().get("/login").headers["Strict-Transport-Security"] == "max-age=31536000"
