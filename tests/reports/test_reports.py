"""Diagnostic reports: the PDF read back, who may download what, the ZIP, the CLI, templates."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import time
import zipfile

import pytest
from reportlab import rl_config
from reportlab.graphics import renderSVG
from reportlab.platypus import Paragraph

from app import create_app
from app.assessment.questionnaire import get_questionnaire
from app.charts import ChartSeries, Style, grouped_bar_chart
from app.extensions import db
from app.models import Cycle, Organisation, SelfCheck
from app.reports import components, service
from app.reports.components import Para, Styles
from app.reports.document import render_diagnostic_pdf
from app.reports.fonts import DEFAULT_FONT_PATH, ReportFontMissing, report_font
from app.reports.template import (
    TEMPLATE_DIR,
    ReportTemplateError,
    available_templates,
    load_template,
    parse_template,
)
from app.selfcheck.service import result_of
from tests.conftest import THIS_YEAR, VERSION, answers_at, login, run_job, submitted_selfcheck
from tests.helpers import pdf_text, read_pdf, squash

Q = get_questionnaire(VERSION)
EVIDENCE_3 = next(i for i in Q.items.values() if not i.scored).sample(3)  # what answers_at(3) writes
PILLARS_ZH = [p.name.zh for p in Q.pillars]
PILLARS_EN = [p.name.en for p in Q.pillars]


@pytest.fixture(autouse=True)
def invariant():
    """ReportLab's invariant mode: no timestamps or random ids, so equal input gives equal bytes."""
    before = rl_config.invariant
    rl_config.invariant = 1
    yield
    rl_config.invariant = before


def selfcheck_id(app, code: str, year: int) -> int:
    with app.app_context():
        return db.session.scalar(
            db.select(SelfCheck.id).join(Organisation).join(Cycle).where(Organisation.code == code, Cycle.year == year)
        )


def draft_selfcheck(app, code: str, year: int) -> int:
    from app.selfcheck import service as selfcheck_service

    with app.app_context():
        org = db.session.scalar(db.select(Organisation).where(Organisation.code == code))
        cycle = db.session.scalar(db.select(Cycle).where(Cycle.year == year))
        sc = selfcheck_service.start_selfcheck(org, cycle)
        half = dict(list(answers_at(2).items())[:10])
        selfcheck_service.save_answers(sc, half, None, enforce_window=False)
        return sc.id


@pytest.fixture
def reports(app, world):
    """B1 with last year's and this year's self-check; B2 and X1 submitted this year; B3 a draft."""
    ids = {
        "B1-last": submitted_selfcheck(app, "B1", THIS_YEAR - 1, 2),
        "B1": submitted_selfcheck(app, "B1", THIS_YEAR, 3),
        "B2": submitted_selfcheck(app, "B2", THIS_YEAR, 5),
        "X1": submitted_selfcheck(app, "X1", THIS_YEAR, 1),
    }
    ids["B3"] = draft_selfcheck(app, "B3", THIS_YEAR)
    return ids


def get_pdf(client, selfcheck_id: int, lang: str = "bilingual"):
    return client.get(f"/reports/{selfcheck_id}.pdf?lang={lang}")


# ---------------------------------------------------------------- content


def test_bilingual_report_has_both_languages_every_pillar_scores_and_suggestions(app, client, reports):
    login(client, "b1")
    response = get_pdf(client, reports["B1"])
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert f"diagnostic-report_B1_{THIS_YEAR}_bilingual.pdf" in response.headers["Content-Disposition"]
    reader = read_pdf(response.data)
    text = pdf_text(reader)
    for zh, en in zip(PILLARS_ZH, PILLARS_EN, strict=True):
        assert squash(zh) in text
        assert squash(en) in text
    assert "B1党组织" in text
    assert "G1党组织" in text
    assert "C1党组织" in text
    with app.app_context():
        result = result_of(db.session.get(SelfCheck, reports["B1"]))
    assert f"{result.score:.1f}" in text
    for pillar in result.pillars:
        assert f"{pillar.score:.1f}" in text
    assert result.priorities
    for suggestion in result.suggestions:  # the priorities, the rest per pillar, and the appendix
        assert squash(suggestion.rule.text.zh) in text
        assert squash(suggestion.rule.text.en) in text
        assert squash(suggestion.rule.ref.quote.zh) in text  # the corrected quotation, and its translation
        assert squash(suggestion.rule.ref.quote.en) in text
    assert squash(result.level.description.zh) in text
    assert squash(result.level.description.en) in text
    # Evidence from the appendix, and last year's scores for comparison.
    assert squash(EVIDENCE_3) in text
    assert f"Lastyear({THIS_YEAR - 1})" in text
    assert 8 <= len(reader.pages) <= 30


