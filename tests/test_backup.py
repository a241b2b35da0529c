"""`export-all` / `import-all`: the whole database through one JSON file, on real databases.

The demo data is seeded into a source database, exported with the CLI, imported into a
second, fresh database, and every row of every model table is compared. On PostgreSQL
(TEST_DATABASE_URL) each database is a schema of its own, created and dropped here, so
these tests do not touch the tables other tests use.
"""

from __future__ import annotations

import json
import os
import re
import tracemalloc
import uuid
from datetime import date

import pytest
from flask_migrate import stamp
from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from app import backup, create_app
from app.database import write_transaction
from app.extensions import db
from app.models import Answer, Cycle, Organisation, SelfCheck, User

PG_URL = os.environ.get("TEST_DATABASE_URL")
PAIRS = [("sqlite", "sqlite")] + ([("postgresql", "postgresql"), ("sqlite", "postgresql")] if PG_URL else [])
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


@pytest.fixture
def new_app(tmp_path):
    """A factory of apps, each on a new empty database with the current schema; all dropped afterwards."""
    apps, schemas = [], []

    def make(kind: str, name: str):
        if kind == "sqlite":
            url = f"sqlite:///{tmp_path / (name + '.db')}"
        else:
            schema = f"backup_{name}_{uuid.uuid4().hex[:10]}"
            with admin_engine().begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            schemas.append(schema)
            url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
            url = url.render_as_string(hide_password=False)
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test-secret"})
        with app.app_context():
            db.create_all()
            stamp()  # as `flask init-db` leaves it: the schema revision is recorded
        apps.append(app)
        return app

    yield make
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    if schemas:
        with admin_engine().begin() as conn:
            for schema in schemas:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


def admin_engine():
    return create_engine(PG_URL, poolclass=NullPool)


def seed_demo(app) -> None:
    from app.demo import seed

    with app.app_context():
        seed()


def snapshot(app) -> dict[str, list[tuple]]:
    """Every row (all columns) of every model table, in primary-key order."""
    with app.app_context():
        out = {}
        for table in db.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            out[table.name] = [tuple(row) for row in db.session.execute(select(*table.columns).order_by(*order))]
        db.session.rollback()
        return out


def revision(app) -> str | None:
    with app.app_context(), db.engine.connect() as conn:
        return backup.alembic_revision(conn)


def cli(app, *args):
    """Run a flask command against `app`; the result's output holds stdout and stderr."""
    return app.test_cli_runner().invoke(args=list(args))


