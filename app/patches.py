"""The speed patches of ReportLab and Flask-Babel, in one place. Each reaches into the library's
private parts, so each is written against one version, pinned in pyproject.toml:
`check_versions()` (at start-up, in `init_app`) stops the app when another version is installed.
Before moving a pin, re-read the patched code of the new version and re-measure (`python -m bench
reports`, `python -m bench web`), then change `PATCHED`.

- ReportLab compresses every stream at zlib's default level; `QuickFlate` uses level 1
  (a report a tenth larger, a twentieth faster to render).
- `LINE_DRAWERS`: ReportLab's private per-line functions, with which the report's paragraphs draw
  themselves without two nested graphics states (`reports/components.py`, a tenth of a report).
- `cache_font_tables`: a subset font copies the tables it needs out of the font file, megabytes for
  a CJK font, several times a report; the tables never change, so each is read once per process.
- `babel_locale`: Flask-Babel keeps the request's locale object in `g._flask_babel`; the page's
  dozens of gettext calls key their cached catalog on it (`i18n.py`), without the public call's cost.
"""

from __future__ import annotations

import functools
import importlib.metadata
import zlib

from flask import Flask
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.pdfbase import pdfdoc
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus.paragraph import _centerDrawParaLine, _leftDrawParaLine

PATCHED = {"reportlab": "5.1.0", "flask-babel": "4.0.0"}  # distribution → the version these are written for


class PatchedVersionMismatch(RuntimeError):
    """An installed library is not the version its patches were written for."""


def check_versions() -> None:
    for distribution, pinned in PATCHED.items():
        installed = importlib.metadata.version(distribution)
        if installed != pinned:
            raise PatchedVersionMismatch(
                f"{distribution} {installed} is installed, but app/patches.py patches {distribution} {pinned}: "
                "re-read the patched code and re-measure before changing the pin"
            )


def init_app(app: Flask) -> None:
    check_versions()
    pdfdoc.PDFZCompress = QuickFlate()  # ReportLab looks its one Flate filter up by name for every stream


class QuickFlate(pdfdoc.PDFStreamFilterZCompress):
    """Deflate at zlib's fastest level (ReportLab has no setting for it)."""

    def encode(self, text):
        return zlib.compress(text.encode("utf8") if isinstance(text, str) else text, 1)


LINE_DRAWERS = {TA_LEFT: _leftDrawParaLine, TA_CENTER: _centerDrawParaLine}


def cache_font_tables(font: TTFont) -> None:
    font.face.get_table = functools.cache(font.face.get_table)


def babel_locale(request_g):
    """The locale object Flask-Babel keeps for the request, or None before it has chosen one."""
    return getattr(getattr(request_g, "_flask_babel", None), "babel_locale", None)
