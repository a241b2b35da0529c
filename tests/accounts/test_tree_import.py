"""Bulk import of organisations and users: the template, the dry run that lists every bad row and
writes nothing, the import in one transaction with temporary passwords handed out once; the same
file format with `flask import-tree`."""

from __future__ import annotations

import csv
import io
import re

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from app.accounts.tree_import import COLUMNS
from app.database import write_transaction
from app.extensions import db
from app.models import AuditEvent, Organisation, User
from tests.conftest import login

GOOD = [
    ("N1", "committee", "新区党委", "", "n1-leader", "张三", "leader"),
    ("N1-G", "general_branch", "机关党总支", "N1", "", "", ""),
    ("N1-G-01", "branch", "第一党支部", "N1-G", "n1-01", "李四", "branch"),
    ("N1-G-01", "", "", "", "n1-01b", "王五", "branch"),
    ("B1", "branch", "B1 改名", "G1", "", "", ""),  # an existing branch, renamed
    ("B2", "", "", "", "b2", "B2", "leader"),  # an existing user, another role
]


def csv_file(rows, header=COLUMNS) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([header, *rows])
    return out.getvalue().encode("utf-8")


def xlsx_file(rows) -> bytes:
    book = Workbook()
    for row in [COLUMNS, *rows]:
        book.active.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def counts(app):
    with app.app_context():
        return db.session.scalar(select(func.count(Organisation.id))), db.session.scalar(select(func.count(User.id)))


def upload(client, data: bytes, name: str):
    return client.post("/accounts/import", data={"file": (io.BytesIO(data), name)}, headers={"Accept-Language": "en"})


def test_the_templates_download_and_import_as_they_are(app, world):
    client = app.test_client()
    login(client, "admin")
    assert "import-template.xlsx" not in client.get("/accounts/import").text  # a link, not a file name
    assert client.get("/accounts/import").status_code == 200
    template_csv = client.get("/accounts/import/template.csv")
    rows = list(csv.reader(io.StringIO(template_csv.data.decode("utf-8-sig"))))
    assert tuple(rows[0]) == COLUMNS
    book = load_workbook(io.BytesIO(client.get("/accounts/import/template.xlsx").data))
    assert [c.value for c in book.worksheets[0][1]] == list(COLUMNS)
    for name, data in (("t.csv", template_csv.data), ("t.xlsx", client.get("/accounts/import/template.xlsx").data)):
        page = upload(client, data, name)
        assert page.status_code == 200
        assert "create user zb1-01" in page.text


def test_a_dry_run_lists_every_bad_row_and_writes_nothing(app, world):
    client = app.test_client()
    login(client, "admin")
    before = counts(app)
    bad = [
        *GOOD[:3],
        ("N1/X", "branch", "坏代码", "N1-G", "", "", ""),
        ("N2", "branch", "无上级的党支部", "", "", "", ""),
        ("N3", "branch", "上级不存在", "NOPE", "", "", ""),
        ("N1-G-02", "branch", "第二党支部", "N1-G", "has space", "赵六", "branch"),
        ("N1-G-03", "branch", "第三党支部", "N1-G", "n1-01", "重名", "branch"),
        ("N1", "branch", "", "", "", "", ""),
        ("G1", "general_branch", "G1 党组织", "C2", "", "", ""),
    ]
    page = upload(client, csv_file(bad), "tree.csv")
    assert page.status_code == 422
    lines = re.findall(r"<li>Line (\d+):", page.text)
    assert lines == ["5", "6", "7", "8", "9", "10", "11"]
    assert "7 bad rows: nothing was imported" in page.text
    assert "does not move organisations" in page.text
    assert counts(app) == before
    assert "Import</button>" not in page.text
    zh = client.post(
        "/accounts/import", data={"file": (io.BytesIO(csv_file(bad)), "t.csv")}, headers={"Accept-Language": "zh"}
    )
    assert "第 7 行：上级党组织 &#39;NOPE&#39; 既不在系统中，也不在前面的行中" in zh.text
    unreadable = upload(client, b"code,name\nA,B\n", "tree.csv")
    assert unreadable.status_code == 422
    assert "header" in unreadable.text
    assert upload(client, b"not a workbook", "tree.xlsx").status_code == 422
    assert upload(client, b"x", "tree.txt").status_code == 422


