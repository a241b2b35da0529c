"""Bulk import of an organisation tree with its users, from the template's XLSX or CSV file.

One row is an organisation and, optionally, one of its users (more users: more rows with the same
code, whose organisation columns are then empty or repeat the first row's). A parent is an
organisation of the database or of an earlier row. Existing organisations may be renamed, existing
users renamed, given another role or organisation; nothing is moved in the tree (the tree page
does that) and nothing is deleted. Every row is checked with the rules of `app.organisations`
before anything is written: one bad row and nothing is. `plan` is the dry run; `apply` writes the
plan in one transaction and gives every new user a temporary password.

CSV files are read as UTF-8 (with or without BOM), else as GB18030, which is what a spreadsheet
program set to Chinese saves.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from flask_babel import gettext
from sqlalchemy import select

from .. import audit
from ..database import write_transaction
from ..extensions import db
from ..models import Organisation, User
from ..organisations import email_problem, expected_path, kind_label, organisation_problems, user_problems
from . import service

COLUMNS = ("org_code", "org_kind", "org_name", "parent_code", "username", "user_name", "role", "email")
REQUIRED = COLUMNS[:7]  # a file without the last column, "email", is read as one whose emails are empty
MAX_ROWS = 5000
EXAMPLE = [
    ("DW", "committee", "某某镇党委", "", "dw-leader", "张三", "leader", ""),
    ("DW-ZB1", "general_branch", "机关党总支", "DW", "zb1-leader", "李四", "leader", ""),
    ("DW-ZB1-01", "branch", "机关第一党支部", "DW-ZB1", "zb1-01", "王五", "branch", "wangwu@example.org"),
    ("DW-ZB1-02", "branch", "机关第二党支部", "DW-ZB1", "zb1-02", "赵六", "branch", ""),
    ("DW-ZB1-02", "", "", "", "zb1-02b", "钱七", "branch", ""),
]
# the template's second sheet (XLSX) and its CSV's comment-free counterpart, the README
EXPLANATION = [
    ("org_code", "党组织代码：字母、数字和连字符，1–20 位，首尾为字母或数字", "code: letters, digits, hyphens"),
    ("org_kind", "类型：committee（党委）、general_branch（党总支）、branch（党支部）", "kind"),
    ("org_name", "党组织名称", "name of the organisation"),
    ("parent_code", "上级党组织代码（党委留空）；须已存在或在前面的行中", "parent's code (empty for a committee)"),
    ("username", "用户名（可留空：只建党组织）；不能含空格", "username (optional), no spaces"),
    ("user_name", "姓名", "the user's full name"),
    ("role", "角色：branch（党支部）、leader（负责人）、trainer（培训者）、admin（管理员）", "role"),
    ("email", "电子邮箱（可留空）：催报提醒发到这里", "e-mail address (optional): where reminders go"),
]


class ImportFileError(Exception):
    """The file cannot be read at all (not XLSX or CSV, wrong header)."""


@dataclass
class Plan:
    """What an import would do: problems by line (any → nothing is written), and the changes."""

    problems: list[tuple[int, str]] = field(default_factory=list)
    new_orgs: list[tuple[int, dict]] = field(default_factory=list)
    renamed_orgs: list[tuple[int, Organisation, str]] = field(default_factory=list)
    new_users: list[tuple[int, dict]] = field(default_factory=list)
    changed_users: list[tuple[int, User, dict]] = field(default_factory=list)
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def changes(self) -> int:
        return len(self.new_orgs) + len(self.renamed_orgs) + len(self.new_users) + len(self.changed_users)


def read_rows(data: bytes, filename: str) -> list[tuple[int, dict]]:
    """(line number, row) of the file's rows after the header; empty rows are skipped."""
    if filename.lower().endswith(".xlsx"):
        raw = _xlsx_rows(data)
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = data.decode("gb18030")
            except UnicodeDecodeError:
                raise ImportFileError(gettext("The file is neither UTF-8 nor GB18030 text.")) from None
        try:
            raw = list(csv.reader(io.StringIO(text, newline="")))
        except csv.Error as exc:
            raise ImportFileError(gettext("Not a CSV file: %(error)s.", error=exc)) from None
    if not raw or [str(c or "").strip() for c in raw[0][: len(REQUIRED)]] != list(REQUIRED):
        raise ImportFileError(
            gettext("The first row must be the template's header: %(header)s.", header=",".join(COLUMNS))
        )
    rows = []
    for line, values in enumerate(raw[1:], 2):
        cells = [("" if v is None else str(v)).strip() for v in values] + [""] * len(COLUMNS)
        if any(cells[: len(COLUMNS)]):
            rows.append((line, dict(zip(COLUMNS, cells, strict=False))))
    if len(rows) > MAX_ROWS:
        raise ImportFileError(gettext("At most %(num)d rows in one file.", num=MAX_ROWS))
    return rows


def _xlsx_rows(data: bytes) -> list[list]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise ImportFileError(gettext("Not an XLSX file.")) from exc
    try:
        return [list(row) for row in book.worksheets[0].iter_rows(max_row=MAX_ROWS + 2, values_only=True)]
    finally:
        book.close()


