"""Accounts: one's own password and its policy, temporary passwords that must be changed, the
users page and its actions for administrators and leaders, the same on the command line, and
the audit log of it all (filters, CSV and XLSX export)."""

from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.accounts.policy import password_problem
from app.api.auth import issue_token
from app.extensions import db
from app.models import ApiToken, AuditEvent, LoginFailure, LoginSession, User
from tests.conftest import PASSWORD, login

NEW = "river-lantern-42"


def user_id(app, username):
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.username == username))


def fetch_user(app, username) -> User:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        db.session.expunge(user)
        return user


def events(app, action):
    with app.app_context():
        return [
            (e.user.username if e.user else None, e.subject.username if e.subject else None, e.address)
            for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))
        ]


def logged_in(app, username, password=PASSWORD):
    client = app.test_client()
    login(client, username, password)
    return client


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short-1", "too_short"),
        ("x" * 201, "too_long"),
        ("1qaz2wsx3edc", "common"),
        ("Password123", "common"),
        ("woaini1314", "common"),
        ("b1-is-my-name", "username"),
        ("correct horse battery", None),
        ("长城长江黄河泰山", "too_short"),
        ("长城长江黄河泰山黄山华山", None),
    ],
)
def test_the_password_policy(password, problem):
    assert password_problem(password, "b1") == problem


def test_a_user_changes_their_own_password_and_their_other_sessions_end(app, world):
    phone, laptop = logged_in(app, "b1"), logged_in(app, "b1")
    bad = [
        ({"current": "wrong-password", "new": NEW, "confirm": NEW}, "The current password is wrong."),
        ({"current": PASSWORD, "new": "short", "confirm": "short"}, "at least 10 characters"),
        ({"current": PASSWORD, "new": "password1234", "confirm": "password1234"}, "most common passwords"),
        ({"current": PASSWORD, "new": PASSWORD, "confirm": PASSWORD}, "must differ from the old one"),
        ({"current": PASSWORD, "new": NEW, "confirm": NEW + "x"}, "The two new passwords differ."),
    ]
    for data, message in bad:
        response = laptop.post("/accounts/password", data=data, headers={"Accept-Language": "en"})
        assert response.status_code == 422
        assert message in response.text
    assert fetch_user(app, "b1").check_password(PASSWORD)  # nothing changed
    zh = laptop.post("/accounts/password", data=bad[2][0], headers={"Accept-Language": "zh"})
    assert "常见密码" in zh.text
    response = laptop.post("/accounts/password", data={"current": PASSWORD, "new": NEW, "confirm": NEW})
    assert response.status_code == 302
    assert laptop.get("/selfcheck/").status_code == 200  # this session lives on
    assert phone.get("/selfcheck/").status_code == 302  # the other one ended
    assert fetch_user(app, "b1").check_password(NEW)
    assert events(app, "password_change") == [("b1", "b1", "127.0.0.1")]
    logged_in(app, "b1", NEW)


def test_an_administrator_creates_an_account_with_a_temporary_password(app, world):
    admin = logged_in(app, "admin")
    data = {"username": "new-sec", "name": "新书记", "role": "branch", "organisation": "B1"}
    assert admin.post("/accounts/users/new", data=data | {"organisation": "G1"}).status_code == 422
    page = admin.post("/accounts/users/new", data=data)
    assert page.status_code == 200
    temporary = re.search(r'<code class="password">([^<]+)</code>', page.text).group(1)
    assert admin.post("/accounts/users/new", data=data).status_code == 422  # the username is taken
    assert fetch_user(app, "new-sec").must_change_password
    assert events(app, "user_create") == [("admin", "new-sec", "127.0.0.1")]

    secretary = app.test_client()
    login(secretary, "new-sec", temporary)
    for path in ("/selfcheck/", "/account/tokens", "/"):  # nothing but the password page
        assert secretary.get(path).location == "/accounts/password"
    assert "temporary password" in secretary.get("/accounts/password", headers={"Accept-Language": "en"}).text
    changed = secretary.post("/accounts/password", data={"current": temporary, "new": NEW, "confirm": NEW})
    assert changed.status_code == 302
    assert secretary.get("/selfcheck/").status_code == 200
    assert not fetch_user(app, "new-sec").must_change_password


