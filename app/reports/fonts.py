"""The CJK font of the reports: checked at start-up, registered with ReportLab once per process.

Every string of a report, Chinese or Latin, is set in this one TrueType font, so no
character can fall into a font without its glyph. ReportLab embeds it as a subset
(only the glyphs used) with a ToUnicode map, so text stays searchable and copyable.
"""

from __future__ import annotations

import threading
from pathlib import Path

from flask import Flask, current_app, has_app_context
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from ..patches import cache_font_tables

DEFAULT_FONT_PATH = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
FONT_PACKAGE = "fonts-wqy-microhei"

_lock = threading.Lock()
_registered: dict[str, str] = {}  # font file → ReportLab font name


class ReportFontMissing(RuntimeError):
    """The CJK font file of the reports is not installed."""


def require_report_font(app: Flask) -> None:
    """Stop the app at start-up, naming the file and the package, if the report font is missing."""
    path = app.config.setdefault("REPORT_FONT_PATH", DEFAULT_FONT_PATH)
    if not Path(path).is_file():
        raise ReportFontMissing(
            f"The PDF reports need the CJK font {path}, which is not installed. "
            f"Install it with `make system` (or `apt-get install {FONT_PACKAGE}`), "
            "or point REPORT_FONT_PATH at a TrueType CJK font."
        )
    register_font(path)


def register_font(path: str = DEFAULT_FONT_PATH) -> str:
    """Register the font file with ReportLab (once per process and file); its font name."""
    name = _registered.get(path)
    if name is not None:
        return name
    with _lock:
        if path not in _registered:
            name = "ReportCJK" if not _registered else f"ReportCJK{len(_registered)}"
            # subfontIndex 0 of the TTC is the proportional face (1 is the monospaced one).
            font = TTFont(name, path, subfontIndex=0)
            cache_font_tables(font)
            pdfmetrics.registerFont(font)
            # One face for every style, so <b> or <i> markup can never switch to a font without CJK glyphs.
            for bold in (0, 1):
                for italic in (0, 1):
                    addMapping(name, bold, italic, name)
            _registered[path] = name
        return _registered[path]


def report_font() -> str:
    """The ReportLab name of the configured report font, registering it on first use."""
    path = current_app.config.get("REPORT_FONT_PATH", DEFAULT_FONT_PATH) if has_app_context() else DEFAULT_FONT_PATH
    return register_font(path)