@pytest.mark.parametrize(("source_kind", "target_kind"), PAIRS)
def test_round_trip_keeps_every_row_and_new_rows_get_fresh_ids(new_app, tmp_path, source_kind, target_kind):
    source = new_app(source_kind, "src")
    seed_demo(source)
    before = snapshot(source)
    assert set(before) == set(db.metadata.tables)  # every table, including ones added later
    assert before["answer"]
    assert before["self_check"]
    assert before["organisation"]
    assert before["user"]

    dump = tmp_path / "dump.json"
    result = cli(source, "export-all", str(dump))
    assert result.exit_code == 0, result.output
    assert "Exported" in result.output

    data = json.loads(dump.read_text(encoding="utf-8"))
    assert data["format"] == backup.FORMAT
    assert data["version"] == backup.FORMAT_VERSION
    assert data["alembic_revision"] == revision(source) is not None
    assert list(data["tables"]) == [t.name for t in db.metadata.sorted_tables]
    created = data["tables"]["self_check"]["columns"].index("created_at")
    assert all(isinstance(row[created], str) for row in data["tables"]["self_check"]["rows"])
    opens = data["tables"]["cycle"]["columns"].index("opens_on")
    assert {row[opens] for row in data["tables"]["cycle"]["rows"]} == {
        date(date.today().year - 1, 1, 1).isoformat(),
        date.today().replace(month=1, day=1).isoformat(),
    }

    target = new_app(target_kind, "dst")
    result = cli(target, "import-all", str(dump))
    assert result.exit_code == 0, result.output
    assert f"Imported {sum(len(t['rows']) for t in data['tables'].values())} rows" in result.output

    after = snapshot(target)
    for name, rows in before.items():
        assert after[name] == rows, f"table {name} differs after the round trip"

    with target.app_context(), write_transaction():
        assert_sequences_past_max_ids()
        # the application writes on: new rows get fresh ids, and the service works on imported data
        org_ids = set(db.session.scalars(select(Organisation.id)))
        committee = db.session.scalar(select(Organisation).where(Organisation.code == "CG"))
        branch = Organisation(code="NEW", kind="branch", name="新支部", parent=committee, path=committee.path + "NEW/")
        db.session.add(branch)
        db.session.flush()
        user = User(username="new-user", name="N", role="branch", organisation=branch, password_hash="x")
        db.session.add(user)
        db.session.commit()
        assert branch.id not in org_ids
        assert branch.id > max(org_ids)
        assert user.id > max(row[0] for row in before["user"])

        from app.selfcheck import service

        cycle = db.session.scalar(select(Cycle).where(Cycle.year == date.today().year))
        selfcheck = service.start_selfcheck(branch, cycle)
        assert selfcheck.id > max(row[0] for row in before["self_check"])
        outcome = service.save_answers(selfcheck, {"L01": "4"}, user, writer=service.user_writer(user.id), seq=1)
        assert outcome.saved == ["L01"]
        answer = db.session.scalar(select(Answer).where(Answer.selfcheck_id == selfcheck.id))
        assert answer.id > max(row[0] for row in before["answer"])
        # and the imported drafts can still be saved
        draft = db.session.scalar(select(SelfCheck).where(SelfCheck.status == "draft", SelfCheck.cycle_id == cycle.id))
        assert service.save_answers(draft, {"L01": "2"}, None, writer="page:backup", seq=2).saved == ["L01"]


def assert_sequences_past_max_ids():
    """PostgreSQL: the next value of every id sequence is above the largest imported id."""
    conn = db.session.connection()
    if conn.dialect.name != "postgresql":
        return
    quote = conn.dialect.identifier_preparer
    checked = 0
    for table in db.metadata.sorted_tables:
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or not isinstance(pk[0].type, db.Integer):
            continue
        sequence = conn.scalar(
            text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": quote.format_table(table), "c": pk[0].name}
        )
        if sequence is None:
            continue
        last, called = conn.execute(text(f"SELECT last_value, is_called FROM {sequence}")).one()
        following = last + 1 if called else last
        biggest = conn.scalar(select(func.max(pk[0]))) or 0
        assert following > biggest, f"sequence of {table.name} would give {following}, largest id is {biggest}"
        checked += 1
    assert checked >= 5


@pytest.mark.parametrize("kind", BACKENDS)
def test_import_into_a_non_empty_database_is_refused_and_changes_nothing(new_app, tmp_path, kind):
    source = new_app("sqlite", "src")
    seed_demo(source)
    dump = tmp_path / "dump.json"
    assert cli(source, "export-all", str(dump)).exit_code == 0

    target = new_app(kind, "dst")
    with target.app_context(), write_transaction():
        db.session.add(Organisation(code="ONLY", kind="committee", name="已有数据", path="/ONLY/"))
        db.session.commit()
    before = snapshot(target)

    result = cli(target, "import-all", str(dump))
    assert result.exit_code != 0
    assert "not empty" in result.output
    assert "organisation (1)" in result.output
    assert "Nothing was imported" in result.output
    assert snapshot(target) == before


def broken(data: dict, how: str) -> dict:
    data = json.loads(json.dumps(data))
    tables = data["tables"]
    if how == "unknown table":
        tables["spaceship"] = {"columns": ["id"], "rows": [[1]]}
    elif how == "unknown column":
        tables["answer"]["columns"].append("colour")
        for row in tables["answer"]["rows"]:
            row.append("red")
    elif how == "bad date":
        tables["cycle"]["rows"][-1][tables["cycle"]["columns"].index("opens_on")] = "31/12/2026"
    elif how == "short row":
        tables["self_check"]["rows"][0].pop()
    elif how == "dangling reference":  # passes the checks, refused by the database's foreign key mid-import
        column = tables["answer"]["columns"].index("selfcheck_id")
        tables["answer"]["rows"][-1][column] = 999_999
    elif how == "other revision":
        data["alembic_revision"] = "0123456789ab"
    else:  # one value of one row: what the outside probe put there
        table, column, value = ODD_VALUES[how]
        rows = tables[table]["rows"]
        rows[-1][tables[table]["columns"].index(column)] = value
    return data