def plan(rows: list[tuple[int, dict]]) -> Plan:
    """Check every row against the database and the earlier rows; what the import would do."""
    result = Plan()
    known = {o.code: o for o in db.session.scalars(select(Organisation))}
    in_file: dict[str, dict] = {}  # code → kind, path of organisations the file defines or names
    users = {u.username: u for u in db.session.scalars(select(User))}
    seen_users: set[str] = set()
    for line, row in rows:
        problems = _organisation_row(line, row, known, in_file, result)
        if row["username"] and not problems:
            problems = _user_row(line, row, known, in_file, users, seen_users, result)
        result.problems += [(line, p) for p in problems]
    return result


def _organisation_row(line, row, known, in_file, result) -> list[str]:
    code, kind, name, parent_code = row["org_code"], row["org_kind"], row["org_name"], row["parent_code"]
    if code in in_file:  # a further user of an organisation of an earlier row
        first = in_file[code]
        differs = [
            c for c, v in (("org_kind", kind), ("org_name", name), ("parent_code", parent_code)) if v and v != first[c]
        ]
        if not differs:
            return []
        return [
            gettext(
                "%(columns)s differ from line %(line)d, where %(code)s first appears",
                columns=", ".join(differs),
                line=first["line"],
                code=code,
            )
        ]
    if not kind and not name and code in known:  # only names an existing organisation, for a user
        org = known[code]
        in_file[code] = {"line": line, "org_kind": org.kind, "org_name": org.name, "parent_code": "", "path": org.path}
        return []
    parent = None
    if parent_code:
        if parent_code in in_file:
            parent = (in_file[parent_code]["org_kind"], in_file[parent_code]["path"])
        elif parent_code in known:
            parent = (known[parent_code].kind, known[parent_code].path)
        else:
            return [
                gettext("parent %(code)s is neither in the database nor on an earlier line", code=repr(parent_code))
            ]
    problems = organisation_problems(code, kind, name, parent)
    if problems:
        return problems
    path = expected_path(code, parent)
    if code in known:
        org = known[code]
        if org.path != path or org.kind != kind:
            return [
                gettext(
                    "%(code)s exists as a %(kind)s at %(path)s; the import does not move organisations",
                    code=code,
                    kind=kind_label(org.kind),
                    path=org.path,
                )
            ]
        if org.name != name:
            result.renamed_orgs.append((line, org, name))
        else:
            result.unchanged += 1
    else:
        result.new_orgs.append(
            (line, {"code": code, "kind": kind, "name": name, "parent_code": parent_code, "path": path})
        )
    in_file[code] = {"line": line, "org_kind": kind, "org_name": name, "parent_code": parent_code, "path": path}
    return []


def _user_row(line, row, known, in_file, users, seen_users, result) -> list[str]:
    username, name, role, code = row["username"], row["user_name"], row["role"], row["org_code"]
    email = row.get("email", "")
    problems = user_problems(username, name, role, in_file[code]["org_kind"]) + [
        p for p in (email_problem(email),) if p
    ]
    if problems:
        return problems
    if username in seen_users:
        return [gettext("username %(username)s appears on an earlier line", username=repr(username))]
    seen_users.add(username)
    wanted = {"username": username, "name": name, "role": role, "org_code": code, "email": email or None}
    user = users.get(username)
    if user is None:
        result.new_users.append((line, wanted))
    elif (user.name, user.role, user.organisation.code) != (name, role, code) or (email and email != user.email):
        result.changed_users.append((line, user, wanted))
    else:
        result.unchanged += 1
    return []


def apply(result: Plan, by: User | None, source: str) -> list[tuple[User, str]]:
    """Write a plan without problems in one transaction; (new user, temporary password) pairs.

    The passwords are hashed before the write lock is taken (30 ms each). The plan's objects
    belong to the current session, so they are written as they are."""
    assert result.ok
    new_users = []
    for _line, wanted in result.new_users:
        user = User(username=wanted["username"], name=wanted["name"], role=wanted["role"], email=wanted["email"])
        new_users.append((user, wanted["org_code"], service.issue_temporary_password(user)))
    with write_transaction():
        orgs = {o.code: o for o in db.session.scalars(select(Organisation))}
        for _line, new in result.new_orgs:
            org = Organisation(code=new["code"], kind=new["kind"], name=new["name"], path=new["path"])
            org.parent = orgs.get(new["parent_code"])
            db.session.add(org)
            orgs[org.code] = org
        for _line, org, name in result.renamed_orgs:
            org.name = name
        db.session.flush()
        for user, code, _password in new_users:
            user.organisation = orgs[code]
            if user.role == "trainer":
                user.assigned = [orgs[code]]
            db.session.add(user)
            db.session.flush()
            audit.record("user_create", by, f"{user.username} {user.role} {code} (import)", subject=user)
        for _line, user, wanted in result.changed_users:
            if (user.role, user.organisation.code) != (wanted["role"], wanted["org_code"]):
                service.end_sessions(user)  # what they may see changes
            user.name, user.role, user.organisation = wanted["name"], wanted["role"], orgs[wanted["org_code"]]
            user.email = wanted["email"] or user.email  # an empty cell keeps the address
            audit.record(
                "user_update", by, f"{user.username}: {wanted['role']} {wanted['org_code']} (import)", subject=user
            )
        audit.record(
            "tree_import",
            by,
            f"{source}: {len(result.new_orgs)} organisations created, {len(result.renamed_orgs)} renamed, "
            f"{len(result.new_users)} users created, {len(result.changed_users)} changed",
        )
        db.session.commit()
    return [(user, password) for user, _code, password in new_users]


def template_rows() -> list[tuple[str, ...]]:
    return [COLUMNS, *EXAMPLE]
