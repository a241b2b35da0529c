"""A branch secretary's year, in a real browser against a real server: log in, switch the
language, fill in two pillars, close the tab, come back and find every answer, complete
the rest, submit, read the result and download the bilingual PDF report."""

from __future__ import annotations

import io
import re

from playwright.sync_api import expect
from pypdf import PdfReader

from .helpers import (
    PILLARS,
    QUESTIONNAIRE,
    THIS_YEAR,
    expect_answers,
    expect_saved,
    fill_answers,
    login,
    pillar_answers,
    selfcheck_id,
)


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_branch_fills_in_closes_the_tab_comes_back_submits_and_downloads_the_report(context):
    page = context.new_page()
    login(page, "b01")  # b01 has not started this year's self-check
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")  # the browser's language
    expect(page.get_by_role("button", name="开始自查")).to_be_visible()

    # The language switch on every page; the choice sticks to the account.
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name=f"Self-check {THIS_YEAR}")).to_be_visible()
    page.get_by_role("button", name="Start the self-check").click()

    first, second, *rest = PILLARS
    expect(page).to_have_url(re.compile(rf"/selfcheck/\d+/{first}$"))
    sc = selfcheck_id(page)
    answers = {pillar_id: pillar_answers(pillar_id, variant=n) for n, pillar_id in enumerate(PILLARS)}

    # First pillar: typed, autosaved, then "Save and continue".
    fill_answers(page, answers[first])
    expect_saved(page)
    expect(page.locator(".autosave-status")).to_have_text("All changes saved.")
    expect(page.locator("[data-answered]")).to_have_text(str(len(answers[first])))
    page.get_by_role("button", name="Save and continue").click()
    expect(page).to_have_url(re.compile(rf"/selfcheck/{sc}/{second}$"))
    expect(page.locator(".flash.success")).to_have_text("Your answers are saved.")

    # Second pillar: typed while the connection is down (no autosave gets through), and the
    # tab is closed at once, before any button is pressed: the answers are only in the browser.
    page.route("**/autosave", lambda route: route.abort("internetdisconnected"))
    fill_answers(page, answers[second])
    key = f"selfcheck-{sc}"
    expect(page.locator(".autosave-status")).to_have_class(re.compile(r"\boffline\b"))
    kept = page.evaluate("key => JSON.parse(localStorage.getItem(key))", key)
    assert {name: kept.get(name) for name in answers[second]} == answers[second]
    page.close()

    # Back in the same browser (same cookies, same localStorage): every answer is there.
    page = context.new_page()
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("link", name="Continue").click()
    expect(page).to_have_url(re.compile(rf"/selfcheck/{sc}/"))
    page.goto(f"/selfcheck/{sc}/{first}")
    expect_answers(page, answers[first])
    page.goto(f"/selfcheck/{sc}/{second}")
    expect_answers(page, answers[second])
    expect_saved(page)  # what was only in the browser has now reached the server

    # The server has them: the review page lists every answer of both pillars.
    page.get_by_role("link", name="Review and submit").click()
    sections = page.locator("main section.card")
    for index in (0, 1):
        expect(sections.nth(index).locator("dd.missing")).to_have_count(0)
        expect(sections.nth(index).locator("dd")).to_have_count(len(answers[PILLARS[index]]))
    expect(page.get_by_role("button", name="Submit the self-check")).to_have_count(0)  # not complete yet

    # Complete the rest through the progress steps, then review and submit.
    for pillar_id in rest:
        page.locator(".steps").get_by_role("link", name=QUESTIONNAIRE.pillar(pillar_id).name.en).click()
        expect(page).to_have_url(re.compile(rf"/selfcheck/{sc}/{pillar_id}$"))
        fill_answers(page, answers[pillar_id])
        expect_saved(page)  # the step links leave the page without posting its form
    page.get_by_role("button", name="Save and review").click()
    expect(page).to_have_url(re.compile(rf"/selfcheck/{sc}/review$"))
    expect(page.locator("dd.missing")).to_have_count(0)
    total = len(QUESTIONNAIRE.items)
    expect(page.locator("[data-answered]")).to_have_text(str(total))
    page.get_by_role("button", name="Submit the self-check").click()

    # The result.
    expect(page).to_have_url(re.compile(rf"/results/{sc}$"))
    expect(page.locator(".flash.success")).to_have_text("Self-check submitted.")
    expect(page.get_by_role("heading", name=f"党政办党支部 · Self-check {THIS_YEAR}")).to_be_visible()
    overall = page.locator(".summary .big strong")
    expect(overall).to_have_text(re.compile(r"^\d+(\.\d)?$"))
    assert 0 < float(overall.inner_text()) <= 100
    expect(page.locator(".summary table.pillar-scores tbody tr")).to_have_count(len(PILLARS))
    expect(page.get_by_role("heading", name="Top priorities")).to_be_visible()
    expect(page.locator(".priorities .lead").first).to_contain_text("Led by:")
    evidence = page.locator(".evidence")
    expect(evidence.first).to_contain_text("E2E 证据")

    # The bilingual PDF report, read back.
    with page.expect_download() as info:
        page.get_by_role("link", name="双语 bilingual").click()
    download = info.value
    assert download.suggested_filename == f"diagnostic-report_B01_{THIS_YEAR}_bilingual.pdf"
    data = download.path().read_bytes()
    assert data.startswith(b"%PDF")
    text = squash("".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages))
    assert "党政办党支部" in text
    for pillar in QUESTIONNAIRE.pillars:
        assert squash(pillar.name.zh) in text
        assert squash(pillar.name.en) in text

    # Home now says submitted, in the language chosen earlier.
    page.goto("/")
    expect(page.locator(".status.submitted")).to_be_visible()


def test_not_applicable_and_two_counts_autosave_and_come_back(context):
    """The page's script sends the box and the two number fields as one answer ("n/a", "3/5")."""
    page = context.new_page()
    login(page, "b07")  # a draft this year
    page.locator("main a.button.primary").click()  # "Continue"
    sc = selfcheck_id(page)
    page.goto(f"/selfcheck/{sc}/leadership")
    counts = page.locator('input[type=number][name="L09"]')
    box = page.locator('input[type=checkbox][name="L09"]')

    box.check()
    page.locator('input[type=radio][name="L08"][value="n/a"]').check()
    expect_saved(page)
    page.reload()
    expect(box).to_be_checked()
    expect(page.locator('input[type=radio][name="L08"][value="n/a"]')).to_be_checked()

    box.uncheck()
    counts.nth(0).fill("3")
    counts.nth(1).fill("5")
    expect_saved(page)
    page.reload()
    expect(box).not_to_be_checked()
    expect(counts.nth(0)).to_have_value("3")
    expect(counts.nth(1)).to_have_value("5")