# (table, column, value); "@…@" values are put into the file's text as they are, not as JSON strings
ODD_VALUES = {
    "nested 5,000 deep": ("answer", "value", "@" + "[" * 5000 + "]" * 5000 + "@"),
    "5,000 digits": ("answer", "seq", "@" + "7" * 5000 + "@"),
    "year 10^30": ("cycle", "year", "@1" + "0" * 30 + "@"),
    "year 2^40": ("cycle", "year", 2**40),
    "NUL in a name": ("organisation", "name", "党委\x00"),
    "kind planet": ("organisation", "kind", "planet"),
    "code with a slash": ("organisation", "code", "CG/CG-JG"),
    "root path": ("organisation", "path", "/"),
    "role superuser": ("user", "role", "superuser"),
    "escape in a name": ("user", "name", "\x1b[2J"),
}


def broken_text(data: dict, how: str) -> str:
    return re.sub(r'"@([^"@]*)@"', r"\1", json.dumps(broken(data, how)))


EXPECTED = {
    "unknown table": "unknown table 'spaceship'",
    "unknown column": "unknown column 'colour' in table 'answer'",
    "bad date": "table 'cycle', row 2, column 'opens_on'",
    "short row": "table 'self_check', row 1: expected a list of",
    "dangling reference": "the database refused the rows of table 'answer'",
    "other revision": "schema revision 0123456789ab",
    "nested 5,000 deep": "table 'answer', row 660, column 'value': unexpected list",
    "5,000 digits": "table 'answer', row 660: cannot read the file as JSON: parse error: integer overflow",
    "year 10^30": "table 'cycle', row 2: cannot read the file as JSON: parse error: integer overflow",
    "year 2^40": "table 'cycle', row 2, column 'year': 1099511627776 is beyond what the column holds",
    "NUL in a name": "table 'organisation', row 13, column 'name': contains NUL",
    "kind planet": "table 'organisation', row 13: kind 'planet' must be one of committee",
    "code with a slash": "table 'organisation', row 13: code 'CG/CG-JG' must be 1–20 letters",
    "root path": "table 'organisation', row 13: path '/' must be '/CG/CG-SQ/B06/'",
    "role superuser": "table 'user', row 14: role 'superuser' must be one of branch",
    "escape in a name": "table 'user', row 14: name '\\x1b[2J' contains control or unprintable characters",
}


@pytest.mark.parametrize("kind", BACKENDS)
def test_a_bad_file_is_refused_with_a_clear_message_and_nothing_is_written(new_app, tmp_path, kind):
    source = new_app("sqlite", "src")
    seed_demo(source)
    dump = tmp_path / "dump.json"
    assert cli(source, "export-all", str(dump)).exit_code == 0
    good = json.loads(dump.read_text(encoding="utf-8"))

    target = new_app(kind, "dst")
    for how, message in EXPECTED.items():
        bad = tmp_path / f"{how.replace(' ', '-')}.json"
        bad.write_text(broken_text(good, how), encoding="utf-8")
        result = cli(target, "import-all", str(bad))
        assert result.exit_code != 0, how
        assert message in result.output, (how, result.output)
        assert "Nothing was imported" in result.output
        with target.app_context(), db.engine.connect() as conn:
            assert backup.rows_present(conn) == {}, f"{how}: rows were written"

    not_json = tmp_path / "not.json"
    not_json.write_text("{ half a file", encoding="utf-8")
    result = cli(target, "import-all", str(not_json))
    assert result.exit_code != 0
    assert "cannot read the file as JSON" in result.output

    # the good file still goes in afterwards: the refused attempts left nothing behind
    assert cli(target, "import-all", str(dump)).exit_code == 0
    assert snapshot(target) == snapshot(source)


