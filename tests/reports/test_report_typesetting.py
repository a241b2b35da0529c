"""Every demo report, in Chinese, English and both, rendered and read back by two PDF readers.

Poppler (`pdftotext -bbox-layout`) gives the lines as a reader sees them, block by block
(a table cell is a block): on every line, no closing mark starts it, no opening mark ends
it, no figure or id is split, and no paragraph ends on a single character. pypdf gives each
piece of text with its position, size and render mode: how full each page is, whether a
heading is left alone at the foot of a page, the type sizes, the bold headings.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from dataclasses import dataclass
from html import unescape

import pytest
from pypdf import PdfReader
from reportlab import rl_config

from app import create_app
from app.demo import seed
from app.extensions import db
from app.models import Cycle, Organisation, SelfCheck
from app.reports import service
from app.reports.template import load_template
from tests.conftest import THIS_YEAR

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext (make system)")

# Chinese typesetting (GB/T 15834 and common practice), written out here independently of the code.
MAY_NOT_START = set("，。、；：？！）》」』】〕］｝〉”’…,.;:?!)]}%")
MAY_NOT_END = set("（《「『【〔［｛〈“‘([{")
PUNCTUATION = MAY_NOT_START | MAY_NOT_END | set("·—-/ ")
CJK = re.compile(r"[\u3400-\u9fff]")
TEMPLATE = load_template("default")
MIN_FILL = 0.3


@dataclass(frozen=True)
class Chunk:
    page: int
    y: float  # baseline, points from the bottom of the page
    size: float
    bold: bool  # drawn filled and stroked: the synthetic bold of headings
    text: str


@dataclass(frozen=True)
class Line:
    text: str
    x: float
    y: float  # top, points from the top of the page

    def continues(self, previous: Line) -> bool:
        """The next line of the same paragraph: below it, starting where it starts (a cell beside it does not)."""
        return self.y > previous.y + 1 and abs(self.x - previous.x) < 3


@dataclass
class Report:
    name: str
    lang: str
    draft: bool
    data: bytes
    reader: PdfReader
    lines: list[list[list[Line]]]  # page → block → line (poppler)
    chunks: list[Chunk]  # pypdf
    labels: dict  # the view-model's fixed labels


def poppler_lines(data: bytes) -> list[list[list[Line]]]:
    """Page → block → each line, as pdftotext lays them out."""
    xhtml = subprocess.run(
        ["pdftotext", "-bbox-layout", "-", "-"], input=data, capture_output=True, check=True, timeout=60
    ).stdout.decode("utf-8")
    pages = []
    for page in re.findall(r"<page .*?</page>", xhtml, re.S):
        blocks = []
        for block in re.findall(r"<block .*?</block>", page, re.S):
            lines = []
            for x, y, words in re.findall(r'<line xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>(.*?)</line>', block, re.S):
                text = " ".join(unescape(w) for w in re.findall(r"<word [^>]*>(.*?)</word>", words, re.S))
                if text.strip():
                    lines.append(Line(text, float(x), float(y)))
            blocks.append(lines)
        pages.append(blocks)
    return pages


def pypdf_chunks(reader: PdfReader) -> list[Chunk]:
    chunks: list[Chunk] = []
    for number, page in enumerate(reader.pages):
        state = {"mode": 0, "stack": []}

        def operator(op, args, cm, tm, state=state):
            if op == b"q":
                state["stack"].append(state["mode"])
            elif op == b"Q":
                state["mode"] = state["stack"].pop() if state["stack"] else 0
            elif op == b"Tr":
                state["mode"] = int(args[0])

        def text(t, cm, tm, font, size, state=state, number=number):
            if t.strip():
                y = tm[5] * cm[3] + cm[5]
                chunks.append(Chunk(number, y, round(size * tm[3] * cm[3], 2), state["mode"] == 2, t.strip()))

        page.extract_text(visitor_operand_before=operator, visitor_text=text)
    return chunks


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> list[Report]:
    """The reports of every demo self-check (both years, submitted and drafts) in every language."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "x"})
    before, rl_config.invariant = rl_config.invariant, 1
    out = []
    try:
        with app.app_context():
            db.create_all()
            seed()
            selfchecks = db.session.scalars(
                db.select(SelfCheck).join(Organisation).join(Cycle).order_by(Cycle.year, Organisation.code)
            ).all()
            for sc in selfchecks:
                labels = service.viewmodel_for(sc).labels
                for lang in ("zh", "en", "bilingual"):
                    data = service.report_for(sc, lang)
                    reader = PdfReader(io.BytesIO(data))
                    name = f"{sc.organisation.code} {sc.cycle.year} {lang}"
                    lines, chunks = poppler_lines(data), pypdf_chunks(reader)
                    out.append(Report(name, lang, not sc.submitted, data, reader, lines, chunks, labels))
            db.session.remove()
            db.engine.dispose()
    finally:
        rl_config.invariant = before
    return out


