"""Reading one branch's answers for one cycle from a JSON or CSV file (paper forms typed up).

Everything is checked before anything is written: one bad row and nothing changes.

CSV: a header `branch,year,item,value`, then one answer per row.
JSON: {"branch": "B01", "year": 2026, "answers": {"L01": 4, "L02": true, ...}}
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from app.assessment.items import AnswerError
from app.assessment.questionnaire import get_questionnaire

from ..extensions import db
from ..models import Cycle, Organisation, SelfCheck
from ..organisations import code_problem

MAX_YEAR = 9999


@dataclass
class ImportBatch:
    branch: str | None = None
    year: int | None = None
    rows: list[tuple[int, str, object]] = field(default_factory=list)  # (line, item id, raw value)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, message)


def read_file(path: Path) -> ImportBatch:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        batch = ImportBatch()
        batch.errors.append((data[: exc.start].count(b"\n") + 1, "not UTF-8 text (save the file as UTF-8)"))
        return batch
    return read_json(text) if path.suffix.lower() == ".json" else read_csv(text)


def read_csv(text: str) -> ImportBatch:
    batch = ImportBatch()
    # newline="": a bare CR (an old spreadsheet's line end) ends a line, as the csv module expects
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = reader.fieldnames
    except csv.Error as exc:
        batch.errors.append((1, f"not a CSV file the importer can read ({exc})"))
        return batch
    if header is None or [f.strip() for f in header] != ["branch", "year", "item", "value"]:
        batch.errors.append((1, "the header must be: branch,year,item,value"))
        return batch
    try:
        _read_rows(reader, batch)
    except csv.Error as exc:  # e.g. a field over the csv module's size limit: the rest cannot be read
        # the reader counts the lines it has finished; the one it failed on is the next
        batch.errors.append((reader.line_num + 1, f"this line cannot be read as CSV ({exc})"))
    if not batch.rows and not batch.errors:
        batch.errors.append((1, "the file has no answers"))
    return batch


def _read_rows(reader: csv.DictReader, batch: ImportBatch) -> None:
    for row in reader:
        line = reader.line_num
        if None in row or any(v is None for v in row.values()):
            batch.errors.append((line, "expected exactly 4 columns"))
            continue
        branch, year = row["branch"].strip(), row["year"].strip()
        if not year.isdecimal() or not 0 < int(year) <= MAX_YEAR:
            batch.errors.append((line, f"year {year!r} is not a year"))
            continue
        if batch.branch is None:
            batch.branch, batch.year = branch, int(year)
        elif (branch, int(year)) != (batch.branch, batch.year):
            batch.errors.append((line, f"all rows must be for {batch.branch} {batch.year}"))
            continue
        batch.rows.append((line, row["item"].strip(), row["value"]))


def read_json(text: str) -> ImportBatch:
    batch = ImportBatch()
    try:
        # a number of more digits than any answer or year has stays the text it is (and is then
        # refused as an answer or a year), rather than meeting Python's limit on long integers
        data = json.loads(text, parse_int=lambda digits: int(digits) if len(digits) <= 20 else digits)
    except json.JSONDecodeError as exc:
        batch.errors.append((exc.lineno, f"not valid JSON: {exc.msg}"))
        return batch
    except RecursionError:
        batch.errors.append((_too_deep_line(text), "not valid JSON: nested too deeply"))
        return batch
    if not isinstance(data, dict) or not isinstance(data.get("answers"), dict):
        batch.errors.append((1, 'expected {"branch": ..., "year": ..., "answers": {...}}'))
        return batch
    lines = text.splitlines()
    batch.branch = str(data.get("branch", "")).strip() or None
    year = data.get("year")
    if batch.branch is None or year is None:
        batch.errors.append((1, "branch and year are required"))
    elif isinstance(year, int) and not isinstance(year, bool) and 0 < year <= MAX_YEAR:
        batch.year = year
    else:
        batch.errors.append((_line_of(lines, "year", after=None), f"year {_shown(year)} is not a year"))
    for item_id, value in data["answers"].items():
        batch.rows.append((_line_of(lines, item_id), str(item_id), value))
    return batch


def _line_of(lines: list[str], key: str, after: str | None = "answers") -> int:
    """The line where `"key"` first appears after the `after` key (JSON keeps no positions)."""
    start = next((n for n, line in enumerate(lines) if after and f'"{after}"' in line), 0)
    needle = json.dumps(key, ensure_ascii=False)
    return next((n + 1 for n, line in enumerate(lines) if n >= start and needle in line), start + 1)


def _too_deep_line(text: str, depth_limit: int = 100) -> int:
    """The line where brackets outside strings first nest deeper than `depth_limit`."""
    depth, line, in_string, escaped = 0, 1, False, False
    for char in text:
        if char == "\n":
            line += 1
        elif in_string:
            escaped = not escaped and char == "\\"
            in_string = escaped or char != '"'
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > depth_limit:
                return line
        elif char in "]}":
            depth -= 1
    return line


def _shown(value, limit: int = 40) -> str:
    """`value` as an error message quotes it, cut short."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} characters)"


def validate(batch: ImportBatch) -> tuple[SelfCheck | None, Organisation | None, Cycle | None, dict]:
    """Check the batch against the database and questionnaire; errors go into `batch.errors`."""
    org = cycle = selfcheck = None
    answers = {}
    if batch.branch is not None:
        if code_problem(batch.branch) is None:
            org = db.session.scalar(select(Organisation).where(Organisation.code == batch.branch))
        if org is None or org.kind != "branch":
            batch.errors.append((batch.rows[0][0] if batch.rows else 1, f"no branch with code {batch.branch!r}"))
    if batch.year is not None:
        cycle = db.session.scalar(select(Cycle).where(Cycle.year == batch.year))
        if cycle is None:
            batch.errors.append((batch.rows[0][0] if batch.rows else 1, f"no cycle for {batch.year}"))
    if org is not None and cycle is not None:
        selfcheck = db.session.scalar(
            select(SelfCheck).where(SelfCheck.organisation_id == org.id, SelfCheck.cycle_id == cycle.id)
        )
        if selfcheck is not None and selfcheck.submitted:
            batch.errors.append((1, f"the self-check of {org.code} {cycle.year} is already submitted"))
    questionnaire = get_questionnaire(cycle.questionnaire_version) if cycle else None
    for line, item_id, raw in batch.rows:
        if item_id in answers:
            batch.errors.append((line, f"item {item_id} appears twice"))
            continue
        if questionnaire is None:
            continue
        item = questionnaire.items.get(item_id)
        if item is None:
            batch.errors.append((line, f"unknown item {item_id!r}"))
            continue
        try:
            item.parse(raw)
        except AnswerError as exc:
            batch.errors.append((line, f"item {item_id}: invalid value {_shown(raw)} ({describe(exc)})"))
            continue
        answers[item_id] = raw
    batch.errors.sort()
    return selfcheck, org, cycle, answers


def describe(error: AnswerError) -> str:
    return {
        "unreadable": "contains NUL or a broken character",
        "too_long": "too long",
        "yes_no": "expected yes or no",
        "percent": "expected a number from 0 to 100",
        "whole_number": "expected a whole number from {min} to {max}",
        "counts": "expected two whole numbers as part/whole, e.g. 27/30, the whole from 1 to {max}",
        "not_applicable": "this item has no answer n/a",
        "unknown_item": "unknown item",
    }[error.code].format(**error.params)
