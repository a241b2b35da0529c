"""Both languages complete, chosen by the user or else the browser, formatted by Babel."""

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from app.cli import extract_messages
from app.extensions import db
from app.models import User
from tests.conftest import THIS_YEAR, login

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("zh", "en")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The messages the code uses now, extracted afresh."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    extract_messages(pot)
    with pot.open("rb") as f:
        return read_po(f)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalog_is_complete(extracted, lang):
    with (ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f, locale=lang)
    problems = []
    for message in extracted:
        if not message.id:
            continue
        entry = catalog.get(message.id, context=message.context)
        if entry is None:
            problems.append(f"missing: {message.id!r}")
        elif entry.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        elif not all(entry.string) if isinstance(entry.string, tuple) else not entry.string:
            problems.append(f"untranslated: {message.id!r}")
    for message, errors in catalog.check():
        problems.extend(f"{message.id!r}: {e}" for e in errors)
    assert not problems, f"{lang}: " + "\n".join(problems)


def test_the_browser_language_is_used_when_the_user_chose_none(client, world):
    assert "登录" in client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(as_text=True)
    assert "Log in" in client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)


def test_the_users_choice_wins_and_is_remembered(app, client, world):
    login(client, "b1")
    client.post("/language/en", data={"next": "/selfcheck/"}, headers={"Accept-Language": "zh"})
    page = client.get("/selfcheck/", headers={"Accept-Language": "zh"}).get_data(as_text=True)
    assert f"Self-check {THIS_YEAR}" in page
    assert '<html lang="en">' in page
    with app.app_context():
        assert db.session.scalar(db.select(User.locale).where(User.username == "b1")) == "en"
    client.post("/language/zh", data={"next": "/selfcheck/"})
    assert f"{THIS_YEAR}年度自查" in client.get("/selfcheck/").get_data(as_text=True)


def test_every_page_offers_the_switch(client, world):
    login(client, "b1")
    for url in ("/selfcheck/",):
        page = client.get(url, headers={"Accept-Language": "en"}).get_data(as_text=True)
        assert 'action="/language/zh"' in page
        assert 'name="next" value="/selfcheck/"' in page


def test_dates_are_formatted_for_the_language(client, world):
    login(client, "b1")
    zh = client.get("/selfcheck/", headers={"Accept-Language": "zh"}).get_data(as_text=True)
    en = client.get("/selfcheck/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f"{THIS_YEAR}年1月1日" in zh
    assert f"Jan 1, {THIS_YEAR}" in en


def test_the_questionnaire_speaks_the_users_language(client, world):
    login(client, "b1")
    selfcheck_id = int(client.post("/selfcheck/start").location.split("/")[2])
    zh = client.get(f"/selfcheck/{selfcheck_id}/leadership", headers={"Accept-Language": "zh"}).get_data(as_text=True)
    en = client.get(f"/selfcheck/{selfcheck_id}/leadership", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "领导示范" in zh
    assert "Leadership example" in en
    assert "Leadership example" not in zh


def test_an_unknown_language_is_ignored(client, world):
    client.post("/language/fr", data={"next": "/login"})
    assert "Log in" in client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_template_gettext_formats_and_escapes_like_jinjas_newstyle(app):
    render = app.jinja_env.from_string
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert render('{{ _("Log out") }}').render() == "Log out"
        assert render('{{ _("%(a)s and %(b)s", a="<b>", b=1) }}').render() == "&lt;b&gt; and 1"
        assert render('{{ _("100%% sure") }}').render() == "100% sure"  # a format string even without variables
        plural = '{{ ngettext("%(num)d item", "%(num)d items", n) }}'
        assert render(plural).render(n=1) == "1 item"
        assert render(plural).render(n=3) == "3 items"
    with app.test_request_context(headers={"Accept-Language": "zh"}):
        assert render('{{ _("Log out") }}').render() == "退出"


def test_one_english_word_two_chinese_words(app, client, world):
    """ "Change" is 修改 where answers are edited and 变化 where scores differ between years."""
    from tests.conftest import submitted_selfcheck

    submitted_selfcheck(app, "B1", THIS_YEAR)
    login(client, "b2")
    selfcheck_id = int(client.post("/selfcheck/start").location.split("/")[2])
    review = client.get(f"/selfcheck/{selfcheck_id}/review").get_data(as_text=True)
    assert re.search(r'<a class="small" href="[^"]+">修改</a>', review)
    client.post("/logout")
    login(client, "leader")
    compare = client.get("/compare").get_data(as_text=True)
    assert re.search(r"<th scope=\"col\" aria-sort=\"none\">\s*<a [^>]+>变化</a>", compare)


def test_api_tokens_are_not_in_the_main_menu(client, world):
    login(client, "b1")
    page = client.get("/selfcheck/").get_data(as_text=True)
    menu = page[page.index('<nav aria-label="主导航"') : page.index("</nav>")]
    assert "/account/tokens" not in menu
    assert 'href="/account/tokens"' in page[page.index("<footer") :]  # still one tap away, at the foot