def test_temporary_passwords_of_several_accounts_download_once(app, world):
    from app.accounts import service

    with app.test_request_context():
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        handout = service.make_handout(admin, [["b1", "B1", "B1 党组织", "abcd-efgh-jkmn"], ["b2", "B2", "=1+2", "x"]])
    other = logged_in(app, "leader")
    assert other.get(f"/accounts/handouts/{handout}.csv").status_code == 404  # not theirs
    client = logged_in(app, "admin")
    first = client.get(f"/accounts/handouts/{handout}.csv")
    assert first.status_code == 200
    rows = list(csv.reader(io.StringIO(first.data.decode("utf-8-sig"))))
    assert rows[1] == ["b1", "B1", "B1 党组织", "abcd-efgh-jkmn"]
    assert rows[2][2] == "'=1+2"  # a spreadsheet shows it as text
    assert client.get(f"/accounts/handouts/{handout}.csv").status_code == 404


def test_leaders_manage_the_branch_users_of_their_subtree_only(app, world):
    token_id = None
    with app.app_context():
        b1 = db.session.scalar(select(User).where(User.username == "b1"))
        token_id = issue_token(b1, "phone")[0].id
        db.session.add(LoginFailure(username="b1", address="203.0.113.9"))
        db.session.commit()
    secretary = logged_in(app, "b1")
    gleader = logged_in(app, "gleader")
    b1_id = user_id(app, "b1")
    for username, status in (("xleader", 404), ("trainer", 403), ("b2", 403)):
        assert logged_in(app, username).post(f"/accounts/users/{b1_id}/disable").status_code == status
    assert gleader.post(f"/accounts/users/{user_id(app, 'leader')}/disable").status_code == 404  # above them
    assert gleader.post(f"/accounts/users/{user_id(app, 'gleader')}/disable").status_code == 403  # themselves
    # disabling asks first, then acts at once
    assert "Disable B1" in gleader.post(f"/accounts/users/{b1_id}/disable", headers={"Accept-Language": "en"}).text
    assert secretary.get("/selfcheck/").status_code == 200
    assert gleader.post(f"/accounts/users/{b1_id}/disable", data={"confirm": "disable"}).status_code == 302
    assert secretary.get("/selfcheck/").status_code == 302  # logged out
    with app.app_context():
        assert db.session.get(ApiToken, token_id).revoked_at is not None
        assert db.session.scalar(select(LoginSession).where(LoginSession.ended_at.is_(None))).user_id != b1_id
    with app.app_context():  # a token issued while disabled (from the command line) is refused too
        late_token = issue_token(db.session.get(User, b1_id), "late")[1]
    late = app.test_client().get("/api/v1/cycles", headers={"Authorization": f"Bearer {late_token}"})
    assert late.status_code == 401
    assert late.json["error"]["code"] == "account_disabled"
    refused = app.test_client().post("/login", data={"username": "b1", "password": PASSWORD})
    assert refused.status_code == 200
    assert (
        "disabled"
        in app.test_client()
        .post("/login", data={"username": "b1", "password": PASSWORD}, headers={"Accept-Language": "en"})
        .text
    )
    assert gleader.post(f"/accounts/users/{b1_id}/enable").status_code == 302
    assert gleader.post(f"/accounts/users/{b1_id}/unlock").status_code == 302
    logged_in(app, "b1")
    reset = gleader.post(f"/accounts/users/{b1_id}/reset", data={"confirm": "reset"})
    temporary = re.search(r'<code class="password">([^<]+)</code>', reset.text).group(1)
    assert fetch_user(app, "b1").check_password(temporary)
    assert events(app, "user_disable") == [("gleader", "b1", "127.0.0.1")]
    assert [e[:2] for e in events(app, "user_enable") + events(app, "user_unlock") + events(app, "password_reset")] == [
        ("gleader", "b1")
    ] * 3
    with app.app_context():
        assert db.session.scalar(select(LoginFailure).where(LoginFailure.username == "b1")) is None
    # a leader changes no role
    assert gleader.post(f"/accounts/users/{b1_id}", data={"role": "admin", "organisation": "B1"}).status_code == 403


def test_the_users_page_lists_and_filters_within_the_subtree(app, world):
    gleader = logged_in(app, "gleader")
    page = gleader.get("/accounts/users").text
    assert ">b1<" in page
    assert ">b2<" in page
    assert ">x1<" not in page
    assert ">admin<" not in page
    admin = logged_in(app, "admin")
    assert ">x1<" in admin.get("/accounts/users?org=C2").text
    assert ">b1<" not in admin.get("/accounts/users?org=C2").text
    leaders = admin.get("/accounts/users?role=leader").text
    assert ">leader<" in leaders
    assert ">b1<" not in leaders
    assert ">gleader<" in admin.get("/accounts/users?q=GLEA").text
    assert ">b1<" not in admin.get("/accounts/users?state=disabled").text
    assert logged_in(app, "trainer").get("/accounts/users").status_code == 403