def body_characters(line: str) -> int:
    return sum(1 for c in line if c not in PUNCTUATION and not c.isspace())


def test_every_line_follows_the_rules_of_chinese_line_breaking(reports):
    assert len(reports) >= 5 * 3
    problems = []
    for report in reports:
        assert sum(len(block) for blocks in report.lines for block in blocks) > 40 * len(report.lines), report.name
        for page, blocks in enumerate(report.lines, 1):
            for block in blocks:
                for i, current in enumerate(block):
                    line = current.text
                    where = f"{report.name} p.{page}: {line!r}"
                    if line[0] in MAY_NOT_START:
                        problems.append(f"closing mark starts the line: {where}")
                    if line[-1] in MAY_NOT_END:
                        problems.append(f"opening mark ends the line: {where}")
                    if i == 0 or not current.continues(block[i - 1]):
                        continue
                    previous = block[i - 1].text
                    if CJK.search(line) and body_characters(line) < 2:
                        problems.append(f"single character on its own line: {where} after {previous!r}")
                    if re.search(r"[A-Z]\d{2}$", previous) and line.startswith("×"):
                        problems.append(f"an id split from its figure: {where} after {previous!r}")
                    if re.search(r"\d\.$", previous) and re.match(r"\d", line) or re.match(r"%|\.\d", line):
                        problems.append(f"a number split: {where} after {previous!r}")
    assert not problems, "\n".join(problems[:30])


def frame_chunks(report: Report, page: int) -> list[Chunk]:
    bottom = TEMPLATE.margins["bottom"]
    top = TEMPLATE.page_size[1] - TEMPLATE.margins["top"]
    return [c for c in report.chunks if c.page == page and bottom - 1 <= c.y <= top + 1]


def test_no_page_but_the_last_is_less_than_a_third_full_and_no_heading_ends_a_page(reports):
    """Fill: how far down the text frame the lowest line of the page stands."""
    top = TEMPLATE.page_size[1] - TEMPLATE.margins["top"]
    height = top - TEMPLATE.margins["bottom"]
    problems = []
    for report in reports:
        pages = len(report.reader.pages)
        for page in range(pages - 1):
            chunks = frame_chunks(report, page)
            assert chunks, f"{report.name}: page {page + 1} has no text"
            lowest = min(chunks, key=lambda c: c.y)
            fill = (top - lowest.y) / height
            if fill < MIN_FILL:
                problems.append(f"{report.name}: page {page + 1} of {pages} is {fill:.0%} full")
            at_foot = [c for c in chunks if abs(c.y - lowest.y) < 1]
            if all(c.bold for c in at_foot):
                problems.append(f"{report.name}: page {page + 1} ends with the heading {at_foot[0].text!r}")
    assert not problems, "\n".join(problems)


def test_readable_type_and_bold_headings(reports):
    assert TEMPLATE.sizes["body"] >= 10.5
    assert TEMPLATE.sizes["table"] >= 9
    assert TEMPLATE.sizes["small"] >= 9
    for report in reports:
        chunks = [c for page in range(len(report.reader.pages)) for c in frame_chunks(report, page)]
        small = [c for c in chunks if c.size < 9 - 0.01]
        assert not small, f"{report.name}: text under 9 pt: {small[:5]}"
        headings = [c for c in chunks if c.bold]
        assert headings, report.name
        assert all(c.size >= TEMPLATE.sizes["h2"] * 0.95 - 0.01 for c in headings), report.name
        # Body text: the level description on page 1 is set at the body size, in the regular face.
        sizes = {c.size for c in chunks if not c.bold and CJK.search(c.text) and len(c.text) > 6}
        if report.lang != "en":
            assert TEMPLATE.sizes["body"] in sizes, report.name


