"""A leader reads the states of the branches and downloads the ZIP of their reports; a
trainer opens the comparison page and exports it as XLSX. Real browser, real server."""

from __future__ import annotations

import io
import re
import zipfile

from openpyxl import load_workbook
from playwright.sync_api import expect

from .helpers import THIS_YEAR, login

# This year's state of the demo branches (app/demo.py) that no other end-to-end test changes.
# B01 and B08 start "not started", but the branch and keyboard tests may start or submit them.
FIXED_STATES = {
    "B02": "submitted",
    "B03": "submitted",
    "B04": "submitted",
    "B05": "submitted",
    "B06": "draft",
    "B07": "draft",
}
MOVING = {"B01", "B08"}


def test_leader_sees_the_branches_states_and_downloads_the_zip_of_reports(make_context):
    page = make_context(locale="en-US").new_page()
    login(page, "leader")
    expect(page).to_have_url(re.compile(r"/overview$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Branches under 城关镇党委")

    rows = page.locator("table.overview tbody tr")
    expect(rows).to_have_count(8)
    states = {}
    for row in rows.all():
        code = row.locator("td.code").inner_text().strip()
        status = row.locator(".status").get_attribute("class").split()[-1]
        states[code] = status
        score = row.locator("td.score").inner_text().strip()
        if status == "submitted":  # a score only once submitted
            assert re.fullmatch(r"\d+(\.\d)?", score), (code, score)
        else:
            assert score == "—", (code, score)
        if status != "not_started":
            expect(row.get_by_role("link", name=re.compile("^Open"))).to_be_visible()
    assert {k: v for k, v in states.items() if k not in MOVING} == FIXED_STATES
    assert set(states) == set(FIXED_STATES) | MOVING
    submitted = sum(1 for s in states.values() if s == "submitted")
    summary = page.locator("main p.status-counts")
    expect(summary).to_contain_text(f"Submitted: {submitted}")
    if states["B06"] == "draft":  # a draft says how far it is
        expect(rows.filter(has_text="B06").locator(".answered")).to_have_text(re.compile(r"^\d+/44 answered$"))

    # A submitted branch's result opens from the overview.
    rows.filter(has_text="B02").get_by_role("link", name=re.compile("^Open")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"财政所党支部 · Self-check {THIS_YEAR}")
    page.go_back()

    # The ZIP of every submitted report: prepared in the background, then downloaded.
    page.get_by_label("Language of the reports").select_option("bilingual")
    page.get_by_role("button", name=re.compile(r"ZIP")).click()
    expect(page).to_have_url(re.compile(r"/jobs/\w+$"))
    download_link = page.get_by_role("link", name="Download")
    expect(download_link).to_be_visible(timeout=90_000)
    with page.expect_download() as info:
        download_link.click()
    download = info.value
    assert download.suggested_filename.endswith(f"_{THIS_YEAR}.zip")
    with zipfile.ZipFile(io.BytesIO(download.path().read_bytes())) as archive:
        names = archive.namelist()
        assert len(names) == submitted > 0
        for name in names:  # code and name of the branch, in the language of the page
            assert re.fullmatch(rf"B0\d_\w+党支部_{THIS_YEAR}_diagnostic-report_bilingual\.pdf", name), name
            assert archive.read(name).startswith(b"%PDF"), name
    assert {n.split("_")[0] for n in names} == {code for code, s in states.items() if s == "submitted"}


def test_trainer_opens_the_comparison_page_and_exports_xlsx(make_context):
    page = make_context(locale="en-US").new_page()
    login(page, "trainer")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Compare").click()
    expect(page).to_have_url(re.compile(r"/compare"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Compare results")
    expect(page.locator("figure.chart").first).to_be_visible()
    expect(page.locator("figure.chart svg").first).to_be_visible()
    units = page.locator("table.units tbody tr")
    expect(units.first).to_be_visible()

    # prepared in the background, then downloaded
    page.get_by_role("button", name="XLSX", exact=True).click()
    expect(page).to_have_url(re.compile(r"/jobs/\w+$"))
    download_link = page.get_by_role("link", name="Download")
    expect(download_link).to_be_visible(timeout=90_000)
    with page.expect_download() as info:
        download_link.click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    book = load_workbook(io.BytesIO(download.path().read_bytes()), read_only=True)
    try:
        sheet = book.worksheets[0]
        rows = list(sheet.iter_rows(values_only=True))
    finally:
        book.close()
    header, data = rows[0], rows[1:]
    assert len(header) > 10
    assert data
    codes = {row[0] for row in data}
    # The trainer is assigned both committees: branches of each are in the export.
    assert {"B02", "B03", "B04", "B05", "XQ-01"} <= codes, codes
    assert all(isinstance(row[3], int) and row[3] in (THIS_YEAR - 1, THIS_YEAR) for row in data)
    overall = [row[4] for row in data if row[4] is not None]
    assert overall
    assert all(0 <= v <= 100 for v in overall)
