"""Round trip of the whole database through one JSON file: `export-all` and `import-all`.

The file holds every table of `db.metadata` (so a table added to the models is included
without touching this module), each as a list of column names and a list of rows:

    {"format": "branch-selfcheck-backup", "version": 1, "exported_at": "2026-…",
     "alembic_revision": "de0e9ed59f60", "dialect": "sqlite",
     "tables": {"organisation": {"columns": ["id", …], "rows": [[1, …], …]}, …}}

Dates and datetimes are ISO 8601 strings, binary values base64, decimals strings, so the
file is plain JSON. An import goes into an empty database at the same schema revision
(`flask init-db` first), in one transaction, after the whole file has been checked; on
PostgreSQL the id sequences are then moved past the imported ids.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import decimal
import json
import os
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Table, func, inspect, select, text
from sqlalchemy import types as sqltypes
from sqlalchemy.exc import DBAPIError

from .extensions import db

FORMAT = "branch-selfcheck-backup"
FORMAT_VERSION = 1
MAX_ERRORS = 50  # a badly broken file is not reported row by row


class BackupError(Exception):
    """The file cannot be imported, or the database cannot receive it. `errors` names every problem."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass
class ImportSummary:
    rows: dict[str, int]  # table → rows inserted, in insertion order
    missing_tables: list[str] = field(default_factory=list)  # model tables the file does not have (left empty)
    sequences_reset: list[str] = field(default_factory=list)  # "table.column" of the PostgreSQL sequences moved

    @property
    def total(self) -> int:
        return sum(self.rows.values())


# --- values ---------------------------------------------------------------------------------------


def to_json(value):
    """A column value as a JSON-safe value (ISO strings for dates and times)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict | list):
        return value  # a JSON column
    raise TypeError(f"cannot export a value of type {type(value).__name__}")


def from_json(column, value):
    """The value of `column` read back from the file; ValueError with a reason when it does not fit."""
    if value is None:
        if not column.nullable:
            raise ValueError("null in a NOT NULL column")
        return None
    kind = column.type
    # Order matters: Float is a Numeric, DateTime is not a Date.
    if isinstance(kind, sqltypes.DateTime):
        return _typed(value, str, dt.datetime.fromisoformat)
    if isinstance(kind, sqltypes.Date):
        return _typed(value, str, dt.date.fromisoformat)
    if isinstance(kind, sqltypes.Time):
        return _typed(value, str, dt.time.fromisoformat)
    if isinstance(kind, sqltypes.Interval):
        return dt.timedelta(seconds=_typed(value, int | float, float))
    if isinstance(kind, sqltypes.Boolean):
        return _typed(value, bool, bool)
    if isinstance(kind, sqltypes.Integer):
        if isinstance(value, bool):
            raise ValueError(f"expected an integer, got {value!r}")
        return _typed(value, int, int)
    if isinstance(kind, sqltypes.Float):
        if isinstance(value, bool):
            raise ValueError(f"expected a number, got {value!r}")
        return _typed(value, int | float, float)
    if isinstance(kind, sqltypes.Numeric):
        return decimal.Decimal(_typed(value, str | int | float, str))
    if isinstance(kind, sqltypes.LargeBinary):
        return _typed(value, str, lambda v: base64.b64decode(v, validate=True))
    if isinstance(kind, sqltypes.Uuid):
        return _typed(value, str, uuid.UUID)
    if isinstance(kind, sqltypes.String):  # also Text and Enum
        text_value = _typed(value, str, str)
        if kind.length is not None and len(text_value) > kind.length:
            raise ValueError(f"longer than {kind.length} characters")
        return text_value
    return value  # JSON and other types: as stored


def _typed(value, expected, convert):
    if not isinstance(value, expected):
        raise ValueError(f"unexpected {type(value).__name__} {value!r}")
    try:
        return convert(value)
    except (ValueError, TypeError, decimal.InvalidOperation, binascii.Error) as exc:
        raise ValueError(f"cannot read {value!r}: {exc}") from None


# --- export ---------------------------------------------------------------------------------------


def alembic_revision(conn: Connection) -> str | None:
    """The schema revision the migrations stamped (several heads joined by ","), or None."""
    heads = MigrationContext.configure(conn).get_current_heads()
    return ",".join(sorted(heads)) if heads else None


def _order(table: Table):
    return list(table.primary_key.columns) or list(table.columns)


def export_data() -> dict:
    """Every row of every model table, as the JSON-safe document described in the module docstring.

    All tables are read in one transaction (REPEATABLE READ on PostgreSQL, SQLite's
    single snapshot), so the file is consistent even while the application writes.
    """
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with conn.begin():
            tables = {}
            for table in db.metadata.sorted_tables:
                columns = [c.name for c in table.columns]
                result = conn.execute(select(*table.columns).order_by(*_order(table)))
                tables[table.name] = {"columns": columns, "rows": [[to_json(v) for v in row] for row in result]}
            revision = alembic_revision(conn)
            dialect = conn.dialect.name
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "exported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "alembic_revision": revision,
        "dialect": dialect,
        "tables": tables,
    }


def export_to_file(path: str | os.PathLike) -> dict:
    """Write `export_data()` to `path`, atomically: a failed export leaves no half-written file.

    Returns the document written.
    """
    data = export_data()
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, separators=(",", ":"))
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return data


# --- import ---------------------------------------------------------------------------------------


def read_file(path: str | os.PathLike) -> dict:
    """Parse the file; BackupError if it is not JSON."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BackupError([f"{path}: cannot read the file as JSON: {exc}"]) from None


