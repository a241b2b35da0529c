"""Accessibility in a real browser: axe-core (from npm, injected into each page) finds no
serious or critical violation on any main page, in either language; a whole pillar can be
answered and saved with the keyboard alone; the focused element always shows an outline
that stands out from what is behind it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .helpers import (
    PILLARS,
    QUESTIONNAIRE,
    THIS_YEAR,
    axe_violations,
    expect_answers,
    login,
    pillar_answers,
    selfcheck_id,
)


@pytest.fixture
def axe_context(make_context):
    """axe-core is injected as an inline script, which the app's CSP forbids: only these
    contexts bypass the CSP (the other end-to-end tests run under it)."""
    return lambda **options: make_context(bypass_csp=True, **options)


def audit(page: Page, axe_source, found: list[str], seen: list[str]) -> None:
    expect(page.locator("main")).to_be_visible()
    seen.append(page.url)
    found.extend(axe_violations(page, axe_source))


def report(found: list[str], seen: list[str]) -> None:
    summary = f"axe-core found {len(found)} serious or critical violations on {len(seen)} pages:"
    assert not found, "\n".join([summary, *found])


def test_axe_on_the_login_and_branch_pages(axe_context, axe_source):
    found, seen = [], []
    for locale in ("zh-CN", "en-US"):
        page = axe_context(locale=locale).new_page()
        page.goto("/login")
        audit(page, axe_source, found, seen)
        page.goto("/does-not-exist")
        audit(page, axe_source, found, seen)

    # A draft (b06): home, every pillar page, the review, the provisional result, the tokens.
    page = axe_context().new_page()
    login(page, "b06")
    audit(page, axe_source, found, seen)  # home
    page.locator("main a.button.primary").click()  # "Continue"
    sc = selfcheck_id(page)
    for pillar_id in PILLARS:
        page.goto(f"/selfcheck/{sc}/{pillar_id}")
        audit(page, axe_source, found, seen)
    page.goto(f"/selfcheck/{sc}/review")
    audit(page, axe_source, found, seen)
    page.goto(f"/results/{sc}")
    audit(page, axe_source, found, seen)
    page.goto(f"/selfcheck/{sc}/evidence")  # the evidence page with its upload form
    audit(page, axe_source, found, seen)
    page.goto("/account/tokens")
    page.locator("#name").fill("e2e")
    page.locator("main form button.primary").click()
    expect(page.locator("#token-value")).to_be_visible()  # the new token, once
    audit(page, axe_source, found, seen)

    # A submitted self-check (b02), in English: home and the full result.
    page = axe_context(locale="en-US").new_page()
    login(page, "b02")
    audit(page, axe_source, found, seen)
    page.get_by_role("link", name="See the result").click()
    expect(page.get_by_role("heading", name="Top priorities")).to_be_visible()
    audit(page, axe_source, found, seen)
    report(found, seen)


def test_axe_on_the_leader_trainer_and_admin_pages(axe_context, axe_source):
    found, seen = [], []
    page = axe_context().new_page()
    login(page, "leader")
    audit(page, axe_source, found, seen)  # the overview
    page.locator("table.overview a").first.click()  # a branch's result, as a leader (with the review form)
    audit(page, axe_source, found, seen)
    page.goto("/compare")
    audit(page, axe_source, found, seen)
    page.goto("/overview")
    page.locator("form:has(input[value=reports_zip]) button").click()  # the ZIP of reports: the job page
    expect(page).to_have_url(re.compile(r"/jobs/\w+$"))
    audit(page, axe_source, found, seen)

    page = axe_context(locale="en-US").new_page()
    login(page, "trainer")
    page.goto(f"/compare?year={THIS_YEAR - 1}&year={THIS_YEAR}&org=CG-SQ")  # two cycles, one general branch
    audit(page, axe_source, found, seen)

    page = axe_context().new_page()
    login(page, "admin")
    page.goto("/admin/audit")
    audit(page, axe_source, found, seen)
    page.goto("/account/tokens")
    audit(page, axe_source, found, seen)
    for path in ("/accounts/users", "/accounts/users/new", "/accounts/import", "/accounts/password"):
        page.goto(path)
        audit(page, axe_source, found, seen)
    page.goto("/accounts/users?q=b01")
    page.locator("table.cards a", has_text="b01").click()  # a user's page, with its actions and role form
    audit(page, axe_source, found, seen)
    page.get_by_role("button", name="重置密码").click()  # the confirmation, which changes nothing yet
    audit(page, axe_source, found, seen)
    report(found, seen)


# ---------------------------------------------------------------- keyboard only

FOCUS_STATE = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const rgb = c => (c.match(/[\\d.]+/g) || []).map(Number);
  let bg = null;
  for (let node = el.parentElement; node; node = node.parentElement) {
    const c = rgb(getComputedStyle(node).backgroundColor);
    if (c.length === 3 || (c.length === 4 && c[3] > 0)) { bg = c; break; }
  }
  const lum = c => {
    const [r, g, b] = c.slice(0, 3).map(v => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const a = lum(rgb(style.outlineColor)), b = lum(bg || [255, 255, 255]);
  const box = el.getBoundingClientRect();
  const top = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
  return {
    covered: !(top && (el.contains(top) || top.contains(el))),
    tag: el.tagName.toLowerCase(), type: el.type || "", name: el.name || "", value: el.value || "",
    label: (el.innerText || el.value || el.getAttribute("aria-label") || "").trim().slice(0, 60),
    outlineStyle: style.outlineStyle, outlineWidth: parseFloat(style.outlineWidth) || 0,
    contrast: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05),
  };
}"""


