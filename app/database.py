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
On PostgreSQL none of this applies.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

from .extensions import db

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" event below emits BEGIN itself
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
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
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


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
