"""What an uploaded file is, read from its content, never from its name.

The first bytes are matched by `filetype` (magic numbers, and the first entries of a ZIP for
Office files); a Word or Excel file is then opened as a ZIP to check that it is whole and that
its main part is there. Macro-enabled files (a `vbaProject.bin` inside) are refused. Legacy Word
and Excel files (.doc, .xls: OLE compound files) are refused too, with a message asking for
.docx or .xlsx: every office suite of the last fifteen years saves those, and the old binary
formats are where macro viruses live.
"""

from __future__ import annotations

import io
import zipfile

import filetype

# kind → (MIME type, the part a whole file of that kind must hold)
KINDS = {
    "pdf": ("application/pdf", None),
    "jpg": ("image/jpeg", None),
    "png": ("image/png", None),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "word/document.xml"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xl/workbook.xml"),
}
MEDIA_TYPES = tuple(mime for mime, _ in KINDS.values())
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .doc, .xls, .ppt


class RefusedType(Exception):
    """The file is not one of the accepted kinds; `legacy` when it is an old .doc or .xls."""

    def __init__(self, legacy: bool = False):
        super().__init__("legacy office file" if legacy else "type not accepted")
        self.legacy = legacy


def kind_of(data: bytes) -> str:
    """The accepted kind of `data` ("pdf", "jpg", "png", "docx", "xlsx"), or RefusedType."""
    if data.startswith(OLE_SIGNATURE):
        raise RefusedType(legacy=True)
    guess = filetype.guess(data[:8192])
    kind = guess.extension if guess else None
    if kind not in KINDS:
        raise RefusedType()
    part = KINDS[kind][1]
    if part is not None:
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            raise RefusedType() from None
        if part not in names or any(n.endswith("vbaProject.bin") for n in names):
            raise RefusedType()
    return kind


def mime_type(kind: str) -> str:
    return KINDS[kind][0]
