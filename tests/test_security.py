"""Sessions, CSRF, throttling, headers, secrets and the audit log."""

import multiprocessing
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from app import create_app, passwords
from app.config import secret_key
from app.database import write_transaction
from app.extensions import db
from app.models import AuditEvent, LoginFailure, LoginSession, SelfCheck, User
from app.security import PER_ACCOUNT, PER_ACCOUNT_AND_ADDRESS, begin_attempt, digits_up_to
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


def attempt(client, username, password="wrong", address="127.0.0.1"):
    return client.post("/login", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})  # fmt: skip


def age_failures(app, seconds):
    """Move every recorded failure `seconds` into the past, as if the user had waited."""
    with app.app_context(), write_transaction():
        for failure in db.session.scalars(select(LoginFailure)):
            failure.at -= timedelta(seconds=seconds)
        db.session.commit()


def failures(app, **where):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(LoginFailure).filter_by(**where))


def test_delays_double_from_the_first_free_failures_to_their_cap():
    assert [PER_ACCOUNT_AND_ADDRESS.delay(n) for n in range(7)] == [0, 0, 0, 1, 2, 4, 8]
    assert PER_ACCOUNT_AND_ADDRESS.delay(40) == 15 * 60
    assert PER_ACCOUNT.delay(10_000) == 60


def test_wrong_passwords_delay_the_next_attempt_without_checking_it(app, client, world):
    for _ in range(3):
        assert attempt(client, "b1").status_code == 200
    refused = attempt(client, "b1", PASSWORD)  # even the right password: it is not checked
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "1"
    assert "登录失败次数过多，请1秒后再试。" in refused.get_data(as_text=True)
    assert failures(app, username="b1") == 3  # a refused attempt does not lengthen the wait
    age_failures(app, 1)
    assert attempt(client, "b1").status_code == 200  # the fourth failure: two seconds now
    assert attempt(client, "b1", PASSWORD).headers["Retry-After"] == "2"
    age_failures(app, 2)
    login(client, "b1")
    assert failures(app, username="b1") == 0  # a success forgets its own failures


def test_the_owner_elsewhere_is_not_held_back_by_guesses_from_one_address(app, client, world):
    for _ in range(8):
        attempt(client, "b1", address="203.0.113.9")
    assert attempt(client, "b1", PASSWORD, address="203.0.113.9").status_code == 429
    assert attempt(client, "b1", PASSWORD, address="198.51.100.7").status_code == 302
    assert failures(app, username="b1", address="203.0.113.9") == 3  # the guesser still waits


def test_guesses_from_many_addresses_make_one_account_wait_a_minute_at_most(app, client, world):
    for n in range(30):
        attempt(client, "b1", address=f"203.0.113.{n}")
    refused = attempt(client, "b1", PASSWORD, address="198.51.100.7")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) <= 60
    assert attempt(client, "b2", address="198.51.100.7").status_code == 200  # other accounts are not affected


def test_one_address_guessing_many_accounts_is_slowed_down(client, world):
    for n in range(100):
        attempt(client, f"nobody{n}")
    refused = attempt(client, "b2", PASSWORD)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) <= 60
    assert attempt(client, "b2", PASSWORD, address="198.51.100.7").status_code == 302


def test_attempts_being_checked_count_for_their_account_not_their_address(app, world):
    """Logging in at once from one office: attempts whose passwords are still being checked do
    not count as the address's failures; for one account they do."""
    with app.app_context(), app.test_request_context():
        for n in range(150):
            attempt, wait = begin_attempt(f"user{n}", "192.0.2.1")
            assert (attempt is not None, wait) == (True, 0)
        attempts = [begin_attempt("b1", "192.0.2.1") for _ in range(5)]
        assert [a is not None for a, _ in attempts] == [True] * 3 + [False] * 2


def test_simultaneous_wrong_passwords_are_counted_before_any_is_checked(app, world):
    """Eight wrong passwords at once for one account: three password checks, five refusals."""
    start = threading.Barrier(8)

    def one():
        client = app.test_client()
        start.wait()
        return attempt(client, "b1").status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = sorted(pool.map(lambda _: one(), range(8)))
    assert statuses == [200] * 3 + [429] * 5
    assert failures(app, username="b1") == 3


def test_an_unknown_user_costs_one_password_check_like_a_wrong_password(client, world, monkeypatch):
    checks = []

    class CountingHasher(PasswordHasher):
        def verify(self, hash, password):  # noqa: A002
            checks.append(1)
            return super().verify(hash, password)

    monkeypatch.setattr(passwords, "HASHER", CountingHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1))
    attempt(client, "b1")
    attempt(client, "nobody")
    assert checks == [1, 1]


def test_an_administrator_unlocks_an_account(app, client, runner, world):
    for n in range(12):
        attempt(client, "b1", address=f"203.0.113.{n}")
    assert attempt(client, "b1", PASSWORD).status_code == 429
    result = runner.invoke(args=["unlock-user", "b1"])
    assert result.exit_code == 0, result.output
    assert "Forgot 10 failed log-ins of b1." in result.output  # the 11th and 12th had to wait
    login(client, "b1")
    assert runner.invoke(args=["unlock-user", "nobody"]).exit_code != 0


def test_argon2id_hashes_and_older_scrypt_hashes_are_replaced_at_log_in(app, client, world):
    with app.app_context(), write_transaction():
        user = db.session.scalar(select(User).where(User.username == "b1"))
        assert user.password_hash.startswith("$argon2id$")
        user.password_hash = generate_password_hash(PASSWORD, method="scrypt")
        db.session.commit()
    assert attempt(client, "b1", "wrong").status_code == 200
    with app.app_context():
        assert db.session.scalar(select(User.password_hash).where(User.username == "b1")).startswith("scrypt:")
    login(client, "b1")
    with app.app_context():
        new = db.session.scalar(select(User.password_hash).where(User.username == "b1"))
    assert new.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    client.post("/logout")
    login(client, "b1")


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
    client.post(f"/results/{selfcheck_id}/review", data={"decision": "returned", "comment": "重新核对"})
    assert client.get("/admin/audit").status_code == 403
    client.post("/logout")
    login(client, "admin")
    page = client.get("/admin/audit", headers={"Accept-Language": "en"}).get_data(as_text=True)
    with app.app_context():
        actions = [(e.action, e.user.username if e.user else None) for e in db.session.scalars(select(AuditEvent))]
    assert ("login", "leader") in actions
    assert ("return", "leader") in actions
    assert ("logout", "leader") in actions
    assert ("submit", None) in actions  # the fixture submits without a user
    assert ("login", "admin") in actions
    assert "重新核对" in page
    assert "Review: returned" in page
    filtered = client.get("/admin/audit?action=return").get_data(as_text=True)
    assert filtered.count('<tr><th scope="row">') == 1


def test_user_text_is_escaped(app, client, world):
    selfcheck_id = submitted_selfcheck(app, "B1", THIS_YEAR)
    login(client, "leader")
    client.post(
        f"/results/{selfcheck_id}/review", data={"decision": "returned", "comment": "<script>alert(1)</script>"}
    )
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
    assert client.post("/results/1/review", data={"decision": "returned", "comment": "a\x00b"}).status_code == 400


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


@given(st.integers(min_value=0, max_value=10**12), st.sampled_from([0, 9, 10, 305, 2**31 - 1]))
def test_route_ids_are_bounded_by_their_pattern(number, limit):
    """Beyond the bound no route's pattern matches, so a path of two rules (GET and POST) answers 404, not 405."""
    assert bool(re.fullmatch(digits_up_to(limit), str(number))) == (number <= limit)