def test_an_administrator_changes_roles_organisations_and_assignments(app, world):
    admin = logged_in(app, "admin")
    trainer = logged_in(app, "trainer")
    trainer_id = user_id(app, "trainer")
    bad = admin.post(f"/accounts/users/{trainer_id}", data={"role": "branch", "organisation": "C1"})
    assert bad.status_code == 422
    assert "党支部用户必须属于一个党支部" in bad.text
    assert fetch_user(app, "trainer").role == "trainer"
    data = {"role": "trainer", "organisation": "C1", "assigned": ["G1", "X1"]}
    assert admin.post(f"/accounts/users/{trainer_id}", data=data).status_code == 302
    with app.app_context():
        assert sorted(o.code for o in db.session.get(User, trainer_id).assigned) == ["G1", "X1"]
    assert admin.post(f"/accounts/users/{trainer_id}", data={"role": "leader", "organisation": "G1"}).status_code == 302
    assert fetch_user(app, "trainer").role == "leader"
    assert trainer.get("/overview").status_code == 302  # what they may see changed: logged out
    assert [e[:2] for e in events(app, "user_update")] == [("admin", "trainer")] * 2


def test_accounts_on_the_command_line(app, runner, world):
    run = lambda *args, **kw: runner.invoke(args=list(args), **kw)  # noqa: E731
    client = logged_in(app, "b1")
    listing = run("users", "--org", "G1")
    assert listing.exit_code == 0
    assert "b1\tbranch\tB1\tactive\tB1" in listing.output
    assert "x1" not in listing.output
    assert "at least 10 characters" in run("set-password", "b1", "--password", "short").output
    assert run("set-password", "b1", input=f"{NEW}\n{NEW}\n").exit_code == 0
    assert client.get("/selfcheck/").status_code == 302
    assert fetch_user(app, "b1").check_password(NEW)
    temporary = run("set-password", "b1", "--temporary").output
    assert fetch_user(app, "b1").must_change_password
    assert fetch_user(app, "b1").check_password(re.search(r": (\S+)\n", temporary).group(1))
    assert run("disable-user", "b1").exit_code == 0
    assert fetch_user(app, "b1").disabled_at is not None
    assert run("enable-user", "b1").exit_code == 0
    assert fetch_user(app, "b1").disabled_at is None
    assert "must belong to a branch" in run("set-role", "gleader", "branch").output
    assert run("set-role", "b2", "leader").exit_code == 0
    assert fetch_user(app, "b2").role == "leader"
    assert run("disable-user", "nobody").exit_code != 0
    created = run("create-user", "sec2", "--org", "B2", "--role", "branch")
    assert "Temporary password" in created.output
    assert fetch_user(app, "sec2").must_change_password
    actions = [(u, s) for u, s, _ in events(app, "password_reset") + events(app, "user_disable")]
    assert actions == [(None, "b1")] * 3


def test_the_audit_log_filters_and_exports(app, world):
    runner = app.test_cli_runner()
    runner.invoke(args=["disable-user", "b1"])
    runner.invoke(args=["disable-user", "b2"])
    logged_in(app, "leader")
    admin = logged_in(app, "admin")
    page = admin.get("/admin/audit?action=user_disable&user=b1", headers={"Accept-Language": "en"}).text
    assert page.count("Account disabled") == 2  # the filter's option and one row
    assert admin.get("/admin/audit?user=leader&action=login").text.count("<tr>") == 2  # header, one row
    assert admin.get("/admin/audit?user=leader&since=2000-01-01&until=2000-12-31").text.count("<tr>") == 2  # empty
    exported = admin.get("/admin/audit.csv?action=user_disable")
    rows = list(csv.reader(io.StringIO(exported.data.decode("utf-8-sig"))))
    assert [row[3] for row in rows[1:]] == ["b2", "b1"]  # whom, newest first
    book = load_workbook(io.BytesIO(admin.get("/admin/audit.xlsx?user=b1").data))
    assert [row[2] for row in book.active.iter_rows(min_row=2, values_only=True)] == ["user_disable"]
