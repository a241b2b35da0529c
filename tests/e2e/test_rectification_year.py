"""Issue 17's year in a real browser: branch b03 submits, turns its top priorities into a
rectification list of three actions, attaches a PDF and a photo; the leader returns the
self-check with a comment on one question; b03 sees it, changes that answer and resubmits; the
leader approves; the report shows the actions and the evidence list; a new cycle is opened and
b03 starts it with last year's actions to account for, and last year's answers offered.

It runs against a server of its own (fresh demo data): opening a new cycle would change what
every other end-to-end test finds.
"""

from __future__ import annotations

import io
import re
import sqlite3
from datetime import date, timedelta

import pytest
from PIL import Image
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from .conftest import demo_server, flask_command, new_context
from .helpers import QUESTIONNAIRE, THIS_YEAR, axe_violations, expect_saved, login, selfcheck_id

OWNERS = ("王芳", "李强", "张敏")
FLAGGED = "R01"  # B03 says it has no written study rules, and yet describes them (the demo's contradiction)


def b03_back_to_draft(db_path) -> None:
    """The demo has b03's self-check of this year submitted: make it a complete draft again, for b03 to submit."""
    with sqlite3.connect(db_path) as con:
        con.execute(
            "UPDATE self_check SET status = 'draft', submitted_at = NULL, submitted_by_id = NULL, score = NULL, "
            "level = NULL WHERE organisation_id = (SELECT id FROM organisation WHERE code = 'B03') "
            "AND cycle_id = (SELECT id FROM cycle WHERE year = ?)",
            (THIS_YEAR,),
        )


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with demo_server(tmp_path_factory.mktemp("e2e-rectification"), prepare=b03_back_to_draft) as served:
        yield served


@pytest.fixture
def open_page(browser, server):
    """Pages in English (the labels asserted below), each in a fresh browser profile; axe-core
    is injected as an inline script, so these contexts bypass the CSP."""
    contexts = []

    def make() -> Page:
        contexts.append(new_context(browser, server[0], locale="en-US", bypass_csp=True))
        return contexts[-1].new_page()

    yield make
    for context in contexts:
        context.close()


def no_axe_violations(page: Page, axe_source) -> None:
    found = axe_violations(page, axe_source)
    assert not found, "\n".join(found)


def photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (180, 40, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


def pdf_text(data: bytes) -> str:
    return re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages))


