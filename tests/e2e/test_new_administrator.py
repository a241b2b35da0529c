"""Issue 16's path, as a new administrator would take it, in Chromium against gunicorn: from an
empty database (`flask init-db`) and one administrator, import a committee of 3 general branches
and 20 branches with their users from the downloaded template, hand out the temporary passwords,
open a cycle, have a branch log in, change its password and fill in, send a reminder to the
others (read on a branch's home page and in a real SMTP server), disable a user and see their
session end, close a branch."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from tests.smtp import SmtpServer

from .conftest import flask_command, new_context, server_on
from .helpers import QUESTIONNAIRE, THIS_YEAR, expect_saved, fill_answers, pillar_answers

ADMIN_PASSWORD = "a long secret pass phrase"
GENERAL = ("ZB1", "ZB2", "ZB3")
BRANCHES = [f"{GENERAL[n % 3]}-{n + 1:02d}" for n in range(20)]
DEADLINE = date.today() + timedelta(days=14)


@pytest.fixture(scope="module")
def smtp(tmp_path_factory):
    server = SmtpServer(tmp_path_factory.mktemp("smtp")).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def empty_server(tmp_path_factory, smtp) -> str:
    """gunicorn on a database holding nothing but one committee and its administrator; mail to `smtp`."""
    mail = {
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp.port),
        "MAIL_DEFAULT_SENDER": "selfcheck@example.org",
        "MAIL_RETRY_SECONDS": "0.5",
    }

    def fill(env):
        flask_command(env, "create-org", "DW", "committee", "某某镇党委")
        flask_command(env, "create-user", "admin", "--org", "DW", "--role", "admin", "--password", ADMIN_PASSWORD)

    with server_on(tmp_path_factory.mktemp("e2e-empty"), fill, mail) as (base, _env):
        yield base


def log_in(page, username, password):
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.locator("main form button[type=submit]").click()


def change_password(page, temporary, new):
    expect(page).to_have_url(re.compile(r"/accounts/password$"))
    page.fill("#current", temporary)
    page.fill("#new", new)
    page.fill("#confirm", new)
    page.locator("main form button.primary").click()
    expect(page.locator(".flash.success")).to_be_visible()


def tree_rows(header: list[str]) -> list[list[str]]:
    rows = [["DW", "committee", "某某镇党委", "", "dw-leader", "张书记", "leader", "leader@example.org"]]
    rows += [[code, "general_branch", f"第{n + 1}党总支", "DW", "", "", "", ""] for n, code in enumerate(GENERAL)]
    for n, code in enumerate(BRANCHES):
        parent = code.split("-")[0]
        user = f"b{n + 1:02d}"
        rows.append([code, "branch", f"第{n + 1}党支部", parent, user, f"书记{n + 1}", "branch", f"{user}@example.org"])
    return [dict(zip(header, row, strict=True)) for row in rows]


def test_a_new_administrator_runs_a_cycle_from_an_empty_database(browser, empty_server, smtp, tmp_path):
    admin = new_context(browser, empty_server).new_page()
    log_in(admin, "admin", ADMIN_PASSWORD)

    # The import: the template downloaded from the page, filled in, checked, imported.
    admin.goto("/accounts/import")
    with admin.expect_download() as info:
        admin.get_by_role("link", name="模板（CSV）").click()
    header = next(csv.reader(io.StringIO(info.value.path().read_text(encoding="utf-8-sig"))))
    assert header[-1] == "email"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header)
    writer.writeheader()
    writer.writerows(tree_rows(header))
    upload = tmp_path / "tree.csv"
    upload.write_text(out.getvalue(), encoding="utf-8")
    admin.set_input_files("#file", str(upload))
    admin.locator("main form button.primary").click()
    expect(admin.locator("main li")).to_have_count(3 + 20 + 21)  # organisations and users to create
    admin.get_by_role("button", name="导入").click()
    rows = admin.locator("table.printable tbody tr")
    expect(rows).to_have_count(21)
    passwords = {
        rows.nth(i).locator("th").inner_text(): rows.nth(i).locator("code.password").inner_text() for i in range(21)
    }

    # A cycle, opened in the pages.
    admin.goto("/admin/cycles")
    admin.fill("#year", str(THIS_YEAR))
    admin.fill("#opens_on", date.today().isoformat())
    admin.fill("#closes_on", DEADLINE.isoformat())
    admin.get_by_role("button", name="开启").click()
    expect(admin.locator(".flash")).to_contain_text(f"{THIS_YEAR}年度自查")

    # A branch on a phone: the temporary password, its own password, the deadline, filling in.
    phone = new_context(browser, empty_server, viewport={"width": 390, "height": 844}).new_page()
    log_in(phone, "b01", passwords["b01"])
    change_password(phone, passwords["b01"], "quiet river morning one")
    expect(phone.locator(".deadline")).to_have_text("还剩 14 天。")
    phone.get_by_role("button", name="开始自查").click()
    first = QUESTIONNAIRE.pillars[0]
    expect(phone).to_have_url(re.compile(rf"/selfcheck/\d+/{first.id}$"))
    fill_answers(phone, pillar_answers(first.id))
    expect_saved(phone)
    phone.goto("/")
    expect(phone.locator("main progress")).to_have_attribute("value", str(len(first.items)))

    # The committee's leader reminds the 19 others (b01 has a draft: it is reminded too, being behind).
    leader = new_context(browser, empty_server).new_page()
    log_in(leader, "dw-leader", passwords["dw-leader"])
    change_password(leader, passwords["dw-leader"], "quiet river morning two")
    leader.get_by_role("link", name="提醒").click()
    boxes = leader.locator("main input[type=checkbox]")
    expect(boxes).to_have_count(20)
    boxes.first.uncheck()  # b01, who is filling in
    leader.get_by_role("button", name="发送提醒").click()
    expect(leader.locator(".flash")).to_have_text("已向 19 个党支部发送提醒。")
    expect(leader).to_have_url(re.compile(r"/jobs/\w+$"))  # the mail job's page
    with leader.expect_download() as info:
        leader.locator("[data-job-download]").click()  # shown once every message went
    assert info.value.path().read_text(encoding="utf-8").startswith("19 of 19 sent")

    # Read on a branch's home page, and in the SMTP server, in the reader's language.
    other = new_context(browser, empty_server).new_page()
    log_in(other, "b02", passwords["b02"])
    change_password(other, passwords["b02"], "quiet river morning three")
    expect(other.locator(".reminder")).to_contain_text("张书记提醒您于")
    mails = smtp.wait_for(19, timeout=60)
    assert sorted(m["To"] for m in mails) == sorted(f"b{n:02d}@example.org" for n in range(2, 21))
    assert all(m["Subject"].startswith(f"提醒：{THIS_YEAR}年度自查请于") for m in mails)
    assert "第2党支部的" in next(m for m in mails if m["To"] == "b02@example.org").get_content()

    # Disabling b02 ends their session at once.
    admin.goto("/accounts/users?q=b02")
    admin.get_by_role("link", name="b02").first.click()
    admin.get_by_role("button", name="停用").click()
    admin.get_by_role("button", name="停用").click()  # the confirmation
    other.reload()
    expect(other).to_have_url(re.compile(r"/login"))

    # Closing a branch: confirmed, its users logged out and refused.
    closing = new_context(browser, empty_server).new_page()
    log_in(closing, "b03", passwords["b03"])
    change_password(closing, passwords["b03"], "quiet river morning four")
    admin.goto("/admin/organisations")
    admin.get_by_role("link", name=BRANCHES[2]).click()
    admin.get_by_role("button", name="撤销……").click()
    expect(admin.locator("main li")).to_have_text([f"{BRANCHES[2]} 第3党支部"])
    admin.get_by_role("button", name="撤销", exact=True).click()
    expect(admin.locator(".flash")).to_contain_text(f"{BRANCHES[2]} 已撤销")
    closing.reload()
    expect(closing).to_have_url(re.compile(r"/login"))
    log_in(closing, "b03", "quiet river morning four")
    expect(closing.locator(".flash.error")).to_have_text("您所在的组织已撤销，不能再登录。")
    leader.goto("/reminders")
    expect(leader.locator("main input[type=checkbox]")).to_have_count(19)  # it left the cycle