def test_rows_of_a_self_referencing_table_go_in_parents_first(new_app):
    app = new_app("sqlite", "x")
    with app.app_context():
        table = Organisation.__table__
        rows = [{"id": 3, "parent_id": 2}, {"id": 2, "parent_id": 1}, {"id": 1, "parent_id": None}]
        assert [r["id"] for r in backup.self_referencing_order(table, rows)] == [1, 2, 3]
        with pytest.raises(backup.BackupError, match="cycle"):
            backup.self_referencing_order(table, [{"id": 1, "parent_id": 2}, {"id": 2, "parent_id": 1}])
        assert "organisation" in inspect(db.engine).get_table_names()


def bulk_drafts(app, committee: str, year: int, branches: int) -> int:
    """`branches` more branches under `committee`, each with a draft of `year` answering every
    item, written with bulk INSERTs (a large database in a second); the number of answers."""
    from app.assessment.questionnaire import get_questionnaire
    from app.models import Answer, utcnow
    from tests.conftest import VERSION, answers_at

    questionnaire = get_questionnaire(VERSION)
    answers, _errors = questionnaire.parse_answers(answers_at(3))
    now = utcnow()
    with app.app_context(), write_transaction():
        parent = db.session.scalar(select(Organisation).where(Organisation.code == committee))
        cycle_id = db.session.scalar(select(Cycle.id).where(Cycle.year == year))
        first = 100_000
        ids = range(first, first + branches)
        db.session.execute(Organisation.__table__.insert(), [
            {"id": i, "code": f"M{i}", "kind": "branch", "name": f"第{i}党支部", "parent_id": parent.id,
             "path": f"{parent.path}M{i}/"} for i in ids])  # fmt: skip
        db.session.execute(SelfCheck.__table__.insert(), [
            {"id": i, "organisation_id": i, "cycle_id": cycle_id, "status": "draft", "revision": 1, "created_at": now,
             "updated_at": now} for i in ids])  # fmt: skip
        rows = [{"selfcheck_id": i, "item_id": item, "value": json.dumps(value, ensure_ascii=False),
                 "score": questionnaire.items[item].score(value), "seq": i, "updated_at": now}
                for i in ids for item, value in answers.items()]  # fmt: skip
        db.session.execute(Answer.__table__.insert(), rows)
        db.session.commit()
        return len(rows)


def round_trip_peaks(new_app, tmp_path, branches: int) -> tuple[int, int, int]:
    """Export a database of `branches` bulk drafts and import it again: (file size, peak memory of
    the export, of the import), as Python's allocations traced beyond what was held before."""
    source = new_app("sqlite", f"src{branches}")
    seed_demo(source)
    bulk_drafts(source, "CG", date.today().year - 1, branches)
    target = new_app("sqlite", f"dst{branches}")
    dump = tmp_path / f"dump{branches}.json"
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        assert cli(source, "export-all", str(dump)).exit_code == 0
        export_peak = tracemalloc.get_traced_memory()[1] - baseline
        tracemalloc.reset_peak()
        baseline = tracemalloc.get_traced_memory()[0]
        result = cli(target, "import-all", str(dump))
        import_peak = tracemalloc.get_traced_memory()[1] - baseline
    finally:
        tracemalloc.stop()
    assert result.exit_code == 0, result.output
    assert snapshot(target) == snapshot(source)
    return dump.stat().st_size, export_peak, import_peak


def test_export_and_import_stream_rows_instead_of_holding_the_file(new_app, tmp_path):
    small = round_trip_peaks(new_app, tmp_path, 150)
    large = round_trip_peaks(new_app, tmp_path, 600)
    assert large[0] > 3.5 * small[0]
    # a file four times as large takes no more memory: a batch of rows at a time, never the file
    assert large[1] < 1.5 * small[1], (small, large)
    assert large[2] < 1.5 * small[2], (small, large)
