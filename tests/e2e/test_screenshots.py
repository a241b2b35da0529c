"""The main pages at a phone's size (390×844) and a laptop's (1280×800): full-page
screenshots into tests/artifacts/screenshots/ to look at, and no page wider than the
screen, so nothing needs scrolling sideways.

With E2E_DOCS_SCREENSHOTS=1 the test also refreshes the README's pictures in docs/.
"""

from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import Page, expect

from .helpers import ARTIFACTS, PILLARS, ROOT, THIS_YEAR, login

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}
SIZES = {"phone": PHONE, "desktop": LAPTOP}
SHOTS = ARTIFACTS / "screenshots"
DOCS = ROOT / "docs"
# (page, language, size) → (files in docs/ for the README, what to scroll to first): as on the screen
README_SHOTS = {
    ("result", "en", "desktop"): (["screenshots/result-desktop.png", "screenshot-result.png"], None),
    ("pillar", "en", "phone"): (["screenshots/pillar-phone.png"], "#item-L05"),
    ("overview", "en", "desktop"): (["screenshots/overview-desktop.png"], None),
    ("compare", "en", "desktop"): (["screenshots/compare-desktop.png"], None),
}

OVERFLOW = """() => ({
  width: document.scrollingElement.scrollWidth,
  culprits: [...document.querySelectorAll("body *")]
    .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1)
    .filter(el => !el.closest(".table-scroll, .chart-table"))
    .slice(0, 5).map(el => el.tagName.toLowerCase() + "." + el.className),
})"""


@pytest.fixture(scope="module", autouse=True)
def _folder():
    SHOTS.mkdir(parents=True, exist_ok=True)


def shoot(page: Page, name: str, lang: str) -> None:
    """At both sizes: no scrolling sideways, and a full-page screenshot (Chinese at both sizes,
    English on the phone, where its longer words are the harder case)."""
    for size_name, size in SIZES.items():
        page.set_viewport_size(size)
        page.evaluate("() => new Promise(requestAnimationFrame)")  # the layout at the new size
        overflow = page.evaluate(OVERFLOW)
        assert overflow["width"] <= size["width"] + 1, (
            f"{page.url} ({lang}) is {overflow['width']} px wide on a {size['width']} px screen: {overflow['culprits']}"
        )
        if lang == "zh" or size_name == "phone":
            page.screenshot(path=SHOTS / f"{name}-{lang}-{size_name}.png", full_page=True)
        if os.environ.get("E2E_DOCS_SCREENSHOTS") == "1":
            targets, scroll_to = README_SHOTS.get((name, lang, size_name), ([], None))
            for target in targets:
                (DOCS / target).parent.mkdir(parents=True, exist_ok=True)
                page.evaluate("s => s ? document.querySelector(s).scrollIntoView() : window.scrollTo(0, 0)", scroll_to)
                page.screenshot(path=DOCS / target, full_page=False, type="png")


LOCALES = {"zh": "zh-CN", "en": "en-US"}


@pytest.mark.parametrize("lang", LOCALES)
def test_main_pages_fit_a_phone_and_a_laptop(make_context, lang):
    def session(username: str | None) -> Page:
        page = make_context(locale=LOCALES[lang]).new_page()
        if username:
            login(page, username)
        return page

    page = session(None)
    page.goto("/login")
    shoot(page, "login", lang)

    page = session("b07")  # a draft
    shoot(page, "home", lang)
    page.locator("main a.button.primary").click()  # continue the draft
    expect(page).to_have_url(re.compile(r"/selfcheck/\d+/\w+$"))
    sc = re.search(r"/selfcheck/(\d+)/", page.url).group(1)
    page.goto(f"/selfcheck/{sc}/{PILLARS[0]}")
    shoot(page, "pillar", lang)
    page.goto(f"/selfcheck/{sc}/review")
    shoot(page, "review", lang)

    page = session("leader")
    shoot(page, "overview", lang)
    page.locator("table.overview tbody tr", has_text="B02").locator("a").click()  # submitted, with peers
    expect(page.locator(".summary")).to_be_visible()
    shoot(page, "result", lang)
    page.goto(f"/compare?year={THIS_YEAR - 1}&year={THIS_YEAR}")
    expect(page.locator("figure.chart").first).to_be_visible()
    shoot(page, "compare", lang)
    page.goto("/account/tokens")
    shoot(page, "tokens", lang)

    page = session("admin")
    page.goto("/admin/audit")
    shoot(page, "audit", lang)