def test_each_language_mode_keeps_to_its_language(client, reports):
    login(client, "b1")
    zh = pdf_text(read_pdf(get_pdf(client, reports["B1"], "zh").data))
    en = pdf_text(read_pdf(get_pdf(client, reports["B1"], "en").data))
    for name_zh, name_en in zip(PILLARS_ZH, PILLARS_EN, strict=True):
        assert squash(name_zh) in zh
        assert squash(name_en) not in zh
        assert squash(name_en) in en
        assert squash(name_zh) not in en
    level_zh, level_en = Q.levels[0].description.zh, Q.levels[0].description.en
    assert squash(level_zh) in zh
    assert squash(level_en) not in zh
    assert squash(level_en) in en
    assert squash(level_zh) not in en


def test_cjk_font_is_embedded_as_a_subset_and_is_the_only_font(client, reports):
    login(client, "b1")
    data = get_pdf(client, reports["B1"]).data
    reader = read_pdf(data)
    seen = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            seen.add(str(font["/BaseFont"]))
            assert font["/Subtype"] == "/TrueType"
            descriptor = font["/FontDescriptor"].get_object()
            assert "/FontFile2" in descriptor  # embedded TrueType outlines
            assert "/ToUnicode" in font  # text extractable: search and copy work
    assert seen
    assert all(re.fullmatch(r"/[A-Z]{6}\+WenQuanYiMicroHei.*", name) for name in seen), seen
    # A subset: the whole report is far smaller than the 5 MB font file alone.
    assert len(data) < 400_000


def test_metadata_and_page_numbers(client, reports):
    login(client, "b1")
    reader = read_pdf(get_pdf(client, reports["B1"], "en").data)
    meta = reader.metadata
    assert meta.title == f"Diagnostic report · B1 党组织 {THIS_YEAR}"
    assert meta.author == "B1 党组织"
    assert meta.subject == Q.title.en
    assert meta.creator == "Branch self-check"
    assert reader.trailer["/Root"]["/Lang"] == "en"
    pages = len(reader.pages)
    last = reader.pages[-1].extract_text()
    assert f"Page {pages} of {pages}" in last
    assert f"Page 1 of {pages}" in reader.pages[0].extract_text()
    assert f"Page 2 of {pages}" in reader.pages[1].extract_text()
    assert "G1 党组织 · B1 党组织" not in reader.pages[0].extract_text()  # page 1 has the title, not the header
    assert "G1 党组织 · B1 党组织" in reader.pages[1].extract_text()
    zh = read_pdf(get_pdf(client, reports["B1"], "zh").data)
    assert zh.trailer["/Root"]["/Lang"] == "zh-CN"
    assert zh.metadata.creator == "党支部年度自查"


def test_rendering_is_deterministic(app, reports):
    with app.app_context():
        vm = service.viewmodel_for(db.session.get(SelfCheck, reports["B1"]))
    vm2 = vm.__class__(**{**vm.__dict__})
    first = render_diagnostic_pdf(vm, "default", "bilingual")
    assert render_diagnostic_pdf(vm2, "default", "bilingual") == first
    assert render_diagnostic_pdf(vm, "default", "zh") != first


