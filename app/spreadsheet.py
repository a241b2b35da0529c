"""Spreadsheet exports: a minimal streaming XLSX (SpreadsheetML) writer for large exports, and
`inert` for text cells that a spreadsheet would run as formulas (CSV and XLSX alike).

openpyxl's write-only mode spends about 6 µs of CPU per cell building XML elements, so the
export of a 10,000-branch cohort (30,000 rows × 56 columns) took over 10 s on its own.
This writer streams each sheet's XML as text straight into the ZIP: numbers as numbers,
text as inline strings, a bold frozen header row. Tests read its files back with openpyxl.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Sequence
from io import BytesIO
from xml.sax.saxutils import escape, quoteattr

_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

STYLES = (
    f'{_HEAD}<styleSheet xmlns="{_MAIN}">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '</fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
)


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _text(value: str) -> str:
    return escape(_ILLEGAL.sub("", value))


class Workbook:
    """Sheets added in order, each written once from a header and an iterable of rows."""

    def __init__(self):
        self._buffer = BytesIO()
        self._zip = zipfile.ZipFile(self._buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1)
        self._sheets: list[str] = []

    def add_sheet(self, name: str, header: Sequence[str], rows: Iterable[Sequence]) -> None:
        number = len(self._sheets) + 1
        self._sheets.append(name)
        letters = [column_letter(i) for i in range(len(header))]
        with self._zip.open(f"xl/worksheets/sheet{number}.xml", "w", force_zip64=True) as raw:
            out: list[str] = [
                f'{_HEAD}<worksheet xmlns="{_MAIN}"><sheetViews><sheetView workbookViewId="0">'
                '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
                "<sheetData>",
                '<row r="1">',
                *(
                    f'<c r="{c}1" t="inlineStr" s="1"><is><t>{_text(str(v))}</t></is></c>'
                    for c, v in zip(letters, header, strict=True)
                ),
                "</row>",
            ]
            for r, row in enumerate(rows, 2):
                out.append(f'<row r="{r}">')
                for c, value in zip(letters, row, strict=False):
                    if value is None:
                        continue
                    if isinstance(value, bool):
                        out.append(f'<c r="{c}{r}" t="b"><v>{int(value)}</v></c>')
                    elif isinstance(value, int | float):
                        out.append(f'<c r="{c}{r}"><v>{value!r}</v></c>')
                    else:
                        out.append(f'<c r="{c}{r}" t="inlineStr"><is><t>{_text(str(value))}</t></is></c>')
                out.append("</row>")
                if len(out) > 20000:
                    raw.write("".join(out).encode("utf-8"))
                    out.clear()
            out.append("</sheetData></worksheet>")
            raw.write("".join(out).encode("utf-8"))

    def close(self) -> bytes:
        sheets = self._sheets
        self._zip.writestr(
            "[Content_Types].xml",
            (
                f'{_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
                f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.styles+xml"/>'
                + "".join(
                    f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="{_CT}.worksheet+xml"/>'
                    for n in range(1, len(sheets) + 1)
                )
                + "</Types>"
            ),
        )
        self._zip.writestr(
            "_rels/.rels",
            (
                f'{_HEAD}<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" '
                f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
            ),
        )
        self._zip.writestr(
            "xl/workbook.xml",
            (
                f'{_HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
                + "".join(
                    f'<sheet name={quoteattr(name[:31])} sheetId="{n}" r:id="rId{n}"/>'
                    for n, name in enumerate(sheets, 1)
                )
                + "</sheets></workbook>"
            ),
        )
        self._zip.writestr(
            "xl/_rels/workbook.xml.rels",
            (
                f'{_HEAD}<Relationships xmlns="{_PKG_REL}">'
                + "".join(
                    f'<Relationship Id="rId{n}" Type="{_REL}/worksheet" Target="worksheets/sheet{n}.xml"/>'
                    for n in range(1, len(sheets) + 1)
                )
                + f'<Relationship Id="rId{len(sheets) + 1}" Type="{_REL}/styles" Target="styles.xml"/></Relationships>'
            ),
        )
        self._zip.writestr("xl/styles.xml", STYLES)
        self._zip.close()
        return self._buffer.getvalue()


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(value):
    """A text cell that a spreadsheet would run as a formula (an organisation named
    "=1+2+cmd|' /C calc'!A0"), with a leading apostrophe, so it shows as the text it is."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value
