"""Cycles and questionnaire versions in the web pages: open, change, extend, close a cycle;
the branch home's deadline; reading, uploading (validated as at start-up), storing and choosing
a questionnaire version."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest

from app.assessment.questionnaire import QUESTIONNAIRE_DIR, get_questionnaire
from app.database import write_transaction
from app.extensions import db
from app.models import AuditEvent, Cycle, QuestionnaireFile
from tests.conftest import THIS_YEAR, VERSION, login

TODAY = date.today()


@pytest.fixture(autouse=True)
def forget_loaded_versions():
    """A version stored in a test's database stays loaded in this process: forget it after the test."""
    yield
    get_questionnaire.cache_clear()


def cycle(app, year):
    with app.app_context():
        return db.session.scalar(db.select(Cycle).where(Cycle.year == year))


def admin(app, lang="zh"):
    client = app.test_client()
    login(client, "admin")
    client.post(f"/language/{lang}", data={"next": "/"})
    return client


def test_open_a_cycle_and_refusals(app, world):
    client = admin(app)
    data = {"year": str(THIS_YEAR + 1), "version": VERSION, "opens_on": f"{THIS_YEAR + 1}-03-01"}
    r = client.post("/admin/cycles", data=data | {"closes_on": f"{THIS_YEAR + 1}-02-01"})
    assert r.status_code == 422
    assert "截止日期不能早于开始日期" in r.text
    assert cycle(app, THIS_YEAR + 1) is None
    r = client.post("/admin/cycles", data=data | {"closes_on": f"{THIS_YEAR + 1}-06-30"})
    assert r.status_code == 302
    assert cycle(app, THIS_YEAR + 1).closes_on == date(THIS_YEAR + 1, 6, 30)
    r = client.post("/admin/cycles", data=data | {"closes_on": f"{THIS_YEAR + 1}-06-30"})
    assert r.status_code == 422
    assert "已经存在" in r.text
    r = client.post("/admin/cycles", data=data | {"version": "no-such", "closes_on": f"{THIS_YEAR + 1}-06-30"})
    assert r.status_code == 422
    with app.app_context():
        assert db.session.scalar(db.select(AuditEvent.action).order_by(AuditEvent.id.desc())) == "cycle_open"


def test_extend_the_deadline_and_the_version_stays_once_started(app, world):
    branch = app.test_client()
    login(branch, "b1")
    assert branch.post("/selfcheck/start").status_code == 302
    client = admin(app)
    url = f"/admin/cycles/{THIS_YEAR}"
    later = {"version": VERSION, "opens_on": f"{THIS_YEAR}-01-01", "closes_on": f"{THIS_YEAR + 1}-01-31"}
    assert client.post(url, data=later).status_code == 302
    assert cycle(app, THIS_YEAR).closes_on == date(THIS_YEAR + 1, 1, 31)
    other = next(v for v in ("2026-1", "2026-2") if v != VERSION)
    r = client.post(url, data=later | {"version": other})
    assert r.status_code == 422
    assert "不能再更换问卷版本" in r.text
    assert cycle(app, THIS_YEAR).questionnaire_version == VERSION


def test_close_a_cycle_after_a_confirmation(app, world):
    client = admin(app)
    url = f"/admin/cycles/{THIS_YEAR}/close"
    page = client.post(url)
    assert page.status_code == 200
    assert 'name="confirm"' in page.text
    assert cycle(app, THIS_YEAR).is_open()
    assert client.post(url, data={"confirm": "yes"}).status_code == 302
    assert cycle(app, THIS_YEAR).closes_on == TODAY - timedelta(days=1)
    branch = app.test_client()
    login(branch, "b1")
    assert branch.post("/selfcheck/start").status_code == 403  # no longer open


def set_deadline(app, day):
    with app.app_context(), write_transaction():
        c = db.session.scalar(db.select(Cycle).where(Cycle.year == THIS_YEAR))
        c.opens_on, c.closes_on = min(c.opens_on, TODAY), day
        db.session.commit()


