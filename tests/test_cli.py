"""The command line: organisations, users, cycles, demo data and importing typed-up paper forms."""

import json

import pytest
from sqlalchemy import func, select

from app.assessment.questionnaire import available_versions
from app.database import write_transaction
from app.extensions import db
from app.models import Answer, Cycle, Organisation, SelfCheck, User
from tests.conftest import THIS_YEAR, answers_at, submitted_selfcheck


def invoke(runner, *args, input=None):
    return runner.invoke(args=[str(a) for a in args], input=input)


def test_create_orgs_and_list_them(app, runner):
    assert invoke(runner, "create-org", "DW", "committee", "某某党委").exit_code == 0
    assert invoke(runner, "create-org", "ZB", "general_branch", "机关党总支", "--parent", "DW").exit_code == 0
    assert invoke(runner, "create-org", "B9", "branch", "第九党支部", "--parent", "ZB").exit_code == 0
    result = invoke(runner, "orgs")
    assert result.output.splitlines() == [
        "DW\tcommittee\t某某党委",
        "ZB\tgeneral branch\t机关党总支",
        "B9\tbranch\t第九党支部",
    ]
    with app.app_context():
        assert db.session.scalar(select(Organisation.path).where(Organisation.code == "B9")) == "/DW/ZB/B9/"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("create-org", "B1", "branch", "x", "--parent", "G1"), "exists already"),
        (("create-org", "Z1", "branch", "x"), "Only a committee"),
        (("create-org", "Z1", "branch", "x", "--parent", "NOPE"), "No organisation"),
        (("create-org", "Z1", "committee", "x", "--parent", "B1"), "cannot sit under"),
    ],
)
def test_create_org_refuses_bad_input(app, runner, world, args, message):
    result = invoke(runner, *args)
    assert result.exit_code != 0
    assert message in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Organisation)) == 7


def test_create_user_hashes_the_password(app, runner, world):
    result = invoke(runner, "create-user", "new", "--org", "B1", "--role", "branch", "--password", "long-enough-1")
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "new"))
        assert user.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
        assert "long-enough-1" not in user.password_hash
        assert user.check_password("long-enough-1")
    result = invoke(
        runner,
        "create-user",
        "t2",
        "--org",
        "C1",
        "--role",
        "trainer",
        "--password",
        "long-enough-1",
        "--assign",
        "G1",
        "--assign",
        "X1",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        trainer = db.session.scalar(select(User).where(User.username == "t2"))
        assert sorted(o.code for o in trainer.assigned) == ["G1", "X1"]
    bad = invoke(runner, "create-user", "x", "--org", "G1", "--role", "branch", "--password", "long-enough-1")
    assert bad.exit_code != 0
    assert "must belong to a branch" in bad.output


def test_open_cycle(app, runner, world):
    result = invoke(runner, "open-cycle", THIS_YEAR + 1, "--opens", f"{THIS_YEAR + 1}-03-01")
    assert result.exit_code == 0, result.output
    with app.app_context():
        cycle = db.session.scalar(select(Cycle).where(Cycle.year == THIS_YEAR + 1))
        assert cycle.opens_on.month == 3
        assert cycle.closes_on.month == 12
    assert invoke(runner, "open-cycle", 2030, "--version", "1999-1").exit_code != 0


def test_a_cycle_with_self_checks_keeps_its_questionnaire_version(app, runner, world):
    old, new = available_versions()[0], available_versions()[-1]
    with app.app_context(), write_transaction():
        cycle = db.session.scalar(select(Cycle).where(Cycle.year == THIS_YEAR - 1))
        cycle.questionnaire_version = old
        db.session.commit()
    submitted_selfcheck(app, "B1", THIS_YEAR - 1, level=2)
    # changing its window keeps its version (not the newest)
    moved = invoke(runner, "open-cycle", THIS_YEAR - 1, "--closes", f"{THIS_YEAR - 1}-11-30")
    assert moved.exit_code == 0, moved.output
    assert f"questionnaire {old}" in moved.output
    refused = invoke(runner, "open-cycle", THIS_YEAR - 1, "--version", new)
    assert refused.exit_code != 0
    assert "cannot change" in refused.output
    with app.app_context():
        assert db.session.scalar(select(Cycle.questionnaire_version).where(Cycle.year == THIS_YEAR - 1)) == old


def test_seed_demo_then_refuse_to_seed_twice(app, runner):
    result = invoke(runner, "seed-demo")
    assert result.exit_code == 0, result.output
    with app.app_context():
        branches = db.session.scalar(
            select(func.count()).select_from(Organisation).where(Organisation.kind == "branch")
        )
        assert branches >= 6
        assert {u.role for u in db.session.scalars(select(User))} == {"branch", "leader", "trainer", "admin"}
        years = db.session.scalars(select(Cycle.year).join(SelfCheck).distinct()).all()
        assert len(years) == 2
    assert "not seeded" in invoke(runner, "seed-demo", "--if-empty").output
    assert invoke(runner, "seed-demo").exit_code != 0


def answers_json(tmp_path, answers, branch="B1", year=THIS_YEAR):
    path = tmp_path / "answers.json"
    path.write_text(json.dumps({"branch": branch, "year": year, "answers": answers}, indent=2, ensure_ascii=False))
    return path


def answer_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Answer))


