"""The organisation tree's page and commands: create, rename, move (with whose access changes),
close and reopen, for every rule of who may."""

from __future__ import annotations

from app.database import write_transaction
from app.extensions import db
from app.models import AuditEvent, LoginSession, Organisation
from tests.conftest import THIS_YEAR, login


def org(app, code):
    with app.app_context():
        return db.session.scalar(db.select(Organisation).where(Organisation.code == code))


def actions(app):
    with app.app_context():
        return [e.action for e in db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id))]


def test_admin_creates_a_committee_and_a_branch(app, world, client):
    login(client, "admin")
    page = client.get("/admin/organisations")
    assert page.status_code == 200
    assert "B1" in page.text
    r = client.post("/admin/organisations", data={"parent": "", "code": "C9", "kind": "committee", "name": "九号党委"})
    assert r.status_code == 302
    r = client.post("/admin/organisations", data={"parent": "C9", "code": "C9-B1", "kind": "branch", "name": "一支部"})
    assert r.status_code == 302
    assert org(app, "C9-B1").path == "/C9/C9-B1/"
    assert actions(app)[-2:] == ["org_create", "org_create"]


def test_bad_input_changes_nothing_with_a_message_in_the_users_language(app, world, client):
    login(client, "admin")
    client.post("/language/zh", data={"next": "/"})
    for data, message in [
        ({"parent": "G1", "code": "B/9", "kind": "branch", "name": "x"}, "字母、数字或连字符"),
        ({"parent": "G1", "code": "B1", "kind": "branch", "name": "x"}, "已经存在"),
        ({"parent": "B1", "code": "B9", "kind": "branch", "name": "x"}, None),  # a branch cannot be a parent
        ({"parent": "G1", "code": "G9", "kind": "general_branch", "name": "x"}, "不能设在"),
        ({"parent": "G1", "code": "B9", "kind": "branch", "name": ""}, "名称"),
    ]:
        r = client.post("/admin/organisations", data=data)
        assert r.status_code == 422, data
        if message:
            assert message in r.text, (data, r.text[-2000:])
    assert org(app, "B9") is None
    assert org(app, "G9") is None


def test_a_leader_works_only_strictly_inside_their_subtree(app, world, client):
    login(client, "gleader")
    r = client.post("/admin/organisations", data={"parent": "G1", "code": "B7", "kind": "branch", "name": "七支部"})
    assert r.status_code == 302
    assert org(app, "B7").path == "/C1/G1/B7/"
    refused = [
        {"parent": "", "code": "C7", "kind": "committee", "name": "x"},  # never a committee
        {"parent": "C1", "code": "B8", "kind": "branch", "name": "x"},  # above them
        {"parent": "C2", "code": "B8", "kind": "branch", "name": "x"},  # another committee
    ]
    for data in refused:
        assert client.post("/admin/organisations", data=data).status_code == 422
    assert org(app, "C7") is None
    assert org(app, "B8") is None
    assert client.get(f"/admin/organisations/{world.orgs['G1']}").status_code == 404  # their own
    assert client.get(f"/admin/organisations/{world.orgs['B3']}").status_code == 404  # a sibling's
    assert client.get(f"/admin/organisations/{world.orgs['B1']}").status_code == 200


def test_rename(app, world, client):
    login(client, "leader")
    r = client.post(f"/admin/organisations/{world.orgs['B1']}/rename", data={"name": "  新名称 "})
    assert r.status_code == 302
    assert org(app, "B1").name == "新名称"
    assert client.post(f"/admin/organisations/{world.orgs['B1']}/rename", data={"name": "a\x07"}).status_code == 422
    assert org(app, "B1").name == "新名称"


def test_moving_asks_first_and_lists_whose_access_changes(app, world, client):
    login(client, "admin")
    b1 = world.orgs["B1"]
    page = client.post(f"/admin/organisations/{b1}/move", data={"parent": "C1"})
    assert page.status_code == 200
    # gleader (G1) and the trainer (assigned G1) lose B1; leader (C1) keeps it: not listed
    assert "gleader" in page.text
    assert "trainer" in page.text
    assert ">leader" not in page.text
    assert org(app, "B1").path == "/C1/G1/B1/"  # nothing changed yet
    r = client.post(f"/admin/organisations/{b1}/move", data={"parent": "C1", "confirm": "yes"})
    assert r.status_code == 302
    assert org(app, "B1").path == "/C1/B1/"
    gleader = app.test_client()
    login(gleader, "gleader")
    assert "B1 党组织" not in gleader.get(f"/overview?year={THIS_YEAR}").text
    assert "org_move" in actions(app)


