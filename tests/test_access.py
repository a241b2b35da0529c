"""Who sees what: every self-check page for every role, an outsider and an anonymous visitor."""

import pytest

from tests.conftest import THIS_YEAR, login, submitted_selfcheck

# user → may read the self-checks of these branches
READS = {
    "b1": {"B1"},
    "b2": {"B2"},
    "x1": {"X1"},
    "leader": {"B1", "B2", "B3"},
    "gleader": {"B1", "B2"},
    "xleader": {"X1"},
    "trainer": {"B1", "B2"},
    "admin": {"B1", "B2", "B3", "X1"},
}


@pytest.fixture
def selfchecks(app, world):
    return {code: submitted_selfcheck(app, code, THIS_YEAR - 1) for code in ("B1", "B2", "B3", "X1")}


@pytest.mark.parametrize("username", sorted(READS))
def test_results_are_readable_only_inside_ones_subtree(client, selfchecks, username):
    login(client, username)
    for code, selfcheck_id in selfchecks.items():
        status = client.get(f"/results/{selfcheck_id}").status_code
        assert status == (200 if code in READS[username] else 404), (username, code)


@pytest.mark.parametrize("username", sorted(READS))
def test_only_the_own_branch_may_fill_in(app, client, world, username):
    # this year's draft of B1, started by b1
    login(client, "b1")
    selfcheck_id = int(client.post("/selfcheck/start").location.split("/")[2])
    client.post("/logout")
    login(client, username)
    page = client.get(f"/selfcheck/{selfcheck_id}/leadership").status_code
    save = client.post(f"/selfcheck/{selfcheck_id}/autosave", json={"answers": {"L01": "2"}}).status_code
    submit = client.post(f"/selfcheck/{selfcheck_id}/submit").status_code
    if username == "b1":
        assert (page, save) == (200, 200)
    elif "B1" in READS[username]:
        assert (page, save, submit) == (302, 409, 403)  # may read (the page sends to the result), never write
    else:
        assert (page, save, submit) == (404, 404, 404)  # may not even know it exists


def test_anonymous_visitors_are_sent_to_log_in(client, selfchecks):
    for url in (
        "/",
        "/selfcheck/",
        f"/results/{selfchecks['B1']}",
        "/overview",
        f"/selfcheck/{selfchecks['B1']}/review",
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/login" in response.location


def test_only_leaders_and_admins_review_within_their_subtree(app, client, selfchecks):
    for username, allowed in (("b1", False), ("trainer", False), ("xleader", False), ("gleader", True)):
        login(client, username)
        status = client.post(
            f"/results/{selfchecks['B1']}/review", data={"decision": "returned", "comment": "test"}
        ).status_code
        client.post("/logout")
        if allowed:
            assert status == 302
        else:
            assert status in (403, 404), username


def test_branch_users_have_no_overview(client, world):
    login(client, "b1")
    assert client.get("/overview").status_code == 403


def test_login_with_a_wrong_password_fails(client, world):
    response = client.post("/login", data={"username": "b1", "password": "wrong"})
    assert response.status_code == 200
    assert client.get("/selfcheck/").status_code == 302


def test_login_only_redirects_to_local_pages(client, world):
    response = client.post(
        "/login", data={"username": "b1", "password": "secret-pass-1", "next": "https://evil.example/"}
    )
    assert response.location == "/selfcheck/"  # the user's own start page, never the given address


def test_a_subtree_is_matched_by_its_path_literally(app):
    """`_` and `%` in an organisation code are characters, not LIKE wildcards."""
    from sqlalchemy import select

    from app.database import write_transaction
    from app.extensions import db
    from app.models import Organisation
    from tests.conftest import make_org

    with app.app_context(), write_transaction():
        top = make_org("A_B", "committee")
        make_org("A_B-1", "branch", top)
        make_org("A%", "branch", make_org("AXB", "committee"))
        db.session.commit()
        statement = select(Organisation.code).where(Organisation.in_subtree(param="prefix")).order_by(Organisation.code)
        assert db.session.scalars(statement, {"prefix": "/A_B/"}).all() == ["A_B", "A_B-1"]
        assert db.session.scalars(statement, {"prefix": "/AXB/"}).all() == ["A%", "AXB"]
