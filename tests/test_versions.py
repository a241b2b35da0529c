"""Questionnaire versions side by side: every earlier cycle's result still loads and renders under
the version it was answered with, and "change since last year" compares pillars across versions."""

import pytest
from sqlalchemy import select

from app.assessment.questionnaire import available_versions, get_questionnaire
from app.assessment.scoring import score_selfcheck
from app.database import write_transaction
from app.demo import seed
from app.extensions import db
from app.models import Cycle, Organisation, SelfCheck
from app.selfcheck import service
from tests.conftest import THIS_YEAR, answers_at, login

OLD, NEW = available_versions()[0], available_versions()[-1]


@pytest.fixture
def two_versions(app, world):
    """B1 answered last year's cycle with the first version and this year's with the newest."""
    ids = {}
    with app.app_context():
        org = db.session.scalar(select(Organisation).where(Organisation.code == "B1"))
        for year, version, level in ((THIS_YEAR - 1, OLD, 2), (THIS_YEAR, NEW, 4)):
            with write_transaction():
                cycle = db.session.scalar(select(Cycle).where(Cycle.year == year))
                cycle.questionnaire_version = version
                db.session.commit()
            selfcheck = service.start_selfcheck(org, cycle)
            service.save_answers(selfcheck, answers_at(level, version), None, enforce_window=False)
            service.submit(selfcheck, None, enforce_window=False)
            ids[year] = selfcheck.id
    return ids


def test_each_year_renders_under_its_own_version(app, client, two_versions):
    assert OLD != NEW
    login(client, "b1")
    for year, version in ((THIS_YEAR - 1, OLD), (THIS_YEAR, NEW)):
        q = get_questionnaire(version)
        page = client.get(f"/results/{two_versions[year]}", headers={"Accept-Language": "zh"})
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert q.items["R01"].text.zh in html
        report = client.get(f"/reports/{two_versions[year]}.pdf?lang=bilingual")
        assert (report.status_code, report.mimetype) == (200, "application/pdf")
    old_only = get_questionnaire(OLD).items["L10"].text.zh
    assert old_only not in client.get(f"/results/{two_versions[THIS_YEAR]}").get_data(as_text=True)


def test_change_since_last_year_compares_pillars_across_versions(app, client, two_versions):
    with app.app_context():
        now = service.result_of(db.session.get(SelfCheck, two_versions[THIS_YEAR]))
        before = service.result_of(db.session.get(SelfCheck, two_versions[THIS_YEAR - 1]))
    assert now.questionnaire.version == NEW
    assert before.questionnaire.version == OLD
    assert [p.pillar.id for p in now.pillars] == [p.pillar.id for p in before.pillars]
    login(client, "b1")
    html = client.get(f"/results/{two_versions[THIS_YEAR]}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    change = now.score - before.score
    assert f"Change since last year: +{change:.1f}" in html


def test_the_demo_shows_the_new_version_this_year_and_the_old_one_last_year(app, client):
    with app.app_context():
        seed()
        versions = dict(db.session.execute(select(Cycle.year, Cycle.questionnaire_version)).all())
        assert versions == {THIS_YEAR - 1: OLD, THIS_YEAR: NEW}
        b03 = db.session.scalar(
            select(SelfCheck).join(Organisation).join(Cycle).where(Organisation.code == "B03", Cycle.year == THIS_YEAR)
        )
        result = service.result_of(b03)
        # B03 contradicts itself on purpose: no written rules yet rules described, no plan yet one described
        assert {"F15", "F16", "F17"} <= {f.id for f in result.flags}
        assert result.questionnaire == get_questionnaire(NEW)
        # last year's answers are typed values of the old version: complete and scored by it
        for selfcheck in db.session.scalars(select(SelfCheck).join(Cycle).where(Cycle.year == THIS_YEAR - 1)):
            assert score_selfcheck(get_questionnaire(OLD), service.typed_answers(selfcheck)).complete
        ids = db.session.scalars(select(SelfCheck.id)).all()
    login(client, "admin", "demo1234")
    for selfcheck_id in ids:
        assert client.get(f"/results/{selfcheck_id}").status_code == 200
