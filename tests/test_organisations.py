"""The rules of organisations and users (`app.organisations`) on the command line, as the outside
probe met them; `import-all` applies the same rules (tests/test_backup.py)."""

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Organisation, User


def count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["C1/G1", "committee", "假党委"], "Code 'C1/G1' must be 1–20 letters, digits or hyphens"),
        (["G1/B9", "branch", "x", "--parent", "G1"], "Code 'G1/B9' must be"),
        (["X\r\nSet-Cookie: a=b", "committee", "x"], "must be 1–20 letters"),
        (["X-", "committee", "x"], "beginning and ending with a letter or digit"),
        (["A" * 21, "committee", "x"], "must be 1–20"),
        (["A_B", "committee", "x"], "must be 1–20"),
        (["ESC", "committee", "\x1b[31m红色\x1b[0m"], "contains control or unprintable characters"),
        (["EMPTY", "committee", "  "], "Name must not be empty"),
        (["LONG", "committee", "党" * 201], "at most 200 characters"),
        (["Z1", "branch", "x"], "Only a committee can stand without a parent"),
        (["Z1", "committee", "x", "--parent", "B1"], "A committee cannot sit under a branch"),
    ],
)
def test_create_org_refuses_what_would_break_the_tree_or_the_output(app, runner, world, args, message):
    result = runner.invoke(args=["create-org", *args])
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert count(app, Organisation) == 7


def test_a_code_with_hyphens_and_digits_is_fine(app, runner, world):
    result = runner.invoke(args=["create-org", "G1-B09", "branch", "第九党支部（试点）", "--parent", "G1"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(Organisation.path).where(Organisation.code == "G1-B09")) == "/C1/G1/G1-B09/"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["new user", "--org", "B1", "--role", "branch"], "must not contain spaces"),
        (["new", "--org", "B1", "--role", "branch", "--name", "\x1b]0;pwned\x07"], "control or unprintable"),
        (["new", "--org", "G1", "--role", "branch"], "A branch user must belong to a branch"),
    ],
)
def test_create_user_follows_the_same_rules(app, runner, world, args, message):
    result = runner.invoke(args=["create-user", *args, "--password", "long-enough-1"])
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert count(app, User) == 9