def test_line_breaks_kept_from_earlier_reports_set_the_same_pages(app, reports, monkeypatch):
    """The line breaks of a paragraph are kept per process: a report set from kept breaks is,
    byte for byte, the report ReportLab sets breaking every line itself, in every language mode."""
    with app.app_context():
        vm = service.viewmodel_for(db.session.get(SelfCheck, reports["B1"]))
    for lang in ("bilingual", "zh", "en"):
        with monkeypatch.context() as m:
            m.setattr(Para, "wrap", Paragraph.wrap)
            plain = render_diagnostic_pdf(vm, "default", lang)
        Para._breaks.clear()
        assert render_diagnostic_pdf(vm, "default", lang) == plain  # breaks worked out and kept
        assert len(Para._breaks) > 100
        assert render_diagnostic_pdf(vm, "default", lang) == plain  # every break from the cache


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs pdftoppm (make system installs poppler-utils)")
@pytest.mark.parametrize("lang", ["bilingual", "en"])
def test_plain_paragraphs_drawn_directly_look_exactly_as_reportlab_draws_them(
    app, reports, tmp_path, monkeypatch, lang
):
    """Para draws plain paragraphs straight onto the canvas; every page, rasterised, is pixel for
    pixel the page ReportLab's own paragraph drawing gives."""
    with app.app_context():
        vm = service.viewmodel_for(db.session.get(SelfCheck, reports["B1"]))

    def pages(name: str, data: bytes) -> list[bytes]:
        (tmp_path / f"{name}.pdf").write_bytes(data)
        subprocess.run(
            ["pdftoppm", "-r", "100", "-gray", str(tmp_path / f"{name}.pdf"), str(tmp_path / name)], check=True
        )
        return [path.read_bytes() for path in sorted(tmp_path.glob(f"{name}-*.pgm"))]

    # ReportLab's own drawing has no synthetic bold: compare with headings in the regular face.
    monkeypatch.setattr(Styles, "BOLD", ())
    monkeypatch.setattr(components, "_styles", {})
    direct = pages("direct", render_diagnostic_pdf(vm, "default", lang))
    monkeypatch.setattr(Para, "drawOn", Paragraph.drawOn)
    reportlab = pages("reportlab", render_diagnostic_pdf(vm, "default", lang))
    assert len(direct) == len(reportlab) >= 8
    assert direct == reportlab


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs pdftoppm (make system installs poppler-utils)")
def test_every_page_renders_to_png(client, reports, tmp_path):
    login(client, "b1")
    data = get_pdf(client, reports["B1"]).data
    (tmp_path / "report.pdf").write_bytes(data)
    done = subprocess.run(
        ["pdftoppm", "-r", "40", "-png", str(tmp_path / "report.pdf"), str(tmp_path / "page")],
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    pngs = sorted(tmp_path.glob("page-*.png"))
    assert len(pngs) == len(read_pdf(data).pages)
    assert all(p.stat().st_size > 1000 and p.read_bytes().startswith(b"\x89PNG") for p in pngs)


@pytest.mark.parametrize(("lang", "mark"), [("zh", "草稿"), ("en", "Draft"), ("bilingual", "草稿 / Draft")])
def test_a_draft_says_so_on_every_page(client, reports, lang, mark):
    def marked(page) -> bool:
        return mark in (line.strip() for line in page.extract_text().splitlines())  # the stamp: a line of its own

    login(client, "leader")
    reader = read_pdf(get_pdf(client, reports["B3"], lang).data)
    assert len(reader.pages) > 1
    assert all(marked(page) for page in reader.pages)
    submitted = read_pdf(get_pdf(client, reports["B1"], lang).data)
    assert not any(marked(page) for page in submitted.pages)


def test_bar_chart_writes_values_and_marks_what_is_missing_instead_of_drawing_zero(app):
    from reportlab.graphics.shapes import Rect

    with app.app_context():
        font = report_font()
    colour = load_template("default").series_colours["this_year"]
    drawing = grouped_bar_chart(
        [["领导示范", "Leadership"], ["集中学习"], ["专题讲课"], ["制度建设"]],
        [
            ChartSeries(["今年"], [80, 60, None, 0.0], colour),
            ChartSeries(["上年"], [70, 50, 40, None], colour, "light"),
        ],
        width=400,
        style=Style(font, 9),
        missing="未作答",
    )
    strings = [s.text for s in drawing.getContents() if hasattr(s, "text")]
    for value in ("80.0", "60.0", "0.0", "70.0", "50.0", "40.0"):
        assert value in strings
    assert strings.count("未作答") == 2
    bars = [r for r in drawing.getContents() if isinstance(r, Rect) and r.height > 5 and r.width != 16]
    assert len(bars) == 6  # one per value given, the 0.0 as a bar of no length, none for the two missing
    svg = renderSVG.drawToString(drawing)
    assert "领导示范" in svg
    assert "今年" in svg


# ---------------------------------------------------------------- access


@pytest.mark.parametrize(
    ("username", "allowed", "refused"),
    [
        ("b1", ["B1", "B1-last"], ["B2", "B3", "X1"]),
        ("leader", ["B1", "B2", "B3"], ["X1"]),
        ("gleader", ["B1", "B2"], ["B3", "X1"]),
        ("trainer", ["B1", "B2"], ["B3", "X1"]),
        ("xleader", ["X1"], ["B1", "B2", "B3"]),
        ("admin", ["B1", "B3", "X1"], []),
    ],
)
def test_who_may_download_which_report(client, reports, username, allowed, refused):
    login(client, username)
    for code in allowed:
        assert get_pdf(client, reports[code], "en").status_code == 200, code
    for code in refused:
        assert get_pdf(client, reports[code], "en").status_code == 404, code


def test_anonymous_is_sent_to_log_in(client, reports):
    response = get_pdf(client, reports["B1"])
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert client.post("/jobs", data={"kind": "reports_zip", "year": THIS_YEAR}).status_code == 302


def test_unknown_report_or_language_is_not_found(client, reports):
    login(client, "admin")
    assert client.get("/reports/999999.pdf").status_code == 404
    assert get_pdf(client, reports["B1"], "fr").status_code == 404


def bundle(app, client, year, lang="bilingual"):
    """Ask for the ZIP of a year's reports (a background job), wait for it, download it."""
    status, download = run_job(client, "reports_zip", year=year, lang=lang)
    assert status["status"] == "done"
    return download


def zip_names(response) -> list[str]:
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    data = response.data
    response.close()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            assert read_pdf(archive.read(name)).pages
        return sorted(archive.namelist())


@pytest.mark.parametrize(
    ("username", "codes"),
    [
        ("leader", ["B1", "B2"]),  # B3 is a draft, X1 under another committee
        ("gleader", ["B1", "B2"]),
        ("trainer", ["B1", "B2"]),
        ("xleader", ["X1"]),
        ("admin", ["B1", "B2", "X1"]),
    ],
)
def test_bundle_holds_exactly_the_submitted_reports_the_user_may_see(app, client, reports, username, codes):
    login(client, username)
    response = bundle(app, client, THIS_YEAR)
    assert zip_names(response) == [f"{code}_{code}-党组织_{THIS_YEAR}_诊断报告_双语.pdf" for code in codes]
    last_year = bundle(app, client, THIS_YEAR - 1, lang="zh")
    expected = ["B1"] if username in ("leader", "gleader", "trainer", "admin") else []
    assert zip_names(last_year) == [f"{code}_{code}-党组织_{THIS_YEAR - 1}_诊断报告_中文.pdf" for code in expected]


def test_bundle_is_refused_to_branches_and_needs_a_cycle(app, client, reports):
    login(client, "b1")
    assert client.post("/jobs", data={"kind": "reports_zip", "year": THIS_YEAR}).status_code == 403
    client = app.test_client()
    login(client, "leader")
    assert client.post("/jobs", data={"kind": "reports_zip"}).status_code == 400
    failed = client.post("/jobs", data={"kind": "reports_zip", "year": 1999}).location + ".json"
    deadline = time.monotonic() + 30
    while client.get(failed).json["status"] != "failed":
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_result_page_links_the_three_languages(client, reports):
    login(client, "b1")
    page = client.get(f"/results/{reports['B1']}").get_data(as_text=True)
    for lang in ("zh", "en", "bilingual"):
        assert f'href="/reports/{reports["B1"]}.pdf?lang={lang}"' in page


# ---------------------------------------------------------------- CLI, templates, fonts


def test_cli_renders_a_report_to_a_file(app, runner, reports, tmp_path):
    out = tmp_path / "b1.pdf"
    result = runner.invoke(
        args=["render-report", "--branch", "B1", "--year", str(THIS_YEAR), "--lang", "zh", "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert str(out) in result.output
    text = pdf_text(read_pdf(out.read_bytes()))
    assert all(squash(name) in text for name in PILLARS_ZH)
    draft = runner.invoke(
        args=["render-report", "--branch", "B3", "--year", str(THIS_YEAR), "--output", str(tmp_path / "b3.pdf")]
    )
    assert draft.exit_code == 0
    assert "draft" in draft.output
    missing = runner.invoke(
        args=["render-report", "--branch", "B2", "--year", str(THIS_YEAR - 1), "--output", str(tmp_path / "none.pdf")]
    )
    assert missing.exit_code != 0
    assert "No self-check of B2" in missing.output
    assert not (tmp_path / "none.pdf").exists()


def test_compact_template_is_data_only(app, reports, tmp_path):
    assert {"default", "compact"} <= set(available_templates())
    compact = load_template("compact")
    assert compact.sections == ("summary", "rectification", "pillars")
    assert compact.bilingual == "columns"
    with app.app_context():
        sc = db.session.get(SelfCheck, reports["B1"])
        default_pdf = read_pdf(service.report_for(sc, "bilingual", "default"))
        compact_pdf = read_pdf(service.report_for(sc, "bilingual", "compact"))
    assert len(compact_pdf.pages) < len(default_pdf.pages)
    text = pdf_text(compact_pdf)
    assert all(squash(zh) in text and squash(en) in text for zh, en in zip(PILLARS_ZH, PILLARS_EN, strict=True))
    # The compact template's own running header; no appendix: no evidence.
    assert "B1 党组织 (B1)" in compact_pdf.pages[1].extract_text()
    assert squash(EVIDENCE_3) not in text


def test_a_malformed_template_is_refused_naming_file_and_key(tmp_path):
    source = (TEMPLATE_DIR / "default.yaml").read_text(encoding="utf-8")
    cases = {
        "sections: [summary, rectification, pillars, appendix]": (
            "sections: [summary, index]",
            "unknown section 'index'",
        ),
        "bold: 0.035": ("bold: 0.5", "fonts.bold"),
        "size: A4": ("size: B7", "page.size"),
        'primary: "#a61b1b"': ('primary: "red"', "colours.primary"),
        'right: "{page}"': ('right: "{pages}"', "unknown piece {pages}"),
    }
    for old, (new, message) in cases.items():
        path = tmp_path / "default.yaml"
        path.write_text(source.replace(old, new), encoding="utf-8")
        with pytest.raises(ReportTemplateError, match=re.escape(message)) as info:
            parse_template(path)
        assert str(path) in str(info.value)
    path = tmp_path / "default.yaml"
    path.write_text(source, encoding="utf-8")
    assert parse_template(path) == load_template("default")
    with pytest.raises(ReportTemplateError, match="no report template named 'nope'"):
        load_template("nope")


def test_missing_font_stops_the_app_with_a_clear_message(tmp_path):
    missing = tmp_path / "no-such-font.ttc"
    with pytest.raises(ReportFontMissing) as info:
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "REPORT_FONT_PATH": str(missing)})
    assert isinstance(info.value, RuntimeError)
    assert str(missing) in str(info.value)
    assert "fonts-wqy-microhei" in str(info.value)
    assert "make system" in str(info.value)
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["REPORT_FONT_PATH"] == DEFAULT_FONT_PATH


def test_text_a_user_typed_is_set_literally_not_as_markup(app, client, world):
    from app.models import Cycle, Organisation
    from app.selfcheck import service as selfchecks

    typed = '<b>bold</b> & <font color="red">x</font> <para>'
    with app.app_context():
        org = db.session.scalar(db.select(Organisation).where(Organisation.code == "B1"))
        cycle = db.session.scalar(db.select(Cycle).where(Cycle.year == THIS_YEAR))
        selfcheck = selfchecks.start_selfcheck(org, cycle)
        text_items = [i.id for i in Q.items.values() if not i.scored]
        selfchecks.save_answers(selfcheck, {**answers_at(3), **dict.fromkeys(text_items, typed)}, None)
        selfcheck_id = selfcheck.id
    login(client, "b1")
    text = squash(pdf_text(read_pdf(get_pdf(client, selfcheck_id, "en").data)))
    assert squash(typed) in text