def test_outline_marks_each_section(reports):
    for report in reports:
        titles = [entry.title for entry in report.reader.outline if not isinstance(entry, list)]
        # summary, the rectification list, four pillars, appendix
        assert len(titles) == 1 + 1 + 4 + 1, (report.name, titles)
        assert titles[1] in ("整改清单", "Rectification list", "整改清单 · Rectification list"), titles[1]
        assert titles[2].startswith("1 ")
        assert titles[5].startswith("4 ")
        assert report.reader.trailer["/Root"]["/PageMode"] == "/UseOutlines"


def test_a_draft_is_marked_on_every_page(reports):
    for report in reports:
        mark = {"zh": "草稿", "en": "Draft", "bilingual": "草稿 / Draft"}[report.lang]
        marked = [any(line.text == mark for block in blocks for line in block) for blocks in report.lines]
        assert all(marked) if report.draft else not any(marked), report.name


def test_the_chart_writes_every_value_and_marks_an_unanswered_pillar(reports):
    drafts = [r for r in reports if r.draft and r.lang == "zh"]
    assert drafts
    for report in drafts:
        page_1 = report.reader.pages[0].extract_text() + report.reader.pages[1].extract_text()
        assert "未作答" in page_1, report.name


def test_size_and_fonts(reports):
    for report in reports:
        assert len(report.data) <= 300 * 1024, report.name
        fonts = {
            str(font.get_object()["/BaseFont"])
            for page in report.reader.pages
            for font in page["/Resources"]["/Font"].values()
        }
        assert all(re.fullmatch(r"/[A-Z]{6}\+WenQuanYiMicroHei.*", name) for name in fonts), fonts


def test_peer_figures_once_the_cycle_closed_and_never_another_branch(reports):
    """Last year's cycle is closed: seven other branches of 城关镇党委 stand behind each figure.
    This year's is open: no figure yet."""
    from app.demo import ORGANISATIONS

    branches = {code: name for code, kind, name, _ in ORGANISATIONS if kind == "branch"}
    for report in (r for r in reports if r.lang == "zh" and not r.name.startswith("XQ")):
        code, year = report.name.split()[:2]
        text = "".join(page.extract_text() for page in report.reader.pages[:2])
        text = re.sub(r"\s+", "", text)
        if year == str(THIS_YEAR - 1):
            assert "同级：城关镇党委所属、本年度已提交自查的其他7个党支部，不含本支部。" in text, report.name
        else:
            assert f"同级比较数据在本年度自查截止（{THIS_YEAR}年12月31日）后显示。" in text, report.name
        assert not [name for other, name in branches.items() if other != code and name in text], report.name


def test_the_bilingual_copy_sets_each_block_in_chinese_then_english_never_a_label_pair_in_a_line(reports):
    """The running header and footer ("诊断报告 Diagnostic report 2026", "第 1 页 / 共 9 页 Page 1 of 9") aside,
    and the chart's compact marker of a pillar without answers ("未作答 / Not answered")."""
    top, bottom = TEMPLATE.margins["top"], TEMPLATE.page_size[1] - TEMPLATE.margins["bottom"]
    for report in (r for r in reports if r.lang == "bilingual"):
        pairs = [t for t in report.labels.values() if t.zh != t.en and "%(" not in t.en and len(t.en) > 3]
        pairs.remove(report.labels["not_answered"])
        for blocks in report.lines:
            for line in (line for block in blocks for line in block if top < line.y < bottom):
                mixed = [t.en for t in pairs if t.zh in line.text and t.en in line.text]
                assert not mixed, (report.name, line.text)


def test_english_readers_get_english_quotations(reports):
    for report in (r for r in reports if r.lang == "en"):
        text = "".join(line.text for blocks in report.lines for block in blocks for line in block)
        assert "Source:" in text or "No improvement suggestion" in text, report.name
        assert "出处" not in text, report.name
        sources = [line.text for blocks in report.lines for block in blocks for line in block if "Source:" in line.text]
        assert not [line for line in sources if CJK.search(line)], report.name  # the English quotation