def test_import_json_and_submit(app, runner, world, tmp_path):
    path = answers_json(tmp_path, answers_at(4))
    result = invoke(runner, "import-answers", path, "--submit")
    assert result.exit_code == 0, result.output
    assert "Submitted" in result.output
    with app.app_context():
        selfcheck = db.session.scalar(select(SelfCheck))
        assert selfcheck.status == "submitted"
        assert selfcheck.organisation.code == "B1"
    assert answer_count(app) == len(answers_at(4))


def test_import_csv(app, runner, world, tmp_path):
    path = tmp_path / "answers.csv"
    rows = ["branch,year,item,value"] + [f"B2,{THIS_YEAR},{k},{v}" for k, v in list(answers_at(2).items())[:5]]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = invoke(runner, "import-answers", path)
    assert result.exit_code == 0, result.output
    assert answer_count(app) == 5


def test_import_reports_every_bad_row_and_writes_nothing(app, runner, world, tmp_path):
    path = tmp_path / "answers.csv"
    path.write_text(
        "branch,year,item,value\n"
        f"B1,{THIS_YEAR},L01,4\n"
        f"B1,{THIS_YEAR},L01,5\n"  # line 3: twice
        f"B1,{THIS_YEAR},ZZ9,1\n"  # line 4: unknown item
        f"B1,{THIS_YEAR},L03,9\n"  # line 5: out of range
        f"B2,{THIS_YEAR},L04,2\n"  # line 6: another branch
        f"B1,{THIS_YEAR},L05,3\n",
        encoding="utf-8",
    )
    result = invoke(runner, "import-answers", path)
    assert result.exit_code != 0
    for line in (3, 4, 5, 6):
        assert f"answers.csv:{line}:" in result.output
    assert "answers.csv:2:" not in result.output
    assert "nothing was imported" in result.output
    assert answer_count(app) == 0


def test_import_csv_with_old_mac_line_ends(app, runner, world, tmp_path):
    """A bare CR ends a line, as some spreadsheets still save it."""
    path = tmp_path / "answers.csv"
    rows = ["branch,year,item,value"] + [f"B2,{THIS_YEAR},{k},{v}" for k, v in list(answers_at(2).items())[:3]]
    path.write_bytes("\r".join(rows).encode())
    result = invoke(runner, "import-answers", path)
    assert result.exit_code == 0, result.output
    assert answer_count(app) == 3


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        (f"branch,year,item,value\nB1,{THIS_YEAR},L01,4\nB1,{THIS_YEAR},L02,\x002\n", 3, "invalid value"),
        (f"branch,year,item,value\nB1,{THIS_YEAR},L01,4\nB1,{THIS_YEAR},L09,{'x' * 200_000}\n", 3, "cannot be read"),
        (f"branch,year,item,value\nB1,\u00b2{THIS_YEAR},L01,4\n", 2, "is not a year"),
    ],
)
def test_import_csv_names_a_line_it_cannot_read(app, runner, world, tmp_path, content, line, message):
    path = tmp_path / "answers.csv"
    path.write_text(content, encoding="utf-8")
    result = invoke(runner, "import-answers", path)
    assert result.exit_code != 0
    assert f"answers.csv:{line}:" in result.output, result.output
    assert message in result.output, result.output
    assert "nothing was imported" in result.output
    assert answer_count(app) == 0


def test_import_json_names_the_line_of_a_bad_answer(app, runner, world, tmp_path):
    answers = answers_at(3)
    answers["L02"] = "many"
    path = answers_json(tmp_path, answers)
    result = invoke(runner, "import-answers", path)
    assert result.exit_code != 0
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if '"L02"' in text)
    assert f"answers.json:{line}: item L02" in result.output
    assert answer_count(app) == 0


@pytest.mark.parametrize(
    "content",
    ["{not json", '{"branch": "B1"}', '{"branch": "NOPE", "year": 2020, "answers": {"L01": 1}}', ""],
)
def test_import_refuses_malformed_files(app, runner, world, tmp_path, content):
    path = tmp_path / "answers.json"
    path.write_text(content)
    result = invoke(runner, "import-answers", path)
    assert result.exit_code != 0
    assert "answers.json:" in result.output
    assert answer_count(app) == 0


def test_import_into_a_submitted_selfcheck_is_refused(app, runner, world, tmp_path):
    submitted_selfcheck(app, "B1", THIS_YEAR)
    before = answer_count(app)
    result = invoke(runner, "import-answers", answers_json(tmp_path, {"L01": 1}))
    assert result.exit_code != 0
    assert "already submitted" in result.output
    assert answer_count(app) == before