def test_the_branch_home_shows_the_days_left_in_both_languages(app, world):
    branch = app.test_client()
    login(branch, "b1")
    for lang, days, text in [
        ("zh", 3, "还剩 3 天。"),
        ("en", 3, "3 days left."),
        ("en", 1, "1 day left."),
        ("en", 0, "Today is the deadline."),
        ("zh", 0, "今天是截止日期。"),
    ]:
        set_deadline(app, TODAY + timedelta(days=days))
        branch.post(f"/language/{lang}", data={"next": "/"})
        assert text in branch.get("/selfcheck/").text, (lang, days)


def test_versions_are_listed_and_readable_in_both_languages(app, world):
    from app.assessment.questionnaire import get_questionnaire

    client = admin(app)
    assert VERSION in client.get("/admin/questionnaires").text
    q = get_questionnaire(VERSION)
    item = q.pillars[0].items[0]
    page = client.get(f"/admin/questionnaires/{VERSION}").text
    for text in (item.text.zh, item.text.en, q.pillars[0].name.zh, q.pillars[0].name.en, q.suggestions[0].text.zh):
        assert str(__import__("markupsafe").escape(text)) in page
    assert client.get("/admin/questionnaires/no-such").status_code == 404


def upload(client, name, text, **extra):
    data = {"file": (io.BytesIO(text.encode()), name), **extra}
    return client.post("/admin/questionnaires", data=data, content_type="multipart/form-data")


def new_version_text(version="2098-1"):
    shipped = (QUESTIONNAIRE_DIR / f"{VERSION}.yaml").read_text(encoding="utf-8")
    return shipped.replace(f'version: "{VERSION}"', f'version: "{version}"')


def test_a_bad_file_gets_the_loaders_message_and_nothing_is_stored(app, world):
    client = admin(app, "en")
    broken = new_version_text().replace("weight: 1", "weight: -1", 1)
    r = upload(client, "2098-1.yaml", broken)
    assert r.status_code == 422
    assert "2098-1.yaml" in r.text
    assert "must be positive" in r.text
    r = upload(client, "2098-2.yaml", new_version_text())
    assert "does not match the file name" in r.text
    r = upload(client, "notes.txt", "x")
    assert "Name the file after its version" in r.text
    assert upload(client, f"{VERSION}.yaml", new_version_text(VERSION)).status_code == 422  # shipped
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(QuestionnaireFile)) == 0


def test_upload_preview_store_choose_then_fixed(app, world):
    client = admin(app, "en")
    preview = upload(client, "2098-1.yaml", new_version_text())
    assert preview.status_code == 200
    assert "Store version 2098-1" in preview.text
    assert "2098-1" not in client.get("/admin/cycles").text  # not stored yet: no cycle can choose it
    text = new_version_text()
    r = client.post("/admin/questionnaires", data={"confirm": "yes", "filename": "2098-1.yaml", "text": text})
    assert r.status_code == 302
    assert '<option value="2098-1"' in client.get("/admin/cycles").text
    # stored but unchosen: it may be uploaded again
    assert upload(client, "2098-1.yaml", text.replace("title:", "# again\ntitle:", 1)).status_code == 200
    data = {"year": "2098", "version": "2098-1", "opens_on": "2098-01-01", "closes_on": "2098-12-31"}
    assert client.post("/admin/cycles", data=data).status_code == 302
    r = upload(client, "2098-1.yaml", text)
    assert r.status_code == 422
    assert "used by a cycle and cannot change" in r.text
    # a cycle on the stored version works like any other: the questionnaire loads from the database
    assert "Store version" not in client.get("/admin/questionnaires/2098-1").text
    with app.app_context():
        from app.assessment.questionnaire import get_questionnaire

        assert get_questionnaire("2098-1").version == "2098-1"
        assert db.session.scalar(db.select(QuestionnaireFile.chosen))