def focus_state(page: Page) -> dict:
    """What has the focus, checking that it shows: an outline of at least 2 px, 3:1 against the
    background, and not hidden under something else (such as the sticky bar of buttons)."""
    state = page.evaluate(FOCUS_STATE)
    assert state["tag"] != "body", "the focus was lost"
    visible = state["outlineStyle"] not in ("none", "hidden") and state["outlineWidth"] >= 2
    assert visible, f"no visible focus outline on {state}"
    assert state["contrast"] >= 3, f"the focus outline hardly stands out from its background: {state}"
    assert not state["covered"], f"the focused element is hidden behind another one: {state}"
    return state


def tab_to(page: Page, wanted, limit: int = 80, key: str = "Tab") -> dict:
    """Press Tab (or Shift+Tab) until `wanted(state)` holds, checking the focus on the way."""
    for _ in range(limit):
        page.keyboard.press(key)
        state = focus_state(page)
        if wanted(state):
            return state
    raise AssertionError(f"{key} never reached the element")


def test_a_pillar_can_be_answered_and_saved_with_the_keyboard_alone(context):
    page = context.new_page()
    page.goto("/login")  # the username field has the focus
    expect(page.locator("#username")).to_be_focused()  # autofocus lands after the load: wait, or keys are lost
    page.keyboard.type("b08")  # b08 has not started this year's self-check
    page.keyboard.press("Tab")
    page.keyboard.type("demo1234")
    tab_to(page, lambda s: s["tag"] == "button" and s["type"] == "submit")
    page.keyboard.press("Space")
    expect(page).to_have_url(re.compile(r"/selfcheck/$"))

    tab_to(page, lambda s: s["label"] == "开始自查")
    page.keyboard.press("Space")
    first = PILLARS[0]
    expect(page).to_have_url(re.compile(rf"/selfcheck/\d+/{first}$"))
    sc = selfcheck_id(page)

    answers = pillar_answers(first, variant=1)
    todo = dict(answers)
    for _ in range(300):
        if not todo:
            break
        page.keyboard.press("Tab")
        state = focus_state(page)
        name = state["name"]
        if name not in todo:
            continue
        entry = QUESTIONNAIRE.items[name].entry
        value = todo.pop(name)
        if entry.kind == "choice":
            # Tab enters a group without a choice on its first option; the arrows move and choose.
            options = [option.value for option in entry.options]
            assert state["value"] == options[0]
            steps = options.index(value)
            page.keyboard.press("Space" if steps == 0 else "ArrowDown")
            for _ in range(steps - 1):
                page.keyboard.press("ArrowDown")
        elif entry.kind == "counts":  # two number fields: the part, then the whole
            part, whole = value.split("/")
            page.keyboard.type(part)
            page.keyboard.press("Tab")
            page.keyboard.type(whole)
        else:
            page.keyboard.type(value)
    assert not todo, f"never reached by Tab: {sorted(todo)}"

    # Change the first answer: back with Shift+Tab, then one step up with an arrow key.
    tab_to(page, lambda s: s["name"] == "L01", key="Shift+Tab")
    page.keyboard.press("ArrowUp")
    answers["L01"] = str(int(answers["L01"]) - 1)

    # Save and continue, with the space bar.
    tab_to(page, lambda s: s["tag"] == "button" and s["value"] == "next")
    page.keyboard.press("Space")
    expect(page).to_have_url(re.compile(rf"/selfcheck/{sc}/{PILLARS[1]}$"))
    expect(page.locator(".flash.success")).to_be_visible()

    # On the server: a fresh page shows every answer, and the review lists none missing there.
    page.goto(f"/selfcheck/{sc}/review")
    first_section = page.locator("main section.card").first
    expect(first_section.locator("dd")).to_have_count(len(answers))
    expect(first_section.locator("dd.missing")).to_have_count(0)
    page.evaluate("key => localStorage.removeItem(key)", f"selfcheck-{sc}")  # nothing may come from the browser
    page.goto(f"/selfcheck/{sc}/{first}")
    expect_answers(page, answers)