def test_the_import_writes_all_in_one_go_and_hands_out_passwords_once(app, world):
    client = app.test_client()
    login(client, "admin")
    before = counts(app)
    plan = upload(client, xlsx_file(GOOD), "tree.xlsx")
    assert plan.status_code == 200
    for expected in ("create N1 新区党委", "rename B1 B1 党组织 to B1 改名", "create user n1-01b", "change user b2"):
        assert expected in plan.text
    assert counts(app) == before  # the dry run wrote nothing
    action = re.search(r'action="(/accounts/import/[^"]+)"', plan.text).group(1)
    done = client.post(action)
    assert done.status_code == 200
    passwords = dict(re.findall(r'<th scope="row">([^<]+)</th>.*?<code class="password">([^<]+)</code>', done.text))
    assert sorted(passwords) == ["n1-01", "n1-01b", "n1-leader"]
    assert counts(app) == (before[0] + 3, before[1] + 3)
    assert client.post(action).status_code == 404  # the file is gone: no second import
    handout = re.search(r'href="(/accounts/handouts/[^"]+)"', done.text).group(1)
    assert len(client.get(handout).data.decode("utf-8-sig").splitlines()) == 4
    assert client.get(handout).status_code == 404
    with app.app_context():
        n1 = db.session.scalar(select(User).where(User.username == "n1-01"))
        assert n1.organisation.path == "/N1/N1-G/N1-G-01/"
        assert n1.must_change_password
        assert db.session.scalar(select(Organisation.name).where(Organisation.code == "B1")) == "B1 改名"
        assert db.session.scalar(select(User.role).where(User.username == "b2")) == "leader"
        actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.user_id.is_not(None))).all()
        assert actions.count("user_create") == 3
        assert "tree_import" in actions
    secretary = app.test_client()
    login(secretary, "n1-01", passwords["n1-01"])
    assert secretary.get("/").location == "/accounts/password"


def test_import_tree_on_the_command_line(app, runner, world, tmp_path):
    path = tmp_path / "tree.csv"
    path.write_bytes(csv_file(GOOD).decode().encode("gb18030"))  # as a spreadsheet set to Chinese saves it
    before = counts(app)
    dry = runner.invoke(args=["import-tree", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "create committee N1 新区党委" in dry.output
    assert counts(app) == before
    done = runner.invoke(args=["import-tree", str(path)])
    assert done.exit_code == 0, done.output
    assert re.search(r"n1-01\tN1-G-01\t\w{4}-\w{4}-\w{4}", done.output)
    assert counts(app) == (before[0] + 3, before[1] + 3)
    path.write_bytes(csv_file([("Z1", "committee", "", "", "", "", "")]))
    bad = runner.invoke(args=["import-tree", str(path)])
    assert bad.exit_code != 0
    assert "tree.csv:2: name must not be empty" in bad.output


def test_prune_forgets_unused_uploads_and_handouts_after_an_hour(app, runner, world):
    import os
    import time
    from datetime import timedelta
    from pathlib import Path

    from app.models import PasswordHandout, utcnow

    client = app.test_client()
    login(client, "admin")
    upload(client, csv_file(GOOD), "tree.csv")
    with app.app_context(), write_transaction():
        admin_id = db.session.scalar(select(User.id).where(User.username == "admin"))
        db.session.add(
            PasswordHandout(id="old", issued_by_id=admin_id, rows="[]", created_at=utcnow() - timedelta(hours=2))
        )
        db.session.add(PasswordHandout(id="new", issued_by_id=admin_id, rows="[]"))
        db.session.commit()
    (waiting,) = (Path(app.config["JOBS_DIR"]) / "imports").iterdir()
    assert "1 password handouts, 0 uploaded imports" in runner.invoke(args=["prune"]).output  # the upload is fresh
    two_hours_ago = time.time() - 7200
    os.utime(waiting, (two_hours_ago, two_hours_ago))
    assert "0 password handouts, 1 uploaded imports" in runner.invoke(args=["prune"]).output
    assert not waiting.exists()


def test_the_email_column_is_optional_checked_and_kept_when_empty(app, runner, world, tmp_path):
    path = tmp_path / "tree.csv"
    path.write_bytes(csv_file([("B1", "", "", "", "b1", "B1", "branch", "not-an-address")]))
    bad = runner.invoke(args=["import-tree", str(path)])
    assert bad.exit_code != 0
    assert "email 'not-an-address' must be one address" in bad.output
    path.write_bytes(csv_file([("B1", "", "", "", "b1", "B1", "branch", "b1@example.org")]))
    assert runner.invoke(args=["import-tree", str(path)]).exit_code == 0
    path.write_bytes(csv_file([("B1", "", "", "", "b1", "B1 书记", "branch")], header=COLUMNS[:7]))  # no email column
    assert runner.invoke(args=["import-tree", str(path)]).exit_code == 0
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "b1"))
        assert (user.name, user.email) == ("B1 书记", "b1@example.org")
