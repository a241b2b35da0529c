"""Exports of a selection: one row per unit and cycle, one column per pillar and per item.

CSV through the csv module (UTF-8 with a byte-order mark, so spreadsheet programs read the
Chinese names; text that would start a formula made inert), a header in the reader's language
above one of the column ids; XLSX through the streaming writer of `xlsx.py`, with a "Columns"
sheet that describes every column in Chinese and English.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from app.assessment.questionnaire import Questionnaire, get_questionnaire
from app.assessment.text import Text, fill

from ..models import Organisation
from ..spreadsheet import Workbook, inert
from .queries import Selection, export_rows
from .service import labels


@dataclass(frozen=True)
class Column:
    name: str
    description: Text


def _questionnaires(selection: Selection) -> list[Questionnaire]:
    versions = dict.fromkeys(c.version for c in reversed(selection.cycles))
    return [get_questionnaire(v) for v in versions]


def columns(selection: Selection) -> tuple[list[Column], list[str], list[str]]:
    """The columns, and the pillar and item ids they pivot (every version of the selected cycles, newest first)."""
    t = labels()
    qs = _questionnaires(selection)
    pillars, items = {}, {}
    for q in qs:
        for p in q.pillars:
            pillars.setdefault(p.id, p)
            for i in p.scored_items:
                items.setdefault(i.id, i)
    level_names = {}
    for q in qs:
        for lv in q.levels:
            level_names.setdefault(lv.id, lv.name)
    level_list = Text(
        "; ".join(f"{k} {v.zh}" for k, v in level_names.items()),
        "; ".join(f"{k} {v.en}" for k, v in level_names.items()),
    )
    cols = [
        Column("code", t["col_code"]),
        Column("name", t["col_name"]),
        Column("parent", t["col_parent"]),
        Column("year", t["col_year"]),
        Column("overall", t["col_overall"]),
        Column("overall_level", Text(f"{t['col_level'].zh}: {level_list.zh}", f"{t['col_level'].en}: {level_list.en}")),
        *(Column(pid, fill(t["col_pillar"], name=Text(p.name.zh, p.name.en))) for pid, p in pillars.items()),
        *(
            Column(
                iid,
                Text(
                    t["col_item"].zh % {"id": iid, "text": i.text.zh}, t["col_item"].en % {"id": iid, "text": i.text.en}
                ),
            )
            for iid, i in items.items()
        ),
    ]
    return cols, list(pillars), list(items)


def _rounded(row: tuple) -> list:
    return [round(v, 2) if isinstance(v, float) else v for v in row]


def csv_bytes(selection: Selection, lang: str = "zh") -> bytes:
    """A header that describes each column in `lang`, a second one of the column ids, then the rows."""
    cols, pillar_ids, item_ids = columns(selection)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c.description(lang) for c in cols])
    writer.writerow([c.name for c in cols])
    writer.writerows([inert(v) for v in _rounded(row)] for row in export_rows(selection, item_ids, pillar_ids))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(selection: Selection) -> bytes:
    cols, pillar_ids, item_ids = columns(selection)
    t = labels()
    book = Workbook()
    book.add_sheet(
        t["results_sheet"].en,
        [c.name for c in cols],
        (_rounded(row) for row in export_rows(selection, item_ids, pillar_ids)),
    )
    book.add_sheet(
        t["columns_sheet"].en,
        [t["column"].en, t["description_zh"].en, t["description_en"].en],
        ([c.name, c.description.zh, c.description.en] for c in cols),
    )
    return book.close()


def filename(selection: Selection, org: Organisation | None, extension: str) -> str:
    years = "-".join(str(c.year) for c in selection.cycles) or "none"
    return f"comparison-{org.code if org else 'all'}-{years}.{extension}"
