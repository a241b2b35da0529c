"""SQLite settings that let several server processes share one database file, and the one way
to write: `write_transaction()`.

WAL and a busy timeout let readers and one writer work at once. The remaining trap is a
deferred transaction that reads and then writes: it cannot wait for the write lock, and
SQLite answers "database is locked" at once if another process wrote in between. So the code
path says which transactions write, not the HTTP verb:
- every transaction is a plain read (BEGIN), in a request whatever its verb, in a command or a job;
- a write goes in `with write_transaction(): ... db.session.commit()`, which ends the read and
  begins a transaction that takes the write lock at once (BEGIN IMMEDIATE), held only while writing.
With `SQLITE_WRITE_GUARD` (always in tests) an INSERT, UPDATE or DELETE outside `write_transaction()`
raises `UnlockedWrite`, so a forgotten write path is a red test, not "database is locked" under load.

Writers then queue for that lock. SQLite's own busy handler polls for it, sleeping 1, 2, 5, 10 …
up to 100 ms between tries, and a waiter that sleeps through a free moment loses its turn: with
1,000 simultaneous users the server's threads spent 13 % of their time there
(`python -m bench.load --users 1000 --profile`), and writers waited up to 0.6 s for a lock held
for a millisecond (`python -m bench writers`). So a write transaction first takes a lock of its
own on a file beside the database (`WriterQueue`: a thread lock, then `flock`), which hands the
turn to the next writer the moment it is free, in this process and in the others (longest wait
8–10 ms); the busy timeout stays as the fallback for writers that do not take it (another
program, sqlite3's shell).

`init_app(app)` attaches all this to the app's own engines (`configure_engine` to any other
SQLite engine). On PostgreSQL none of it applies: `write_transaction()` only ends the read.
"""

from __future__ import annotations

import fcntl
import os
import threading
from contextlib import contextmanager
from contextvars import ContextVar

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from .extensions import db

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class UnlockedWrite(RuntimeError):
    """A write outside `write_transaction()` on SQLite (raised where `SQLITE_WRITE_GUARD` is on)."""


def init_app(app: Flask) -> None:
    """Attach the SQLite settings and lock modes to the app's engines (after `db.init_app`)."""
    guard = app.config["SQLITE_WRITE_GUARD"] or app.testing
    with app.app_context():
        for engine in db.engines.values():
            configure_engine(engine, guard=guard)


def configure_engine(engine: Engine, *, guard: bool = False) -> None:
    """Pragmas, BEGIN or BEGIN IMMEDIATE by the code path, and the writer queue, on a SQLite engine."""
    if engine.dialect.name != "sqlite" or event.contains(engine, "begin", _sqlite_begin):
        return
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "begin", _sqlite_begin)
    event.listen(engine, "commit", _commit)
    event.listen(engine, "rollback", _rollback)
    event.listen(engine, "checkin", _connection_returns)  # a pool event, on this engine's pool
    if guard:
        event.listen(engine, "before_cursor_execute", _refuse_unlocked_write)


def _sqlite_pragmas(dbapi_connection, _record):
    dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" event below emits BEGIN itself
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=10000")  # first: switching to WAL needs the lock for a moment too
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


_writing: ContextVar[bool] = ContextVar("writing", default=False)


def _sqlite_begin(conn):
    if not _writing.get():
        conn.exec_driver_sql("BEGIN")
        return
    queue = WriterQueue.of(conn.engine.url.database)
    if queue is not None:
        queue.acquire()
        conn.info["writer_queue"] = queue
    try:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    except BaseException:
        _leave_queue(conn.info)
        raise
    conn.info["write_lock"] = True


def _refuse_unlocked_write(conn, _cursor, statement, _parameters, _context, _executemany):
    if not conn.info.get("write_lock") and statement.lstrip()[:7].upper().startswith(WRITES):
        raise UnlockedWrite(f"a write outside write_transaction(): {statement[:200]}")


class WriterQueue:
    """Writers of one SQLite file take turns: a thread lock within the process, `flock` on
    "<database>-writer" between processes; both wake the next waiter as soon as it is free."""

    _queues: dict[str, WriterQueue] = {}
    _guard = threading.Lock()

    def __init__(self, path: str):
        self.pid, self.thread_lock = os.getpid(), threading.Lock()
        self.fd = os.open(f"{path}-writer", os.O_RDWR | os.O_CREAT, 0o600)

    @classmethod
    def of(cls, path: str | None) -> WriterQueue | None:
        if not path or path == ":memory:" or path.startswith("file:"):
            return None
        with cls._guard:
            queue = cls._queues.get(path)
            if queue is None or queue.pid != os.getpid():  # a forked child opens its own file
                queue = cls._queues[path] = cls(path)
            return queue

    def acquire(self) -> None:
        self.thread_lock.acquire()
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        except BaseException:
            self.thread_lock.release()
            raise

    def release(self) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        self.thread_lock.release()


def _leave_queue(info: dict) -> None:
    queue = info.pop("writer_queue", None)
    if queue is not None:
        queue.release()


def _commit(conn):
    _end_in_turn(conn, "commit")


def _rollback(conn):
    _end_in_turn(conn, "rollback")


def _end_in_turn(conn, how: str) -> None:
    """A writer ends its transaction itself, then hands the turn on, so that the next one finds
    SQLite's lock free; SQLAlchemy's own COMMIT or ROLLBACK that follows has nothing left to do."""
    conn.info.pop("write_lock", None)
    if "writer_queue" in conn.info:
        try:
            getattr(conn.connection.driver_connection, how)()
        finally:
            _leave_queue(conn.info)


def _connection_returns(_dbapi_connection, record):
    if record is not None:  # a transaction ended without the events above (the pool's own reset)
        record.info.pop("write_lock", None)
        _leave_queue(record.info)


@contextmanager
def writing():
    """Within the block, a transaction that begins takes the write lock (no session involved:
    for code on an engine of its own, such as the writer benchmark)."""
    token = _writing.set(True)
    try:
        yield
    finally:
        _writing.reset(token)


@contextmanager
def write_transaction():
    """End the current (read) transaction; the statements inside run in one locked transaction.

    The caller commits inside the block.
    """
    db.session.commit()
    with writing():
        yield