def test_moving_a_subtree_rewrites_every_path(app, world, runner):
    result = runner.invoke(args=["create-org", "G2", "general_branch", "二总支", "--parent", "C2"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["move-org", "G1", "C2"])
    assert result.exit_code == 0, result.output
    assert "leader loses G1" in result.output
    assert "xleader gains G1" in result.output
    assert org(app, "B2").path == "/C2/G1/B2/"
    for args, message in [
        (["move-org", "G1", "B1"], "cannot move under itself"),
        (["move-org", "C1", "C2"], "committee"),
        (["move-org", "B3", "X1"], "cannot sit under"),
    ]:
        result = runner.invoke(args=args)
        assert result.exit_code != 0
        assert message in result.output


def test_closing_asks_first_then_ends_sessions_and_log_ins_until_reopened(app, world, client):
    branch = app.test_client()
    login(branch, "b1")
    login(client, "leader")
    b1 = world.orgs["B1"]
    page = client.post(f"/admin/organisations/{b1}/close")
    assert page.status_code == 200
    assert "B1" in page.text
    assert org(app, "B1").closed_on is None
    assert client.post(f"/admin/organisations/{b1}/close", data={"confirm": "yes"}).status_code == 302
    assert org(app, "B1").closed
    assert branch.get("/selfcheck/").status_code == 302  # the session ended
    refused = app.test_client().post("/login", data={"username": "b1", "password": "secret-pass-1"})
    assert refused.status_code == 403
    # it no longer counts as missing in this year's overview, nor in the comparison's completion
    overview = client.get(f"/overview?year={THIS_YEAR}").text
    assert "B1 党组织" not in overview
    assert "B2 党组织" in overview
    # only an administrator reopens
    assert client.post(f"/admin/organisations/{b1}/reopen").status_code == 403
    admin = app.test_client()
    login(admin, "admin")
    assert admin.post(f"/admin/organisations/{b1}/reopen").status_code == 302
    assert not org(app, "B1").closed
    login(app.test_client(), "b1")
    assert actions(app).count("org_close") == 1
    assert "org_reopen" in actions(app)


def test_closing_keeps_history_in_cycles_that_ended_before(app, world, client):
    from tests.conftest import submitted_selfcheck

    last_year = submitted_selfcheck(app, "B1", THIS_YEAR - 1)
    login(client, "admin")
    client.post(f"/admin/organisations/{world.orgs['G1']}/close", data={"confirm": "yes"})
    assert org(app, "B2").closed  # the subtree closes with it
    assert "B1 党组织" in client.get(f"/overview?year={THIS_YEAR - 1}").text
    assert client.get(f"/results/{last_year}").status_code == 200
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(LoginSession)) >= 1


def test_close_org_command_and_undo(app, world, runner):
    result = runner.invoke(args=["close-org", "G1"])
    assert result.exit_code == 0, result.output
    assert "Closed 3" in result.output
    assert runner.invoke(args=["close-org", "B1"]).exit_code != 0  # closed already
    result = runner.invoke(args=["close-org", "G1", "--undo"])
    assert result.exit_code == 0, result.output
    assert "Reopened 3" in result.output
    assert runner.invoke(args=["rename-org", "B1", "改名"]).exit_code == 0
    assert org(app, "B1").name == "改名"


def test_the_audit_log_names_every_change_of_the_tree(app, world, client):
    login(client, "admin")
    client.post("/language/zh", data={"next": "/"})
    client.post(f"/admin/organisations/{world.orgs['B1']}/rename", data={"name": "新名称"})
    client.post(f"/admin/organisations/{world.orgs['B1']}/close", data={"confirm": "yes"})
    page = client.get("/admin/audit").text
    assert "组织更名" in page
    assert "撤销组织" in page
    assert "B1: B1 党组织 → 新名称" in page


def test_a_closed_branch_leaves_the_completion_figures_of_open_cycles_and_its_tokens_stop(app, world, runner):
    from app.api.auth import issue_token
    from app.comparison import queries
    from app.comparison.service import selection_for
    from app.models import User

    def branches_of_g1(year):
        with app.test_request_context():
            leader = db.session.scalar(db.select(User).where(User.username == "leader"))
            selection, _org = selection_for(leader, "", [year])
            return {c.code: c.branches for c in queries.cohort(selection).completion}["G1"]

    with app.app_context(), write_transaction():
        b1 = db.session.scalar(db.select(User).where(User.username == "b1"))
        _record, token = issue_token(b1, "test")
        db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get("/api/v1/me", headers=headers).status_code == 200
    assert branches_of_g1(THIS_YEAR) == 2
    assert runner.invoke(args=["close-org", "B1"]).exit_code == 0
    assert branches_of_g1(THIS_YEAR) == 1  # the cache follows the closing
    assert branches_of_g1(THIS_YEAR - 1) == 2  # a cycle that ended before it closed keeps it
    refused = app.test_client().get("/api/v1/me", headers=headers)
    assert refused.status_code == 401
    assert refused.json["error"]["code"] == "organisation_closed"