def validate(data) -> tuple[dict[str, tuple[list[str], list[dict]]], list[str]]:
    """Check the whole document against the models and convert its values.

    Returns (table name → (columns, rows as column → value dicts), model tables missing
    from the file). Raises BackupError naming every problem found (unknown table or
    column, wrong row length, a value that does not fit its column, …).
    """
    errors: list[str] = []
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BackupError([f'not a backup file: expected "format": "{FORMAT}" at the top level'])
    if data.get("version") != FORMAT_VERSION:
        raise BackupError([f"unsupported backup format version {data.get('version')!r} (this program reads "
                           f"version {FORMAT_VERSION})"])  # fmt: skip
    tables = data.get("tables")
    if not isinstance(tables, dict):
        raise BackupError(['"tables" must be an object of table name → {"columns": [...], "rows": [...]}'])
    known = db.metadata.tables
    checked: dict[str, tuple[list[str], list[dict]]] = {}
    for name, content in tables.items():
        table = known.get(name)
        if table is None:
            errors.append(f"unknown table {name!r} (the application has: {', '.join(sorted(known))})")
            continue
        if (
            not isinstance(content, dict)
            or not isinstance(content.get("columns"), list)
            or not isinstance(content.get("rows"), list)
        ):
            errors.append(f'table {name!r}: expected {{"columns": [...], "rows": [...]}}')
            continue
        columns = content["columns"]
        bad = [c for c in columns if not isinstance(c, str) or c not in table.c]
        if bad:
            errors.extend(f"unknown column {c!r} in table {name!r}" for c in bad)
            continue
        if len(set(columns)) != len(columns):
            errors.append(f"table {name!r}: a column is listed twice")
            continue
        errors.extend(
            f"table {name!r}: required column {column.name!r} is missing"
            for column in table.columns
            if column.name not in columns and _required(table, column)
        )
        rows = []
        for number, row in enumerate(content["rows"], start=1):
            if not isinstance(row, list) or len(row) != len(columns):
                errors.append(f"table {name!r}, row {number}: expected a list of {len(columns)} values")
                continue
            converted = {}
            for column_name, value in zip(columns, row, strict=True):
                try:
                    converted[column_name] = from_json(table.c[column_name], value)
                except ValueError as exc:
                    errors.append(f"table {name!r}, row {number}, column {column_name!r}: {exc}")
            rows.append(converted)
            if len(errors) >= MAX_ERRORS:
                break
        checked[name] = (columns, rows)
        if len(errors) >= MAX_ERRORS:
            errors.append("… (stopped after this many errors)")
            break
    if errors:
        raise BackupError(errors)
    missing = [t.name for t in db.metadata.sorted_tables if t.name not in tables]
    return checked, missing


def _required(table: Table, column) -> bool:
    """A column an INSERT must give: NOT NULL, without a default, not the table's own id."""
    if column.nullable or column.default is not None or column.server_default is not None:
        return False
    return column is not table.autoincrement_column


