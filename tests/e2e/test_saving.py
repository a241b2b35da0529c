"""What the autosave does when things go wrong, in a real browser against a real server:
letters typed over a saved number, two counts that make more than 100 %, text over the limit, two
devices on one draft (one with its clock a day ahead), a late save of the same page, and
consistency flags that come and go as the answers change."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from playwright.sync_api import Page, expect

from .helpers import expect_saved, login, selfcheck_id

PHONE = {"width": 390, "height": 844}


def open_pillar(page: Page, pillar: str) -> int:
    """The branch's draft at `pillar`, reached through "Continue"; its id."""
    page.goto("/")
    page.locator("main a.button.primary").click()
    sc = selfcheck_id(page)
    page.goto(f"/selfcheck/{sc}/{pillar}")
    return sc


def answered_after_save(page: Page, name: str, value: str) -> None:
    page.locator(f'[name="{name}"]').fill(value)
    expect_saved(page)


def test_invalid_entries_keep_the_saved_answer_and_say_so(make_context):
    page = make_context(viewport=PHONE).new_page()
    login(page, "b07")  # a draft: its collective study is answered
    open_pillar(page, "collective_study")
    status = page.locator(".autosave-status")
    count = page.locator('[name="C03"]')
    saved = count.input_value()
    assert saved.isdigit()

    # Letters over a saved number (or a Chinese keyboard's "三次"): the field keeps them with the
    # error beside it, the status line does not say "saved", and the server keeps the number.
    count.fill("三次")
    expect(page.locator("#err-C03")).to_have_text(re.compile(r"^请输入 0 到 \d+ 之间的整数"))
    expect(status).to_have_class(re.compile(r"\berror\b"))
    expect(status).not_to_have_text("所有修改已保存。")
    expect(count).to_have_value("三次")

    # A percentage entered as two counts, more attending than expected (150 %): the same.
    attended, expected = page.locator('[name="C02"][inputmode=numeric]').all()
    counted = attended.input_value(), expected.input_value()
    attended.fill("60")
    expected.fill("40")
    expect(page.locator("#err-C02")).to_have_text("请填写两个整数，前一个不大于后一个。")
    expect(status).to_have_class(re.compile(r"\berror\b"))
    expect(attended).to_have_value("60")

    # 5,000 characters pasted: none cut, a counter counting as the server does, an error.
    text = "学" * 4990 + "𠀀" * 10  # ten characters of two UTF-16 units each
    evidence = page.locator('[name="C11"]')
    evidence.fill(text)
    expect(evidence).to_have_value(text)
    counter = page.locator('[data-counter-for="C11"]')
    expect(counter).to_have_text(re.compile(r"^5000 / 4000 字$"))
    expect(counter).to_have_class(re.compile(r"\bover\b"))
    expect(page.locator("#err-C11")).to_have_text("内容过长：最多 4000 个字符。")

    # Mending every field makes it "saved" again; and a reload shows what the server kept.
    count.fill(saved)
    attended.fill(counted[0])
    expected.fill(counted[1])
    evidence.fill("𠀀" * 4000)  # 4,000 characters (8,000 UTF-16 units): within the limit
    expect_saved(page)
    expect(status).to_have_text("所有修改已保存。")
    page.reload()
    expect(count).to_have_value(saved)
    expect(attended).to_have_value(counted[0])
    expect(page.locator('[data-counter-for="C11"]')).to_have_text(re.compile(r"^4000 / 4000 字$"))
    answered_after_save(page, "C11", "学习记录齐全。")  # for the other tests' pages


def test_flags_appear_and_go_as_the_answers_change(make_context):
    page = make_context(viewport=PHONE).new_page()
    login(page, "b07")
    sc = open_pillar(page, "collective_study")
    flag = page.locator('[data-flag="F03"]')  # preparation rated high, attendance below 70 %
    attended, expected = page.locator('[name="C02"][inputmode=numeric]').all()
    page.locator('input[name="C01"][value="5"]').check()
    expected.fill("40")
    attended.fill("24")  # 60 %
    expect_saved(page)
    expect(flag).to_be_visible()
    expect(flag).to_contain_text("出勤率低于70%")
    # beside the items it looks at, before the next one
    assert page.evaluate(
        """() => {
        const flag = document.querySelector('[data-flag="F03"]');
        return flag.previousElementSibling.id === "item-C02";
    }"""
    )
    page.goto(f"/selfcheck/{sc}/review")
    expect(page.locator('.flags [data-flag="F03"]')).to_be_visible()
    page.goto(f"/selfcheck/{sc}/collective_study")
    attended.fill("36")  # 90 %
    expect_saved(page)
    expect(flag).to_be_hidden()


def test_two_devices_a_fast_clock_a_conflict_and_a_late_save(make_context):
    """Device A's clock runs a day ahead; device B edits after it. Then A, still showing its old
    page, overwrites B's answer; then a newer save of A's own page arrives before an older one."""
    a = make_context().new_page()
    a.clock.set_fixed_time(datetime.now() + timedelta(days=1))
    login(a, "b06")
    sc = open_pillar(a, "leadership")
    b = make_context().new_page()
    login(b, "b06")

    a.locator('input[name="L03"][value="2"]').check()
    expect_saved(a)
    b.goto(f"/selfcheck/{sc}/leadership")
    b.locator('input[name="L03"][value="4"]').check()
    expect_saved(b)
    expect(b.locator(".autosave-status")).to_have_text("所有修改已保存。")
    b.reload()
    expect(b.locator('input[name="L03"][value="4"]')).to_be_checked()  # the later edit won, whatever the clocks

    # A still shows 2: its change is not written over B's 4, and not dropped either.
    a.locator('input[name="L03"][value="1"]').check()
    box = a.locator('[data-conflict-for="L03"]')
    expect(box).to_be_visible()
    expect(box.locator("[data-theirs]")).to_contain_text("4")
    expect(a.locator(".autosave-status")).to_have_class(re.compile(r"\bconflict\b"))
    expect(a.locator('input[name="L03"][value="1"]')).to_be_checked()
    a.reload()  # still there after a reload: the typed answer and the open question
    expect(a.locator('input[name="L03"][value="1"]')).to_be_checked()
    expect(box).to_be_visible()
    box.get_by_role("button", name="保留我的版本").click()
    expect_saved(a)
    b.reload()
    expect(b.locator('input[name="L03"][value="1"]')).to_be_checked()

    # A save of A's page numbered 1,000 gets there first (as a save in flight could); A's next
    # save, numbered lower, is stale: A shows the server's answer beside its own.
    token = a.locator("meta[name=csrf-token]").get_attribute("content")
    writer = a.locator("#selfcheck-form").get_attribute("data-page-id")
    newer = a.request.post(
        f"/selfcheck/{sc}/autosave",
        data={"answers": {"L04": "5"}, "seq": 1000, "writer": writer},
        headers={"X-CSRFToken": token},
    )
    assert newer.ok, newer.status
    a.locator('input[name="L04"][value="2"]').check()
    stale = a.locator('[data-conflict-for="L04"]')
    expect(stale).to_be_visible()
    expect(stale.locator("[data-theirs]")).to_contain_text("5")
    stale.get_by_role("button", name="采用对方的版本").click()
    expect(a.locator('input[name="L04"][value="5"]')).to_be_checked()
    expect(a.locator(".autosave-status")).to_have_text("所有修改已保存。")
