"""SQLite's write lock: taken by `write_transaction()` (the code path), never by a request's verb; a write
outside it fails loudly in tests; writers take turns in the writer queue (app.database.WriterQueue), not in
SQLite's busy handler; the settings are on the app's own engine, not on every engine."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
import time

import pytest
from sqlalchemy import create_engine, select, text, update

from app.database import UnlockedWrite, configure_engine, write_transaction, writing
from app.extensions import db
from app.models import Cycle, Organisation, SelfCheck, User
from tests.conftest import THIS_YEAR


def hold_the_write_lock(url: str, ready, seconds: float) -> None:
    import time

    engine = create_engine(url)
    configure_engine(engine)
    with writing(), engine.begin() as conn:  # BEGIN IMMEDIATE, after the queue's turn
        conn.execute(text("INSERT INTO t VALUES ('first')"))
        ready.set()
        time.sleep(seconds)
    engine.dispose()


def test_a_writer_waits_for_its_turn_without_the_busy_handler(tmp_path):
    url = f"sqlite:///{tmp_path / 'queue.db'}"
    engine = create_engine(url)
    configure_engine(engine)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x TEXT)"))
    other = multiprocessing.get_context("spawn")
    ready = other.Event()
    holder = other.Process(target=hold_the_write_lock, args=(url, ready, 0.3))
    holder.start()
    try:
        assert ready.wait(30)
        with engine.connect() as conn:
            # no busy handler: SQLite alone would answer "database is locked" at once
            conn.connection.driver_connection.execute("PRAGMA busy_timeout=0")
            with writing(), conn.begin():
                conn.execute(text("INSERT INTO t VALUES ('second')"))
            assert conn.execute(text("SELECT x FROM t ORDER BY rowid")).scalars().all() == ["first", "second"]
    finally:
        holder.join(30)
        engine.dispose()
    assert holder.exitcode == 0


# ---------------------------------------------------------------- the lock mode chosen by the code path


def sqlite_path(app) -> str:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("sqlite:///"):
        pytest.skip("SQLite only: PostgreSQL has no database-wide write lock")
    return url.removeprefix("sqlite:///")


def another_writer_can_write(path: str) -> bool:
    """Whether a second connection gets SQLite's write lock at once (no busy handler)."""
    other = sqlite3.connect(path, isolation_level=None, timeout=0)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError as exc:
        if "locked" not in str(exc):
            raise
        return False
    finally:
        other.close()


def test_a_requests_transaction_is_a_read_whatever_its_verb(app, world):
    path = sqlite_path(app)
    with app.test_request_context("/selfcheck/start", method="POST"):
        db.session.scalar(select(User).where(User.username == "b1"))  # the transaction has begun
        assert another_writer_can_write(path)
        db.session.rollback()


def test_write_transaction_holds_the_write_lock_until_its_commit(app, world):
    path = sqlite_path(app)
    with app.test_request_context("/", method="GET"), write_transaction():
        user = db.session.scalar(select(User).where(User.username == "b1"))
        assert not another_writer_can_write(path)  # taken at BEGIN, before anything is written
        user.locale = "en"
        db.session.commit()
        assert another_writer_can_write(path)


def orm_write():
    db.session.scalar(select(User).where(User.username == "b1")).locale = "en"
    db.session.flush()


def core_write():
    db.session.execute(update(User).where(User.username == "b1").values(locale="en"))


@pytest.mark.parametrize("write", [orm_write, core_write])
def test_a_write_outside_write_transaction_fails_loudly(app, world, write):
    sqlite_path(app)
    with app.app_context():
        with pytest.raises(UnlockedWrite, match="outside write_transaction"):
            write()
        db.session.rollback()
        assert db.session.scalar(select(User.locale).where(User.username == "b1")) is None


def test_without_the_guard_an_unlocked_write_goes_through(tmp_path):
    from app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'g.db'}", "SECRET_KEY": "x"})
    assert (app.testing, app.config["SQLITE_WRITE_GUARD"]) == (False, False)  # off in production unless asked
    with app.app_context():
        db.create_all()
        db.session.add(Organisation(code="C1", kind="committee", name="C1", path="/C1/"))
        db.session.commit()
        assert db.session.scalar(select(Organisation.code)) == "C1"


def test_only_the_apps_own_engine_is_configured(app, tmp_path):
    sqlite_path(app)
    with app.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        db.session.rollback()
    other = create_engine(f"sqlite:///{tmp_path / 'other.db'}")
    with other.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "delete"  # no listener on the global Engine
    other.dispose()


def test_concurrent_writers_lose_no_update(app, world):
    """Threads each read a counter and write it back plus one, in write transactions: with the
    lock taken at BEGIN no two read the same value, and none meets "database is locked"."""
    sqlite_path(app)
    threads, rounds = 4, 25
    with app.app_context(), write_transaction():
        org = db.session.scalar(select(Organisation).where(Organisation.code == "B1"))
        cycle = db.session.scalar(select(Cycle).where(Cycle.year == THIS_YEAR))
        db.session.add(SelfCheck(organisation_id=org.id, cycle_id=cycle.id, status="draft", revision=0))
        db.session.commit()
    errors = []

    def bump():
        try:
            with app.app_context():
                for _ in range(rounds):
                    with write_transaction():
                        selfcheck = db.session.scalar(select(SelfCheck))
                        revision = selfcheck.revision
                        time.sleep(0.001)  # widen the window between the read and the write
                        selfcheck.revision = revision + 1
                        db.session.commit()
        except Exception as exc:  # reported below, with the thread's own error
            errors.append(exc)

    workers = [threading.Thread(target=bump) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert errors == []
    with app.app_context():
        assert db.session.scalar(select(SelfCheck.revision)) == threads * rounds
