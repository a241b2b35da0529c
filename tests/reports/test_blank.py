"""The blank questionnaire on paper: every item with its help and levels, boxes and lines, the
cycle and the unit on every page, in zh, en and bilingual; read back from the PDF."""

from __future__ import annotations

import io
import subprocess

from pypdf import PdfReader

from app.assessment.items import Choice
from app.assessment.questionnaire import get_questionnaire
from app.reports.blank import BOX, blank_viewmodel
from tests.conftest import THIS_YEAR, VERSION, login

Q = get_questionnaire(VERSION)


def pages_of(pdf: bytes) -> list[str]:
    return [page.extract_text().replace("\n", "") for page in PdfReader(io.BytesIO(pdf)).pages]


def test_the_view_model_holds_every_item_with_its_entry():
    vm = blank_viewmodel(Q, THIS_YEAR, "B1 党支部")
    items = [i for p in vm.pillars for i in p.items]
    assert [i.id for i in items] == list(Q.items)
    assert all(i.entry == Q.items[i.id].entry for i in items)
    assert [p.name for p in vm.pillars] == [p.name for p in Q.pillars]


def test_the_branch_prints_it_with_its_name_and_the_cycle_on_every_page(app, client, world):
    login(client, "b1")
    home = client.get("/selfcheck/").get_data(as_text=True)
    assert "/reports/blank.pdf?lang=zh" in home
    response = client.get("/reports/blank.pdf?lang=zh")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    pages = pages_of(response.data)
    assert len(pages) > 3
    for page in pages:
        assert "B1 党组织" in page
        assert f"{THIS_YEAR}年度自查" in page or f"{THIS_YEAR}" in page
    text = "".join(pages)
    for item in Q.items.values():
        assert item.id in text
        assert item.text.zh.replace(" ", "")[:12] in text.replace(" ", ""), item.id
        if item.help is not None:
            assert item.help.zh.replace(" ", "")[:10] in text.replace(" ", ""), item.id
        entry = item.entry
        if isinstance(entry, Choice):
            for option in entry.options:
                assert option.label.zh.replace(" ", "")[:8] in text.replace(" ", ""), (item.id, option.value)
    boxes = sum(len(i.entry.options) for i in Q.items.values() if isinstance(i.entry, Choice))
    boxes += sum(1 for i in Q.items.values() if i.allows_na)
    assert text.count(BOX) == boxes
    assert "不适用" in text


def test_english_and_bilingual_and_the_command(app, runner, world, tmp_path):
    with app.test_request_context():
        from app.models import Cycle
        from app.reports.blank import blank_questionnaire

        cycle = Cycle.query.filter_by(year=THIS_YEAR).one()
        english = "".join(pages_of(blank_questionnaire(cycle, "en")))
        both = "".join(pages_of(blank_questionnaire(cycle, "bilingual")))
    first = next(iter(Q.items.values()))
    assert first.text.en.split()[0] in english
    assert "Blank questionnaire" in english
    assert first.text.zh[:8] in both
    assert first.text.en.split()[0] in both
    output = tmp_path / "blank.pdf"
    result = runner.invoke(args=["render-blank", "--year", str(THIS_YEAR), "--lang", "zh", "--branch", "B2",
                                 "--output", str(output)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert all("B2 党组织" in page for page in pages_of(output.read_bytes()))
    # the pages rasterise (poppler reads the file as a printer driver would)
    png = subprocess.run(["pdftoppm", "-png", "-r", "30", "-f", "1", "-l", "1", str(output)], capture_output=True)
    assert png.returncode == 0
    assert png.stdout.startswith(b"\x89PNG")
    assert runner.invoke(args=["render-blank", "--year", "1999", "--output", str(output)]).exit_code != 0
