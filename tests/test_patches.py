"""The speed patches of ReportLab and Flask-Babel (app/patches.py): in force in the app, and
refused on a version of the library they were not written for."""

from __future__ import annotations

import importlib.metadata
import zlib

import pytest
from flask import g
from flask_babel import force_locale, get_locale
from reportlab.pdfbase import pdfdoc, pdfmetrics

from app import patches
from app.i18n import current_lang
from app.reports.fonts import register_font


def test_the_pins_are_the_installed_versions():
    patches.check_versions()
    assert {d: importlib.metadata.version(d) for d in patches.PATCHED} == patches.PATCHED


def test_another_version_stops_the_app(monkeypatch, tmp_path):
    from app import create_app

    monkeypatch.setitem(patches.PATCHED, "reportlab", "4.0.0")
    with pytest.raises(patches.PatchedVersionMismatch, match="reportlab 5.1.0 is installed"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}", "SECRET_KEY": "x"})


def test_reportlab_writes_its_streams_at_zlibs_fastest_level(app):
    assert isinstance(pdfdoc.PDFZCompress, patches.QuickFlate)
    data = b"report " * 10_000
    assert pdfdoc.PDFZCompress.encode(data) == zlib.compress(data, 1)


def test_font_tables_are_read_once_per_process(app):
    face = pdfmetrics.getFont(register_font()).face
    first = face.get_table("glyf")
    assert face.get_table("glyf") is first


def test_the_cached_catalog_follows_flask_babels_locale(app):
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert patches.babel_locale(g) is None  # nothing chosen yet
        assert current_lang() == "en"
        assert patches.babel_locale(g) is get_locale()  # the object Flask-Babel keeps for the request
        with force_locale("zh"):
            assert current_lang() == "zh"
        assert current_lang() == "en"
