"""The main pages at a phone's size (390×844) and a laptop's (1280×800): full-page
screenshots into tests/artifacts/screenshots/ to look at, and at both sizes, in both
languages: no page wider than the screen (not even with a long link in an answer), no
table cut off, every control at least 44 × 44 px, badges on one line, the sticky bar of
buttons one row, the comparison's charts readable on a phone and its weakest-items table
not squeezed.

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
    ("overview", "en", "phone"): (["screenshots/overview-phone.png"], None),
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


# What a finger must hit: at least 44 × 44 px (links inside running text aside).
TARGETS = (
    "header a, header button, .steps a, label.option, main button, main a.button, .pager a, .status-counts a, "
    "table.overview a, table.pillar-scores a, main summary, .inline-list a, .foot a, main select, "
    "main input[type=text], main input[type=search]"
)
LAYOUT = """targets => {
  const visible = el => el.offsetParent !== null && !el.closest(".visually-hidden");
  const text = el => JSON.stringify(el.textContent.trim().slice(0, 20));
  const name = el => `${el.tagName.toLowerCase()}.${el.className} ${text(el)}`;
  const small = [...document.querySelectorAll(targets)].filter(visible).map(el => [el, el.getBoundingClientRect()])
    .filter(([, r]) => r.width < 43.5 || r.height < 43.5)
    .map(([el, r]) => `${name(el)} ${Math.round(r.width)}×${Math.round(r.height)}`);
  const cut = [...document.querySelectorAll(".table-scroll")].filter(visible)
    .filter(el => !el.querySelector("table.units") && el.scrollWidth > el.clientWidth + 1).map(name);
  const broken = [...document.querySelectorAll(".level, .status")].filter(visible)
    .filter(el => el.getBoundingClientRect().height > 2 * parseFloat(getComputedStyle(el).fontSize) + 4).map(name);
  const bar = document.querySelector(".actions");
  return {small: small.slice(0, 8), cut, broken, bar: bar ? bar.getBoundingClientRect().height : 0};
}"""
# The smallest text of each visible chart, and of its labels (the largest text), in CSS pixels as drawn.
CHART_TEXT = """() => [...document.querySelectorAll(".chart-image svg")]
  .filter(svg => svg.getBoundingClientRect().width)
  .map(svg => {
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    const sizes = [...svg.querySelectorAll("text")].map(t => parseFloat(t.getAttribute("font-size")) * scale);
    return [svg.closest("figure").id, Math.min(...sizes), Math.max(...sizes)];
  })"""
WEAKEST = """() => {
  const fig = document.querySelector("#fig-weakest");
  const table = fig.querySelector("table");
  const lines = td => {
    const range = document.createRange();
    range.selectNodeContents(td);
    return range.getClientRects().length;
  };
  return {share: table.getBoundingClientRect().width / fig.getBoundingClientRect().width,
          height: fig.getBoundingClientRect().height,
          tallest: Math.max(...[...table.querySelectorAll("tbody td:nth-child(3)")].map(lines))};
}"""


def check_layout(page: Page, lang: str, size_name: str) -> None:
    where = f"{page.url} ({lang}, {size_name})"
    layout = page.evaluate(LAYOUT, TARGETS)
    assert not layout["small"], f"{where}: tap targets under 44 × 44 px: {layout['small']}"
    assert not layout["cut"], f"{where}: a table is cut off at the side: {layout['cut']}"
    assert not layout["broken"], f"{where}: a badge breaks over lines: {layout['broken']}"
    assert layout["bar"] <= 64, f"{where}: the bar of buttons takes {layout['bar']} px, more than one row"
    if page.locator("figure.chart").count():
        for figure, smallest, labels in page.evaluate(CHART_TEXT):
            assert labels >= 10.5, f"{where}: the labels of {figure} are {labels:.1f} px"
            assert smallest >= 8, f"{where}: text of {smallest:.1f} px in {figure}"
        if size_name == "desktop" and page.locator("#fig-weakest").count():
            weakest = page.evaluate(WEAKEST)
            assert weakest["share"] > 0.9, f"{where}: the weakest items' table has {weakest['share']:.0%} of its card"
            assert weakest["tallest"] < 2.5, f"{where}: a pillar name breaks over {weakest['tallest']:.1f} lines"
            assert weakest["height"] < 2400, f"{where}: the weakest items take {weakest['height']:.0f} px"


def shoot(page: Page, name: str, lang: str) -> None:
    """At both sizes: no scrolling sideways, the layout checks, and a full-page screenshot
    (Chinese at both sizes, English on the phone, where its longer words are the harder case)."""
    for size_name, size in SIZES.items():
        page.set_viewport_size(size)
        page.evaluate("() => new Promise(requestAnimationFrame)")  # the layout at the new size
        overflow = page.evaluate(OVERFLOW)
        assert overflow["width"] <= size["width"] + 1, (
            f"{page.url} ({lang}) is {overflow['width']} px wide on a {size['width']} px screen: {overflow['culprits']}"
        )
        check_layout(page, lang, size_name)
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
    expect(page).to_have_url(re.compile(r"/selfcheck/\d+/\w+(#item-\w+)?$"))
    sc = re.search(r"/selfcheck/(\d+)/", page.url).group(1)
    # evidence with a long link, which must wrap rather than widen the pages that show it
    saved = page.request.post(
        f"/selfcheck/{sc}/autosave",
        data={"answers": {"C11": "学习记录见 https://dangjian.example.org/files?id=" + "xuexijilu2026" * 24}},
        headers={"X-CSRFToken": page.locator("meta[name=csrf-token]").get_attribute("content")},
    )
    assert saved.ok, saved.status
    page.goto(f"/selfcheck/{sc}/{PILLARS[0]}")
    shoot(page, "pillar", lang)
    page.goto(f"/selfcheck/{sc}/{PILLARS[1]}")  # the bar has three buttons here
    shoot(page, "pillar-middle", lang)
    page.goto(f"/selfcheck/{sc}/review")
    shoot(page, "review", lang)
    page.goto(f"/results/{sc}")
    shoot(page, "result-draft", lang)

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
