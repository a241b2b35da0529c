"""SQLite settings that let several server processes share one database file.

WAL and a busy timeout let readers and one writer work at once. The remaining trap is a
deferred transaction that reads and then writes: it cannot wait for the write lock, and
SQLite answers "database is locked" at once if another process wrote in between. So a
transaction that will write takes the lock when it begins (BEGIN IMMEDIATE):
- every transaction of a request that changes state (POST, PUT, PATCH, DELETE) and of
  commands, unless the view is marked `@reads_then_writes` (or the code runs inside
  `reading_first()`, as jobs do);
- there, the reads run unlocked and the writes go in a `write_transaction()`, so the lock
  is held only while writing (this is what lets autosave and log-in scale, and lets a
  long job render reports without stopping everyone else's saves).

Writers then queue for that lock. SQLite's own busy handler polls for it, sleeping 1, 2, 5, 10 …
up to 100 ms between tries, and a waiter that sleeps through a free moment loses its turn: with
1,000 simultaneous users the server's threads spent 13 % of their time there
(`python -m bench.load --users 1000 --profile`), and writers waited up to 0.6 s for a lock held
for a millisecond (`python -m bench writers`). So a write transaction first takes a lock of its
own on a file beside the database (`WriterQueue`: a thread lock, then `flock`), which hands the
turn to the next writer the moment it is free, in this process and in the others (longest wait
8–10 ms); the busy timeout stays as the fallback for writers that do not take it (another
program, sqlite3's shell).

On PostgreSQL none of this applies.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

from .extensions import db

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" event below emits BEGIN itself
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=10000")  # first: switching to WAL needs the lock for a moment too
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


_reads_then_writes: ContextVar[bool] = ContextVar("reads_then_writes", default=False)
_writing: ContextVar[bool] = ContextVar("writing", default=False)


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn):
    if conn.dialect.name != "sqlite":
        return
    if _writing.get():
        immediate = True
    elif _reads_then_writes.get():
        immediate = False
    elif has_request_context():
        immediate = request.method not in SAFE_METHODS
    else:
        immediate = True  # commands
    if not immediate:
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


@event.listens_for(Engine, "commit")
def _commit(conn):
    _end_in_turn(conn, "commit")


@event.listens_for(Engine, "rollback")
def _rollback(conn):
    _end_in_turn(conn, "rollback")


def _end_in_turn(conn, how: str) -> None:
    """A writer ends its transaction itself, then hands the turn on, so that the next one finds
    SQLite's lock free; SQLAlchemy's own COMMIT or ROLLBACK that follows has nothing left to do."""
    if "writer_queue" in conn.info:
        try:
            getattr(conn.connection.driver_connection, how)()
        finally:
            _leave_queue(conn.info)


@event.listens_for(Pool, "checkin")
def _connection_returns(_dbapi_connection, record):
    if record is not None:  # a transaction ended without the events above (the pool's own reset)
        _leave_queue(record.info)


@contextmanager
def reading_first():
    """Within the block, transactions take no lock until `write_transaction()` asks for it."""
    token = _reads_then_writes.set(True)
    try:
        yield
    finally:
        _reads_then_writes.reset(token)


def reads_then_writes(view):
    """Mark a view whose writes all go through `write_transaction()`; its reads take no lock."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        with reading_first():
            return view(*args, **kwargs)

    return wrapper


@contextmanager
def write_transaction():
    """End the current (read) transaction; the statements inside run in one locked transaction.

    The caller commits inside the block.
    """
    db.session.commit()
    token = _writing.set(True)
    try:
        yield
    finally:
        _writing.reset(token)
