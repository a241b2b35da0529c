"""What the end-to-end tests do again and again: log in, answer items, run axe-core."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from playwright.sync_api import Page, TimeoutError, expect

from app.assessment.questionnaire import Item, available_versions, get_questionnaire

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"  # `make test` runs `npm ci` for it
ARTIFACTS = ROOT / "tests" / "artifacts"  # git ignores it
PASSWORD = "demo1234"  # the demo data's password (app/demo.py)
THIS_YEAR = date.today().year
QUESTIONNAIRE = get_questionnaire(available_versions()[-1])
PILLARS = [p.id for p in QUESTIONNAIRE.pillars]


def login(page: Page, username: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#username")).to_have_count(0)  # left the log-in page


VARIANT_LEVELS = (4, 2, 5)  # the level 1–5 of the answers of each variant


def answer_for(item: Item, variant: int = 0) -> str:
    """A valid answer to `item` as the form posts it; `variant` picks another one."""
    if not item.scored:
        return f"E2E 证据 {item.id}：学习记录齐全（evidence {variant}）。"
    return item.form_value(item.sample(VARIANT_LEVELS[variant % len(VARIANT_LEVELS)]))


def pillar_answers(pillar_id: str, variant: int = 0) -> dict[str, str]:
    return {item.id: answer_for(item, variant) for item in QUESTIONNAIRE.pillar(pillar_id).items}


def fill_answers(page: Page, answers: dict[str, str]) -> None:
    """Answer as a person would: click a radio button, type into a field."""
    for item_id, value in answers.items():
        kind = QUESTIONNAIRE.items[item_id].entry.kind
        if kind == "choice":
            page.locator(f'input[name="{item_id}"][value="{value}"]').check()
        elif kind == "counts":
            for n, count in enumerate(value.split("/")):
                page.locator(f'input[inputmode=numeric][name="{item_id}"]').nth(n).fill(count)
        else:
            page.locator(f'[name="{item_id}"]:not([type=checkbox])').fill(value)


def expect_answers(page: Page, answers: dict[str, str]) -> None:
    """Every answer is in its field of the page."""
    for item_id, value in answers.items():
        kind = QUESTIONNAIRE.items[item_id].entry.kind
        if kind == "choice":
            expect(page.locator(f'input[name="{item_id}"][value="{value}"]')).to_be_checked()
        elif kind == "counts":
            for n, count in enumerate(value.split("/")):
                expect(page.locator(f'input[inputmode=numeric][name="{item_id}"]').nth(n)).to_have_value(count)
        else:
            expect(page.locator(f'[name="{item_id}"]:not([type=checkbox])')).to_have_value(value)


PAGE_PENDING = """key => {
  const form = document.getElementById("selfcheck-form");
  const pending = (JSON.parse(localStorage.getItem(key) || "{}").answers) || {};
  return Object.keys(pending).filter(name => form.elements.namedItem(name));
}"""


def expect_saved(page: Page, timeout: float = 10_000) -> None:
    """The autosave has sent every answer of this page: none of its fields waits in localStorage,
    and no warning shows. (Only this page's fields: app.js sends those of the page it is on.)"""
    key = page.locator("#selfcheck-form").get_attribute("data-storage-key")
    try:
        page.wait_for_function(f"key => ({PAGE_PENDING})(key).length === 0", arg=key, timeout=timeout)
    except TimeoutError as exc:
        waiting = page.evaluate(PAGE_PENDING, key)
        status = page.locator(".autosave-status").inner_text()
        raise AssertionError(f"still waiting in localStorage: {waiting}; status: {status!r}") from exc
    expect(page.locator(".autosave-status")).not_to_have_class(re.compile(r"\b(offline|login|error|conflict)\b"))


def selfcheck_id(page: Page) -> int:
    """The id of the self-check in the current URL (/selfcheck/<id>/... or /results/<id>)."""
    match = re.search(r"/(?:selfcheck|results)/(\d+)", page.url)
    assert match, page.url
    return int(match.group(1))


SERIOUS = ("serious", "critical")


def axe_violations(page: Page, axe_path) -> list[str]:
    """axe-core's serious and critical violations on the page, one readable line per node."""
    page.add_script_tag(path=str(axe_path))
    result = page.evaluate("async () => await axe.run(document, { resultTypes: ['violations'] })")
    lines = []
    for violation in result["violations"]:
        if violation["impact"] not in SERIOUS:
            continue
        for node in violation["nodes"]:
            lines.append(
                f"{page.url} [{violation['impact']}] {violation['id']}: {violation['help']} "
                f"({violation['helpUrl']})\n    at {node['target']}: {node['html'][:200]}\n"
                f"    {node.get('failureSummary', '')}".rstrip()
            )
    return lines
