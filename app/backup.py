"""Round trip of the whole database through one JSON file: `export-all` and `import-all`.

The file holds every table of `db.metadata` (so a table added to the models is included
without touching this module), each as a list of column names and a list of rows:

    {"format": "branch-selfcheck-backup", "version": 1, "exported_at": "2026-…",
     "alembic_revision": "de0e9ed59f60", "dialect": "sqlite",
     "tables": {"organisation": {"columns": ["id", …], "rows": [[1, …], …]}, …}}

Dates and datetimes are ISO 8601 strings, binary values base64, decimals strings, so the
file is plain JSON; export-all writes one row per line.

Both ways stream, so memory does not grow with the file. Export reads every table in one read
transaction that takes no lock (SQLite's WAL snapshot; REPEATABLE READ READ ONLY on PostgreSQL),
so the file is consistent while the application writes and no writer waits for it, and writes
rows as they are fetched. Import parses the file with ijson: once for its structure (every
syntax error is found before anything is written), then once per table, in dependency order,
converting and inserting its rows in batches. It goes into an empty database at the same schema
revision (`flask init-db` first), in one transaction: one problem anywhere, and nothing is kept.
Organisations and users meet the rules of `app.organisations`, as on the command line. On
PostgreSQL the id sequences are then moved past the imported ids.

The figures (`python -m bench backup`: the longest wait of a save during an export, the import's
peak memory for a 48 MB file) are in the README's section on backups.
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
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import BinaryIO, TextIO

import ijson
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Table, func, inspect, select, text
from sqlalchemy import types as sqltypes
from sqlalchemy.exc import DBAPIError

from app.assessment.items import storable

from .database import writing
from .extensions import db
from .organisations import organisation_problems, user_problems

FORMAT = "branch-selfcheck-backup"
FORMAT_VERSION = 1
MAX_ERRORS = 50  # a badly broken file is not reported row by row
BATCH = 2000  # rows fetched, and inserted, at a time


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
        bits = 63 if isinstance(kind, sqltypes.BigInteger) else 31
        if isinstance(value, int) and not -(2**bits) <= value < 2**bits:
            raise ValueError(f"{value} is beyond what the column holds ({bits + 1}-bit integers)")
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
        if not storable(text_value):
            raise ValueError("contains NUL or a broken character")
        if kind.length is not None and len(text_value) > kind.length:
            raise ValueError(f"longer than {kind.length} characters")
        return text_value
    return value  # JSON and other types: as stored


def _typed(value, expected, convert):
    if not isinstance(value, expected):
        raise ValueError(
            f"unexpected {type(value).__name__}{'' if isinstance(value, list | dict) else ' ' + repr(value)}"
        )
    try:
        return convert(value)
    except (ValueError, TypeError, decimal.InvalidOperation, binascii.Error) as exc:
        raise ValueError(f"cannot read {value!r:.60}: {exc}") from None


# --- export ---------------------------------------------------------------------------------------


def alembic_revision(conn: Connection) -> str | None:
    """The schema revision the migrations stamped (several heads joined by ","), or None."""
    heads = MigrationContext.configure(conn).get_current_heads()
    return ",".join(sorted(heads)) if heads else None


def _order(table: Table):
    return list(table.primary_key.columns) or list(table.columns)


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def write_export(out: TextIO) -> dict[str, int]:
    """Write the document described in the module docstring to `out`; rows per table."""
    counts = {}
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with conn.begin():
            header = {
                "format": FORMAT,
                "version": FORMAT_VERSION,
                "exported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "alembic_revision": alembic_revision(conn),
                "dialect": conn.dialect.name,
            }
            out.write(_dumps(header)[:-1] + ',"tables":{')
            for number, table in enumerate(db.metadata.sorted_tables):
                columns = [c.name for c in table.columns]
                out.write(f'{"," if number else ""}\n{_dumps(table.name)}:{{"columns":{_dumps(columns)},"rows":[')
                result = conn.execution_options(yield_per=BATCH).execute(
                    select(*table.columns).order_by(*_order(table))
                )
                count = 0
                for row in result:
                    out.write(("," if count else "") + "\n" + _dumps([to_json(v) for v in row]))
                    count += 1
                out.write("]}")
                counts[table.name] = count
            out.write("}}\n")
    return counts


def export_to_file(path: str | os.PathLike) -> dict[str, int]:
    """Write the backup to `path`, atomically: a failed export leaves no half-written file.

    Returns the number of rows written per table.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            counts = write_export(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return counts


# --- import ---------------------------------------------------------------------------------------


@dataclass
class Structure:
    """What the first pass over a file found: its header and each table's columns."""

    header: dict = field(default_factory=dict)
    columns: dict[str, list | None] = field(default_factory=dict)  # table → its column names (None: not a list)
    has_rows: set[str] = field(default_factory=set)  # tables whose "rows" is a list


HEADER_KEYS = ("format", "version", "alembic_revision")


def read_structure(f: BinaryIO) -> Structure:
    """Parse the whole file once, keeping only its header and column lists; BackupError on any
    syntax error or number no column can hold, named by table and row."""
    found = Structure()
    table, row = None, 0
    columns_item = rows_list = row_start = None
    try:
        for prefix, event, value in ijson.parse(f, use_float=True):
            if prefix == row_start:
                if event in ("start_array", "start_map", "string", "number", "boolean", "null"):
                    row += 1
            elif event == "map_key":
                if prefix == "tables":
                    table, row = value, 0
                    found.columns.setdefault(table, None)
                    columns_item, rows_list, row_start = (f"tables.{table}.columns.item", f"tables.{table}.rows",
                                                          f"tables.{table}.rows.item")  # fmt: skip
            elif prefix == columns_item:
                found.columns[table].append(value)
            elif event == "start_array" and table is not None and prefix == f"tables.{table}.columns":
                found.columns[table] = []
            elif event == "start_array" and prefix == rows_list:
                found.has_rows.add(table)
            elif prefix in HEADER_KEYS:
                found.header[prefix] = value
            elif prefix == "tables" and event != "start_map" and event != "end_map":
                found.header["tables"] = "not an object"
    except (ijson.JSONError, ValueError, UnicodeDecodeError) as exc:
        where = f"table {table!r}, row {row}: " if table is not None and row else ""
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BackupError([f"{where}cannot read the file as JSON: {reason}"]) from None
    return found


def check_structure(found: Structure) -> list[str]:
    """Problems of the document's shape: format, version, tables, columns."""
    if found.header.get("format") != FORMAT:
        return [f'not a backup file: expected "format": "{FORMAT}" at the top level']
    if found.header.get("version") != FORMAT_VERSION:
        return [f"unsupported backup format version {found.header.get('version')!r} (this program reads "
                f"version {FORMAT_VERSION})"]  # fmt: skip
    if "tables" in found.header or not found.columns:
        return ['"tables" must be an object of table name → {"columns": [...], "rows": [...]}']
    errors = []
    known = db.metadata.tables
    for name, columns in found.columns.items():
        table = known.get(name)
        if table is None:
            errors.append(f"unknown table {name!r} (the application has: {', '.join(sorted(known))})")
        elif columns is None or name not in found.has_rows:
            errors.append(f'table {name!r}: expected {{"columns": [...], "rows": [...]}}')
        elif bad := [c for c in columns if not isinstance(c, str) or c not in table.c]:
            errors.extend(f"unknown column {c!r} in table {name!r}" for c in bad)
        elif len(set(columns)) != len(columns):
            errors.append(f"table {name!r}: a column is listed twice")
        else:
            errors.extend(
                f"table {name!r}: required column {column.name!r} is missing"
                for column in table.columns
                if column.name not in columns and _required(table, column)
            )
    return errors


def _required(table: Table, column) -> bool:
    """A column an INSERT must give: NOT NULL, without a default, not the table's own id."""
    if column.nullable or column.default is not None or column.server_default is not None:
        return False
    return column is not table.autoincrement_column


def read_rows(f: BinaryIO, table: Table, columns: list[str], errors: list[str]) -> Iterator[dict]:
    """The rows of `table` in the file, converted to column → value; problems go to `errors`."""
    f.seek(0)
    for number, row in enumerate(ijson.items(f, f"tables.{table.name}.rows.item", use_float=True), start=1):
        if len(errors) >= MAX_ERRORS:
            return
        if not isinstance(row, list) or len(row) != len(columns):
            errors.append(f"table {table.name!r}, row {number}: expected a list of {len(columns)} values")
            continue
        converted = {}
        for column_name, value in zip(columns, row, strict=True):
            try:
                converted[column_name] = from_json(table.c[column_name], value)
            except ValueError as exc:
                errors.append(f"table {table.name!r}, row {number}, column {column_name!r}: {exc}")
        yield converted


def check_tree(organisations: list[dict]) -> list[str]:
    """Every organisation against the rules of `app.organisations`, its path its parent's plus its code."""
    by_id = {row.get("id"): row for row in organisations}
    errors = []
    for number, row in enumerate(organisations, start=1):
        parent = by_id.get(row.get("parent_id"))
        if row.get("parent_id") is not None and parent is None:
            errors.append(f"table 'organisation', row {number}: its parent {row['parent_id']} is not in the file")
            continue
        where = (parent.get("kind"), parent.get("path")) if parent else None
        problems = organisation_problems(row.get("code"), row.get("kind"), row.get("name"), where, row.get("path"))
        errors.extend(f"table 'organisation', row {number}: {problem}" for problem in problems)
    return errors


def checked_users(rows: Iterator[dict], organisation_kinds: dict, errors: list[str]) -> Iterator[dict]:
    """The user rows, each checked against the rules of `app.organisations`; problems go to `errors`."""
    for number, row in enumerate(rows, start=1):
        problems = user_problems(row.get("username"), row.get("name"), row.get("role"),
                                 organisation_kinds.get(row.get("organisation_id")))  # fmt: skip
        errors.extend(f"table 'user', row {number}: {problem}" for problem in problems)
        yield row


def batches(rows: Iterator[dict], size: int) -> Iterator[list[dict]]:
    while batch := list(islice(rows, size)):
        yield batch


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


def import_file(path: str | os.PathLike) -> ImportSummary:
    """Load a backup file into the current (empty) database, in one transaction.

    Checks, in this order, before writing anything: the whole file's syntax and shape, that
    every model table exists in the database, that the database's schema revision is the
    file's, and that no table holds rows. Then reads and inserts the tables in dependency
    order, checking every value; any problem rolls everything back and is reported.
    """
    try:
        f = open(path, "rb")  # noqa: SIM115  (closed below, after every pass over it)
    except OSError as exc:
        raise BackupError([f"{path}: cannot read the file as JSON: {exc}"]) from None
    with f:
        found = read_structure(f)
        errors = check_structure(found)
        if errors:
            raise BackupError(errors)
        return _insert(f, found)


def _insert(f: BinaryIO, found: Structure) -> ImportSummary:
    # on SQLite the transaction takes the write lock at once: no writer slips in between the checks and the inserts
    with writing(), db.engine.connect() as conn, conn.begin():
        absent = sorted(set(db.metadata.tables) - set(inspect(conn).get_table_names()))
        if absent:
            raise BackupError([f"the database has no table {', '.join(absent)}: run `flask init-db` first"])
        here, there = alembic_revision(conn), found.header.get("alembic_revision")
        if here and there and here != there:
            raise BackupError([
                f"the file was exported at schema revision {there}, this database is at {here}: import into a "
                f"database at revision {there}, then run `flask init-db` to upgrade it"
            ])  # fmt: skip
        present = rows_present(conn)
        if present:
            listed = ", ".join(f"{name} ({count})" for name, count in present.items())
            raise BackupError([f"the database is not empty: {listed}; import only into an empty database"])
        errors: list[str] = []
        inserted: dict[str, int] = {}
        organisation_kinds: dict = {}
        for table in db.metadata.sorted_tables:
            columns = found.columns.get(table.name)
            if columns is None:
                continue
            rows = read_rows(f, table, columns, errors)
            if table.name == "organisation":  # a small table, checked whole: the tree rules need every parent
                organisations = list(rows)
                errors.extend(check_tree(organisations))
                organisation_kinds = {row.get("id"): row.get("kind") for row in organisations}
                rows = iter(self_referencing_order(table, organisations) if not errors else [])
            elif table.name == "user":
                rows = checked_users(rows, organisation_kinds, errors)
            inserted[table.name] = 0
            for batch in batches(rows, BATCH):
                if errors:  # read on, to report every problem, but write no more
                    continue
                try:
                    conn.execute(table.insert(), batch)
                except DBAPIError as exc:  # a foreign key to a row the file does not have, a duplicate, …
                    reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
                    raise BackupError([f"the database refused the rows of table {table.name!r}: {reason}"]) from None
                inserted[table.name] += len(batch)
            if len(errors) >= MAX_ERRORS:
                errors.append("… (stopped after this many errors)")
                break
        if errors:
            raise BackupError(errors)
        sequences = reset_sequences(conn)
    missing = [t.name for t in db.metadata.sorted_tables if t.name not in found.columns]
    return ImportSummary(rows=inserted, missing_tables=missing, sequences_reset=sequences)
