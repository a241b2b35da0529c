"""SQLite writers take turns in the writer queue (app.database.WriterQueue), not in SQLite's busy handler."""

from __future__ import annotations

import multiprocessing

from sqlalchemy import create_engine, text

import app.database  # noqa: F401  (the engine events under test)


def hold_the_write_lock(url: str, ready, seconds: float) -> None:
    import time

    engine = create_engine(url)
    with engine.begin() as conn:  # outside a request: BEGIN IMMEDIATE, after the queue's turn
        conn.execute(text("INSERT INTO t VALUES ('first')"))
        ready.set()
        time.sleep(seconds)
    engine.dispose()


def test_a_writer_waits_for_its_turn_without_the_busy_handler(tmp_path):
    url = f"sqlite:///{tmp_path / 'queue.db'}"
    engine = create_engine(url)
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
            with conn.begin():
                conn.execute(text("INSERT INTO t VALUES ('second')"))
            assert conn.execute(text("SELECT x FROM t ORDER BY rowid")).scalars().all() == ["first", "second"]
    finally:
        holder.join(30)
        engine.dispose()
    assert holder.exitcode == 0