def submit(page: Page) -> None:
    page.goto("/selfcheck/")
    page.get_by_role("link", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/review$"))
    confirm = page.locator("input[name=confirm_flags]")
    if confirm.count():
        confirm.check()
    page.get_by_role("button", name="Submit the self-check").click()
    expect(page).to_have_url(re.compile(r"/results/\d+$"))


def test_a_branch_year_from_the_result_to_next_years_self_check(open_page, server, axe_source):
    base, env = server
    b03 = open_page()
    login(b03, "b03")
    submit(b03)
    sc = selfcheck_id(b03)

    # The rectification list from the three top priorities, the problem prefilled from the answer.
    b03.get_by_role("link", name="Open the rectification list").click()
    expect(b03).to_have_url(re.compile(rf"/selfcheck/{sc}/actions$"))
    no_axe_violations(b03, axe_source)
    priorities = b03.locator('#plan a[href*="from=priority"]')
    expect(priorities).to_have_count(3)
    for n, owner in enumerate(OWNERS):
        b03.locator('#plan a[href*="from=priority"]').nth(n).click()
        expect(b03.locator("#problem")).to_have_value(re.compile("the self-check answer was"))
        if n == 0:
            no_axe_violations(b03, axe_source)
        b03.fill("#owner_name", owner)
        b03.get_by_role("button", name="Add to the list").click()
        expect(b03.locator(".flash.success")).to_have_text("The action is on the rectification list.")
    rows = b03.locator("table.actions-list tbody tr")
    expect(rows).to_have_count(3)
    for owner in OWNERS:
        expect(b03.locator("table.actions-list")).to_contain_text(owner)
    expect(b03.locator("table.actions-list")).to_contain_text("Planned")
    first_action = b03.locator("table.actions-list tbody tr a").first
    first_action.click()
    no_axe_violations(b03, axe_source)
    action_id = int(b03.url.rsplit("/", 1)[1])

    # A PDF and a photo attached to the first action (17b's evidence page).
    for name, mime, content in (
        ("支委会会议记录.pdf", "application/pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"),
        ("学习现场.jpg", "image/jpeg", photo()),
    ):
        b03.goto(f"/selfcheck/{sc}/evidence")
        b03.select_option("#target", f"action:{action_id}")
        b03.set_input_files("#file", {"name": name, "mimeType": mime, "buffer": content})
        b03.get_by_role("button", name="Attach", exact=True).click()
        expect(b03.locator("main")).to_contain_text(name)

    # The leader returns it with a comment on the flagged question.
    leader = open_page()
    login(leader, "leader")
    leader.goto(f"/results/{sc}")
    expect(leader.locator("#rectification")).to_contain_text(OWNERS[0])  # leaders read the list
    leader.fill("#comment", "请核实学习制度一题。")
    leader.locator("#review details summary").first.click()
    leader.fill(f"#item_{FLAGGED}", "支部有书面学习制度吗？请与制度文本核对。")
    leader.get_by_role("button", name="Return for changes").click()
    expect(leader.locator(".flash.success")).to_be_visible()

    # b03 sees the comment on its home page and beside the question, changes the answer, resubmits.
    b03.goto("/selfcheck/")
    expect(b03.locator(".notice.returned")).to_contain_text("请核实学习制度一题。")
    b03.locator(".notice.returned").get_by_role("link", name=FLAGGED).click()
    expect(b03.locator(".review-comment")).to_contain_text("请与制度文本核对")
    b03.locator(f'input[name="{FLAGGED}"][value="yes"]').check()
    expect_saved(b03)
    submit(b03)

    # The leader approves; the report shows the actions and the evidence list.
    leader.goto(f"/results/{sc}")
    leader.get_by_role("button", name="Approve").click()
    expect(leader.locator(".flash.success")).to_be_visible()
    report = leader.request.get(f"/reports/{sc}.pdf?lang=en")
    assert report.ok
    text = pdf_text(report.body())
    assert "Rectificationlist" in text
    for owner in OWNERS:
        assert owner in text
    assert "支委会会议记录.pdf" in text
    assert "学习现场.jpg" in text

    # A new cycle: this year's closes, next year's opens today; b03 starts it.
    today = date.today()
    opens, closes = (today - timedelta(days=2)).isoformat(), (today - timedelta(days=1)).isoformat()
    flask_command(env, "open-cycle", str(THIS_YEAR), "--opens", opens, "--closes", closes)
    flask_command(env, "open-cycle", str(THIS_YEAR + 1), "--opens", today.isoformat())
    b03.goto("/selfcheck/")
    b03.get_by_role("button", name="Start the self-check").click()
    new = selfcheck_id(b03)
    assert new != sc

    # Last year's answers, offered on the first page: marked, counted only once confirmed.
    first_pillar = QUESTIONNAIRE.pillars[0]
    b03.get_by_role("button", name="Show last year's answers").click()
    marks = b03.locator(".prefilled")
    expect(marks.first).to_be_visible()
    expect(b03.locator("[data-answered]")).to_have_text("0")
    no_axe_violations(b03, axe_source)
    item = first_pillar.items[0].id
    b03.get_by_label(f"Confirm last year's answer to {item}").click()  # the mark goes as it is confirmed
    expect_saved(b03)
    expect(b03.locator(f'[data-prefilled-for="{item}"]')).to_have_count(0)
    expect(b03.locator("[data-answered]")).to_have_text("1")

    # Last year's actions come with it: one was done, the others go on.
    b03.goto("/selfcheck/")
    expect(b03.locator("#rectification")).to_contain_text("3 actions of last year are still to be accounted for.")
    b03.get_by_role("link", name="Open the rectification list").click()
    forms = b03.locator("#last-year form")
    expect(forms).to_have_count(3)
    no_axe_violations(b03, axe_source)
    done = forms.first
    done.get_by_label("Yes, it was done").check()
    done.get_by_label("What was done").fill("学习制度已经支委会讨论通过并印发。")
    done.get_by_role("button", name="Save").click()
    expect(b03.locator(".flash.success")).to_have_text("Last year's action is accounted for.")
    goes_on = b03.locator("#last-year form").first
    goes_on.get_by_label("Not yet: it goes on this year").check()
    goes_on.get_by_label("New deadline").fill(f"{THIS_YEAR + 1}-06-30")
    goes_on.get_by_role("button", name="Save").click()
    expect(b03.locator("#last-year form")).to_have_count(1)
    expect(b03.locator("main")).to_contain_text("Last year's rectification: 1 of 3 done")
    expect(b03.locator("table.actions-list tbody tr")).to_have_count(2)  # both now on this year's list