def self_referencing_order(table: Table, rows: list[dict]) -> list[dict]:
    """Rows of a table that references itself (organisation.parent_id), parents first.

    Foreign keys are checked row by row on insert (SQLite and PostgreSQL alike), so a
    child inserted before its parent would fail. BackupError on a cycle.
    """
    if not rows:
        return rows
    links = [(fk.parent.name, fk.column.name) for fk in table.foreign_keys
             if fk.column.table is table and fk.parent.name in rows[0] and fk.column.name in rows[0]]  # fmt: skip
    if not links:
        return rows
    in_file = {(target, row[target]) for _, target in links for row in rows}
    placed: set = set()  # (referenced column, value) of the rows ordered so far
    ordered, pending = [], list(rows)
    while pending:
        waiting = []
        for row in pending:
            ready = all(
                row[child] is None
                or (target, row[child]) in placed
                or (target, row[child]) not in in_file  # pointing outside the file: the database will say
                for child, target in links
            )
            if ready:
                ordered.append(row)
                placed.update((target, row.get(target)) for _, target in links)
            else:
                waiting.append(row)
        if len(waiting) == len(pending):
            raise BackupError([f"table {table.name!r}: rows reference each other in a cycle"])
        pending = waiting
    return ordered


def rows_present(conn: Connection) -> dict[str, int]:
    """Model tables of the connected database that hold rows, with their counts."""
    existing = set(inspect(conn).get_table_names())
    counts = {}
    for table in db.metadata.sorted_tables:
        if table.name in existing:
            count = conn.scalar(select(func.count()).select_from(table))
            if count:
                counts[table.name] = count
    return counts


def reset_sequences(conn: Connection) -> list[str]:
    """PostgreSQL: move each integer id's sequence past the largest id, so new rows get fresh ids."""
    if conn.dialect.name != "postgresql":
        return []
    quote = conn.dialect.identifier_preparer
    done = []
    for table in db.metadata.sorted_tables:
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or not isinstance(pk[0].type, sqltypes.Integer):
            continue
        column = pk[0]
        qualified, name = quote.format_table(table), quote.quote(column.name)
        sequence = conn.scalar(text("SELECT pg_get_serial_sequence(:table, :column)"),
                               {"table": qualified, "column": column.name})  # fmt: skip
        if sequence is None:
            continue
        # an empty table: the next id is 1 (is_called false); else max + 1
        conn.execute(
            text(f"SELECT setval(:sequence, coalesce(max({name}), 1), max({name}) IS NOT NULL) FROM {qualified}"),
            {"sequence": sequence},
        )
        done.append(f"{table.name}.{column.name}")
    return done


def import_data(data) -> ImportSummary:
    """Load a backup document into the current (empty) database, in one transaction.

    Checks, in this order, before writing anything: the document (`validate`), that
    every model table exists in the database, that the database's schema revision is the
    file's, and that no table holds rows. Then inserts the tables in dependency order and,
    on PostgreSQL, resets the id sequences. Any failure rolls everything back.
    """
    checked, missing = validate(data)
    ordered = {name: self_referencing_order(db.metadata.tables[name], rows) for name, (_, rows) in checked.items()}
    # on SQLite the transaction starts with BEGIN IMMEDIATE: no writer slips in between the checks and the inserts
    with db.engine.connect() as conn, conn.begin():
        absent = sorted(set(db.metadata.tables) - set(inspect(conn).get_table_names()))
        if absent:
            raise BackupError([f"the database has no table {', '.join(absent)}: run `flask init-db` first"])
        here, there = alembic_revision(conn), data.get("alembic_revision")
        if here and there and here != there:
            raise BackupError([
                f"the file was exported at schema revision {there}, this database is at {here}: import into a "
                f"database at revision {there}, then run `flask init-db` to upgrade it"
            ])  # fmt: skip
        present = rows_present(conn)
        if present:
            listed = ", ".join(f"{name} ({count})" for name, count in present.items())
            raise BackupError([f"the database is not empty: {listed}; import only into an empty database"])
        inserted = {}
        for table in db.metadata.sorted_tables:
            rows = ordered.get(table.name)
            if rows is None:
                continue
            if rows:
                try:
                    conn.execute(table.insert(), rows)
                except DBAPIError as exc:  # a foreign key to a row the file does not have, a duplicate, …
                    reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
                    raise BackupError([f"the database refused the rows of table {table.name!r}: {reason}"]) from None
            inserted[table.name] = len(rows)
        sequences = reset_sequences(conn)
    return ImportSummary(rows=inserted, missing_tables=missing, sequences_reset=sequences)


def import_file(path: str | os.PathLike) -> ImportSummary:
    """`import_data` of the JSON file at `path`."""
    return import_data(read_file(path))