def test_axe_on_the_tree_cycle_questionnaire_and_reminder_pages(axe_context, axe_source):
    """The administration pages of issue 16 (the tree, cycles, questionnaire versions, reminders),
    on a phone in Chinese and on a desktop in English, and a branch's home with a reminder."""
    found, seen = [], []
    for locale, viewport in (("zh-CN", {"width": 390, "height": 844}), ("en-US", None)):
        page = axe_context(locale=locale, **({"viewport": viewport} if viewport else {})).new_page()
        login(page, "admin")
        for url in ("/admin/organisations", "/admin/cycles", f"/admin/cycles/{THIS_YEAR}", "/admin/questionnaires"):
            page.goto(url)
            audit(page, axe_source, found, seen)
        page.locator("main table a").first.click()  # a questionnaire version, read
        audit(page, axe_source, found, seen)
        page.goto("/admin/organisations")
        page.locator("main table a", has_text="B04").click()
        audit(page, axe_source, found, seen)
        page.locator("#parent").select_option(index=0)
        page.locator("main form").nth(1).locator("button").click()  # the move's confirmation
        expect(page.locator("main form input[name=confirm]")).to_have_count(1)
        audit(page, axe_source, found, seen)
        page.go_back()
        page.locator("main form").nth(2).locator("button").click()  # the closing's confirmation
        expect(page.locator("main form input[name=confirm]")).to_have_count(1)
        audit(page, axe_source, found, seen)

    leader = axe_context().new_page()
    login(leader, "leader")
    leader.goto("/reminders")
    audit(leader, axe_source, found, seen)
    for box in leader.locator("main input[type=checkbox]").all():
        if box.get_attribute("id") != leader.locator("label", has_text="B08").get_attribute("for"):
            box.uncheck()
    leader.locator("main form button.primary").click()
    branch = axe_context().new_page()
    login(branch, "b08")
    expect(branch.locator(".reminder")).to_be_visible()
    audit(branch, axe_source, found, seen)
    report(found, seen)
