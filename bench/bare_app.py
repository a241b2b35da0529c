"""The floor for `bench.web`: a bare Flask app (no extensions) that reads 40 rows and renders them.

Served by gunicorn as `bench.bare_app:app`; the SQLite file lives in the directory named by
the BARE_APP_DIR environment variable (a temporary directory made by the benchmark).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from flask import Flask, render_template
from jinja2 import DictLoader

ROWS = 40
TEMPLATE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{{ title }}</title></head>
<body>
<h1>{{ title }}</h1>
<table>
<thead><tr><th>Id</th><th>Name</th><th>Score</th></tr></thead>
<tbody>
{% for row in rows %}<tr><td>{{ row[0] }}</td><td>{{ row[1] }}</td><td>{{ "%.1f"|format(row[2]) }}</td></tr>
{% endfor %}</tbody>
</table>
</body>
</html>
"""


def db_path() -> Path:
    return Path(os.environ.get("BARE_APP_DIR") or ".") / "bare.db"


def connect() -> sqlite3.Connection:
    conn = sqlite3.connect(db_path(), isolation_level=None, timeout=10)
    conn.execute("PRAGMA journal_mode=WAL")
    return conn


def ensure_table() -> None:
    """Create and fill the table once; both workers may arrive here together."""
    conn = connect()
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("CREATE TABLE IF NOT EXISTS item (id INTEGER PRIMARY KEY, name TEXT NOT NULL, score REAL)")
        if conn.execute("SELECT count(*) FROM item").fetchone()[0] == 0:
            conn.executemany(
                "INSERT INTO item (id, name, score) VALUES (?, ?, ?)",
                [(i, f"Item number {i}", i * 2.5) for i in range(1, 201)],
            )
        conn.execute("COMMIT")
    finally:
        conn.close()


app = Flask(__name__)
app.jinja_loader = DictLoader({"rows.html": TEMPLATE})

_conn: sqlite3.Connection | None = None  # one per worker process, like a connection pool


def connection() -> sqlite3.Connection:
    """The worker's connection; its first call makes the table (importing this module writes nothing)."""
    global _conn
    if _conn is None:
        ensure_table()
        _conn = connect()
    return _conn


@app.route("/")
def rows():
    data = connection().execute("SELECT id, name, score FROM item ORDER BY id LIMIT ?", (ROWS,)).fetchall()
    return render_template("rows.html", title="Rows", rows=data)
